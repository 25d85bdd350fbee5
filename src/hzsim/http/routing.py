"""Match request paths against the contract's path templates.

A segment trie: literal segments win over `{param}` segments, so
`/inventory/v1/machines/action/delete` never matches `/inventory/v1/machines/{id}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from hzsim.contract.model import Operation


@dataclass
class _Node:
    literals: dict[str, "_Node"] = field(default_factory=dict)
    param: tuple[str, "_Node"] | None = None
    operations: dict[str, Operation] | None = None  # method -> operation, at a path's end


@dataclass(frozen=True, slots=True)
class Match:
    operations: dict[str, Operation]  # every method of the matched path
    params: dict[str, str]


class Router:
    def __init__(self, operations: Iterable[Operation]) -> None:
        self._root = _Node()
        self._static: dict[str, dict[str, Operation]] = {}
        for op in operations:
            node = self._root
            for segment in _segments(op.path):
                if segment.startswith("{") and segment.endswith("}"):
                    name = segment[1:-1]
                    if node.param is None:
                        node.param = (name, _Node())
                    node = node.param[1]
                else:
                    node = node.literals.setdefault(segment, _Node())
            if node.operations is None:
                node.operations = {}
            node.operations[op.method] = op
            if "{" not in op.path:
                self._static[op.path.rstrip("/")] = node.operations

    def match(self, path: str) -> Match | None:
        static = self._static.get(path.rstrip("/"))
        if static is not None:
            return Match(static, {})
        params: dict[str, str] = {}
        node = self._walk(self._root, _segments(path), 0, params)
        return Match(node.operations, params) if node and node.operations else None

    def _walk(self, node: _Node, segments: list[str], index: int, params: dict[str, str]) -> _Node | None:
        if index == len(segments):
            return node if node.operations else None
        segment = segments[index]
        literal = node.literals.get(segment)
        if literal is not None:
            found = self._walk(literal, segments, index + 1, params)
            if found is not None:
                return found
        if node.param is not None and segment:
            name, child = node.param
            found = self._walk(child, segments, index + 1, params)
            if found is not None:
                params[name] = segment
                return found
        return None


def _segments(path: str) -> list[str]:
    return [segment for segment in path.strip("/").split("/")]
