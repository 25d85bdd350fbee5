"""Shape canonical documents into the response schema of one operation and version.

A resource is stored once, as the union of every versioned field; each GET projects it
through its own response schema. Properties the schema does not name are left out, and
so are properties without a value: Horizon omits them rather than sending null.
"""

from __future__ import annotations

from typing import Any, Callable

from hzsim.contract.model import REF_PREFIX, Contract

Projector = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


class Projections:
    """Per-schema projector functions, compiled on first use."""

    def __init__(self, contract: Contract) -> None:
        self._contract = contract
        self._by_ref: dict[str, Projector] = {}

    def project(self, schema: dict[str, Any] | None, value: Any) -> Any:
        if schema is None:
            return value
        return self.projector(schema)(value)

    def projector(self, schema: dict[str, Any]) -> Projector:
        ref = schema.get("$ref")
        if ref is None:
            return self._compile(schema)
        found = self._by_ref.get(ref)
        if found is None:
            # Late binding keeps recursive schemas from recursing at compile time.
            self._by_ref[ref] = lambda value: self._by_ref[ref](value)
            found = self._compile(self._contract.schemas[ref.removeprefix(REF_PREFIX)])
            self._by_ref[ref] = found
        return found

    def _compile(self, schema: dict[str, Any]) -> Projector:
        if "allOf" in schema:
            merged: dict[str, Any] = {"type": "object", "properties": {}}
            for part in schema["allOf"]:
                merged["properties"].update(self._contract.resolve(part).get("properties", {}))
            merged["properties"].update(schema.get("properties", {}))
            return self._compile(merged)
        kind = schema.get("type")
        if kind == "array" and "items" in schema:
            item = self.projector(schema["items"])
            return lambda value: [item(v) for v in value if v is not None] if isinstance(value, list) else value
        if "properties" in schema:
            fields = {name: self.projector(sub) for name, sub in schema["properties"].items()}
            # Scalar fields pass through untouched: only nested ones need a projector call.
            nested = {name: fn for name, fn in fields.items() if fn is not _identity}
            allowed = frozenset(fields)

            def project_object(value: Any) -> Any:
                if not isinstance(value, dict):
                    return value
                return {name: (nested[name](v) if name in nested else v) for name, v in value.items()
                        if v is not None and name in allowed}

            return project_object
        if isinstance(schema.get("additionalProperties"), dict):
            item = self.projector(schema["additionalProperties"])
            return lambda value: (
                {k: item(v) for k, v in value.items() if v is not None} if isinstance(value, dict) else value
            )
        return _identity
