"""A small, line-aware checker for scenario YAML.

A scenario's shape is declared as data (`Field`s in mappings and lists); `check` walks the
composed YAML nodes against it and returns plain Python values, or raises `ScenarioError`
naming the line and the field at the first problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

import yaml

from hzsim.errors import BadRequest


class ScenarioError(BadRequest):
    def __init__(self, message: str) -> None:
        super().__init__("hzsim.scenario.invalid", message)


@dataclass(frozen=True)
class Scalar:
    kind: type  # str, int, float or bool
    choices: tuple[Any, ...] = ()
    minimum: float | None = None


@dataclass(frozen=True)
class Mapping:
    fields: dict[str, "Field"]


@dataclass(frozen=True)
class Sequence:
    item: "Shape"


Shape = Union[Scalar, Mapping, Sequence]


@dataclass(frozen=True)
class Field:
    shape: Shape
    required: bool = False
    default: Any = None


def _where(node: yaml.Node, source: str) -> str:
    return f"{source}, line {node.start_mark.line + 1}"


_TRUE, _FALSE = {"true", "yes", "on"}, {"false", "no", "off"}


def _scalar(node: yaml.Node, shape: Scalar, name: str, source: str) -> Any:
    if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null"):
        raise ScenarioError(f"{_where(node, source)}: '{name}' must be a single {shape.kind.__name__} value.")
    text = str(node.value)
    try:
        if shape.kind is bool:
            if text.lower() not in _TRUE | _FALSE:
                raise ValueError
            value: Any = text.lower() in _TRUE
        elif shape.kind is int:
            value = int(text)
        elif shape.kind is float:
            value = float(text)
        else:
            value = text
            if not value.strip():
                raise ValueError
    except ValueError:
        raise ScenarioError(f"{_where(node, source)}: '{name}' must be a {shape.kind.__name__}, "
                            f"not {text!r}.") from None
    if shape.choices and value not in shape.choices:
        raise ScenarioError(f"{_where(node, source)}: '{name}' must be one of "
                            f"{', '.join(map(str, shape.choices))}, not {value!r}.")
    if shape.minimum is not None and value < shape.minimum:
        raise ScenarioError(f"{_where(node, source)}: '{name}' must be at least {shape.minimum}.")
    return value


def check(node: yaml.Node, shape: Shape, name: str, source: str) -> Any:
    if isinstance(shape, Scalar):
        return _scalar(node, shape, name, source)
    if isinstance(shape, Sequence):
        if not isinstance(node, yaml.SequenceNode):
            raise ScenarioError(f"{_where(node, source)}: '{name}' must be a list.")
        return [check(item, shape.item, name, source) for item in node.value]
    if not isinstance(node, yaml.MappingNode):
        raise ScenarioError(f"{_where(node, source)}: '{name}' must be a mapping.")
    lines: dict[str, int] = {}
    out: dict[str, Any] = {"__line__": node.start_mark.line + 1, "__lines__": lines}
    seen: set[str] = set()
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key not in shape.fields:
            raise ScenarioError(f"{_where(key_node, source)}: unknown field '{key}' in '{name}'; "
                                f"expected one of {', '.join(sorted(shape.fields))}.")
        if key in seen:
            raise ScenarioError(f"{_where(key_node, source)}: field '{key}' is given twice.")
        seen.add(key)
        lines[key] = key_node.start_mark.line + 1
        out[key] = check(value_node, shape.fields[key].shape, key, source)
    for key, spec in shape.fields.items():
        if key not in out:
            if spec.required:
                raise ScenarioError(f"{_where(node, source)}: '{name}' needs the field '{key}'.")
            out[key] = spec.default() if callable(spec.default) else spec.default
    return out


def parse_yaml(text: str, shape: Shape, source: str) -> Any:
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark else ""
        raise ScenarioError(f"{source}{line}: not valid YAML ({getattr(error, 'problem', error)}).") from None
    if root is None:
        raise ScenarioError(f"{source}: the scenario is empty.")
    return check(root, shape, "scenario", source)


def required(shape: Shape) -> Field:
    return Field(shape, required=True)


def optional(shape: Shape, default: Any = None) -> Field:
    return Field(shape, default=default)


def many(item: Shape) -> Field:
    return Field(Sequence(item), default=list)


TEXT, INT, BOOL, NUMBER = Scalar(str), Scalar(int), Scalar(bool), Scalar(float)
__all__ = ["BOOL", "INT", "NUMBER", "TEXT", "Field", "Mapping", "Scalar", "ScenarioError", "Sequence", "check",
           "many", "optional", "parse_yaml", "required", "field"]
