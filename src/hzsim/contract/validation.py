"""Request validation driven by the contract: JSON Schema validators and client leniencies.

Contract schemas are OpenAPI 3.0 objects; they are handed to a compiled JSON Schema
validator (jsonschema-rs) through a registry holding every component schema, with the
integer formats turned into the bounds Horizon's deserializer enforces.
"""

from __future__ import annotations

import math
from typing import Any

import jsonschema_rs

from hzsim.contract.model import REF_PREFIX, Contract
from hzsim.errors import BadRequest, ErrorDetail

REGISTRY_URI = "urn:hzsim:horizon-2312"
_INT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def to_json_schema(schema: Any, *, strict: bool = False) -> Any:
    """Rewrite a contract schema node for the validator (refs into the registry, int bounds).

    With `strict`, objects admit no property the contract does not name: used by tests to
    check that hzsim never answers a field the contract does not have.
    """
    if isinstance(schema, list):
        return [to_json_schema(item, strict=strict) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$ref":
            out[key] = REGISTRY_URI + value
        elif key in ("properties",):
            out[key] = {name: to_json_schema(sub, strict=strict) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "allOf", "oneOf", "anyOf"):
            out[key] = to_json_schema(value, strict=strict)
        elif key in ("discriminator", "writeOnly", "readOnly", "deprecated", "nullable"):
            continue
        elif key == "pattern":
            # Horizon's bean validation matches a pattern against the whole value (Java's
            # Pattern.matches); JSON Schema only searches for it, so anchor it.
            out[key] = f"^(?:{value})$"
        else:
            out[key] = value
    if schema.get("type") == "integer" and schema.get("format") in _INT_BOUNDS:
        low, high = _INT_BOUNDS[schema["format"]]
        out.setdefault("minimum", low)
        out.setdefault("maximum", high)
    if strict and "properties" in schema and "additionalProperties" not in schema and "allOf" not in schema:
        out["additionalProperties"] = False
    return out


class SchemaValidators:
    """Compiled validators for contract schemas, built on first use and cached."""

    def __init__(self, contract: Contract, *, strict: bool = False) -> None:
        self._contract = contract
        self._strict = strict
        root = {"components": {"schemas": {
            name: to_json_schema(schema, strict=strict) for name, schema in contract.schemas.items()
        }}}
        self._registry = jsonschema_rs.Registry([(REGISTRY_URI, root)])
        self._cache: dict[str, jsonschema_rs.Validator] = {}

    def validator(self, schema: dict[str, Any]) -> jsonschema_rs.Validator:
        key = schema.get("$ref") or repr(schema)
        found = self._cache.get(key)
        if found is None:
            found = jsonschema_rs.validator_for(
                to_json_schema(schema, strict=self._strict), registry=self._registry
            )
            self._cache[key] = found
        return found

    def errors(self, schema: dict[str, Any], value: Any) -> list[ErrorDetail]:
        """One error per offending field (a value of the wrong type is not also reported as off its enum)."""
        found: dict[tuple[Any, ...], ErrorDetail] = {}
        for error in self.validator(schema).iter_errors(value):
            path = tuple(error.instance_path)
            if type(error.kind).__name__ == "Required":
                path = (*path, error.kind.property)
            found.setdefault(path, _detail(error))
        return list(found.values())


def _field_name(path: list[Any], prefix: str = "") -> str:
    name = prefix
    for part in path:
        name = f"{name}[{part}]" if isinstance(part, int) else (f"{name}.{part}" if name else str(part))
    return name


def _detail(error: jsonschema_rs.ValidationError) -> ErrorDetail:
    kind = type(error.kind).__name__
    path = list(error.instance_path)
    field = _field_name(path)
    if kind == "Required":
        missing = _field_name([*path, error.kind.property])
        return ErrorDetail("common.field.required", f"Field '{missing}' is required.")
    subject = f"Field '{field}'" if field else "Request body"
    if kind == "Type":
        types = "/".join(str(t) for t in error.kind.types) if hasattr(error.kind, "types") else "valid"
        return ErrorDetail("common.field.invalid.type", f"{subject} must be of type {types}.")
    if kind == "Enum":
        return ErrorDetail("common.field.invalid.value",
                           f"{subject} has an invalid value; {error.message}.")
    if kind in ("Minimum", "Maximum", "ExclusiveMinimum", "ExclusiveMaximum", "MinLength", "MaxLength",
                "MinItems", "MaxItems"):
        return ErrorDetail("common.field.out.of.range", f"{subject} is out of range: {error.message}.")
    if kind == "UniqueItems":
        return ErrorDetail("common.field.duplicate.items", f"{subject} must not contain duplicate items.")
    if kind == "Pattern":
        return ErrorDetail("common.field.invalid.format", f"{subject} does not match the required pattern.")
    return ErrorDetail("common.field.invalid.value", f"{subject} is invalid: {error.message}.")


def raise_for(details: list[ErrorDetail]) -> None:
    if details:
        first = details[0]
        raise BadRequest(first.error_key, first.error_message, details=details)


def coerce_body(contract: Contract, schema: dict[str, Any] | None, value: Any) -> Any:
    """Apply the leniencies real clients rely on before validation.

    Integer fields sent as numbers with a fraction (`time.time() * 1000`) are truncated;
    a `password` declared as an array of characters may be sent as a plain string.
    """
    if schema is None:
        return value
    schema = contract.resolve(schema)
    if "allOf" in schema:
        for part in schema["allOf"]:
            value = coerce_body(contract, part, value)
        return value
    kind = schema.get("type")
    if kind == "integer" and isinstance(value, float) and math.isfinite(value):
        return int(value)
    if kind == "array" and isinstance(value, list) and "items" in schema:
        return [coerce_body(contract, schema["items"], item) for item in value]
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        out = {}
        for key, item in value.items():
            sub = properties.get(key) or (extra if isinstance(extra, dict) else None)
            if key == "password" and isinstance(item, str) and sub and contract.resolve(sub).get("type") == "array":
                out[key] = list(item)
            else:
                out[key] = coerce_body(contract, sub, item)
        return out
    return value


def schema_name(schema: dict[str, Any] | None) -> str | None:
    if schema and "$ref" in schema:
        return schema["$ref"].removeprefix(REF_PREFIX)
    return None
