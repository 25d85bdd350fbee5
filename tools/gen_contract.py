"""Condense Horizon's published OpenAPI description into hzsim's facts-only contract.

The output keeps names, types, enums, bounds, paths, success codes, privileges and the
list facts (which fields filter with which filter types, which sort) and drops all prose:
descriptions, summaries and examples never reach the package.

    python tools/gen_contract.py [SPEC] [OUT]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT.parent / "shared" / "horizon-api" / "2312" / "rest-api-swagger-docs.json"
DEFAULT_OUT = ROOT / "src" / "hzsim" / "contract" / "horizon-2312.json"

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
SCHEMA_KEYS = (
    "type", "format", "enum", "required", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "minLength", "maxLength", "pattern", "minItems", "maxItems",
    "uniqueItems", "default", "deprecated", "writeOnly", "readOnly", "nullable",
)
FILTER_TYPES = ("Equals", "NotEquals", "Contains", "StartsWith", "EndsWith", "Between")
LIST_PARAMS = ("page", "size", "filter", "sort_by", "order_by")

_PRIVILEGE_HEADINGS = (
    (re.compile(r"all the listed privileges are required", re.I), "required"),
    (re.compile(r"at least one of the listed privileges is required", re.I), "any_of"),
    (re.compile(r"optional privileges", re.I), "optional"),
)
_PRIVILEGE_ROW = re.compile(r"^\|\s*([A-Z][A-Z0-9_]+)\s*\|(.*?)\|?\s*$")
_FILTERS_CLAUSE = re.compile(r"Supported Filters?\s*:?\s*(.*?)(?:\.\s|\.$|<|\n|$)", re.I | re.S)
_FILTER_FIELD_NAME = re.compile(r"Field name to be used in filter\s*:\s*([A-Za-z0-9_.]+?)\.?(?:\s|\\n|$)")
_SORTABLE = re.compile(r"can be used for sorting", re.I)
_FIELD_LEVEL = re.compile(r"\bfields?\b|\bids\b|unset|absent|limited details|held machines", re.I)


def condense_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Keep only the structural facts of one schema node, recursively."""
    if "$ref" in schema:
        return {"$ref": schema["$ref"]}
    out: dict[str, Any] = {key: schema[key] for key in SCHEMA_KEYS if key in schema}
    if "properties" in schema:
        out["properties"] = {name: condense_schema(sub) for name, sub in schema["properties"].items()}
    if "items" in schema:
        out["items"] = condense_schema(schema["items"])
    if isinstance(schema.get("additionalProperties"), dict):
        out["additionalProperties"] = condense_schema(schema["additionalProperties"])
    elif "additionalProperties" in schema:
        out["additionalProperties"] = schema["additionalProperties"]
    for key in ("allOf", "oneOf", "anyOf"):
        if key in schema:
            out[key] = [condense_schema(sub) for sub in schema[key]]
    if "discriminator" in schema:
        out["discriminator"] = {"propertyName": schema["discriminator"]["propertyName"]}
    return out


def parse_filters(description: str) -> list[str]:
    match = _FILTERS_CLAUSE.search(description)
    if not match:
        return []
    clause = match.group(1)
    found = []
    for name in FILTER_TYPES:
        # 'StartsWithFilter' and 'Equals' both name a filter type; avoid 'NotEquals' matching 'Equals'.
        if re.search(r"(?<![A-Za-z])" + name + r"(?:Filter)?(?![A-Za-z])", clause):
            found.append(name)
    return found


def list_facts(schema: dict[str, Any]) -> dict[str, Any]:
    """Per-property filter and sort facts of one schema."""
    facts: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        description = prop.get("description", "")
        entry: dict[str, Any] = {}
        filters = parse_filters(description)
        if filters:
            entry["filters"] = filters
        field_name = _FILTER_FIELD_NAME.search(description)
        if field_name:
            entry["filter_name"] = field_name.group(1)
        if _SORTABLE.search(description):
            entry["sortable"] = True
        if entry:
            facts[name] = entry
    return facts


def _privilege_scope(text: str) -> str:
    """Where the privilege must be held: on the resource's access group, on any, or globally."""
    if "federat" in text:
        return "federation"
    if "associated access group" in text or "corresponding access group" in text:
        return "access_group"
    if "any access group" in text:
        return "any"
    return "global"


def parse_privileges(description: str) -> dict[str, Any]:
    """Read the privilege tables of an operation's description into facts."""
    result: dict[str, Any] = {}
    section = "required"
    for line in description.splitlines():
        for pattern, name in _PRIVILEGE_HEADINGS:
            if pattern.search(line):
                section = name
                break
        row = _PRIVILEGE_ROW.match(line.strip())
        if not row or row.group(1) == "Privileges":
            continue
        text = row.group(2).lower()
        privilege = {"name": row.group(1), "scope": _privilege_scope(text)}
        # A "required" privilege that only reveals some fields (or only matters for held machines)
        # does not gate the operation.
        if section == "required" and _FIELD_LEVEL.search(text) and "perform this operation" not in text:
            result.setdefault("optional", []).append(privilege)
            continue
        if "returns results only" in text or "only for those" in text:
            privilege["filters_results"] = True
        result.setdefault(section, []).append(privilege)
    return result


def condense_parameter(param: dict[str, Any]) -> dict[str, Any]:
    out = {"name": param["name"], "in": param["in"], "schema": condense_schema(param.get("schema", {}))}
    if param.get("required"):
        out["required"] = True
    return out


def _schema_of(content: dict[str, Any] | None) -> dict[str, Any] | None:
    if not content:
        return None
    media = next(iter(content.values()))
    return condense_schema(media["schema"]) if "schema" in media else None


def condense_operation(path: str, method: str, op: dict[str, Any]) -> dict[str, Any]:
    params = [condense_parameter(p) for p in op.get("parameters", [])]
    out: dict[str, Any] = {
        "operation_id": op["operationId"],
        "method": method.upper(),
        "path": path,
        "tag": op["tags"][0],
        "parameters": params,
        "secured": bool(op.get("security")),
    }
    body = op.get("requestBody")
    if body:
        out["body"] = {"schema": _schema_of(body["content"]), "required": bool(body.get("required"))}
    success = {}
    for code, response in op["responses"].items():
        if code.startswith("2"):
            success[code] = _schema_of(response.get("content"))
    out["success"] = success
    out["error_codes"] = sorted(code for code in op["responses"] if not code.startswith("2"))
    out["privileges"] = parse_privileges(op.get("description", ""))
    query_names = {p["name"] for p in params if p["in"] == "query"}
    listing = [name for name in LIST_PARAMS if name in query_names]
    if listing:
        out["list_params"] = listing
    return out


def condense(spec: dict[str, Any]) -> dict[str, Any]:
    operations = []
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                operations.append(condense_operation(path, method, item[method]))
    operations.sort(key=lambda op: (op["path"], op["method"]))
    schemas = spec["components"]["schemas"]
    return {
        "release": spec["info"]["version"],
        "title": spec["info"]["title"],
        "openapi": spec["openapi"],
        "base_path": spec.get("servers", [{"url": "/rest"}])[0]["url"],
        "operations": operations,
        "schemas": {name: condense_schema(schema) for name, schema in sorted(schemas.items())},
        "list_fields": {
            name: facts for name, schema in sorted(schemas.items()) if (facts := list_facts(schema))
        },
    }


def render(spec_path: Path) -> str:
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    return json.dumps(condense(spec), sort_keys=True, separators=(",", ":")) + "\n"


def main(argv: list[str]) -> int:
    spec_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_SPEC
    out_path = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    out_path.write_text(render(spec_path), encoding="utf-8")
    print(f"wrote {out_path} ({out_path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
