"""The OpenAPI document served at /rest/v1/api-docs, built from the shipped contract."""

from __future__ import annotations

from typing import Any

from hzsim.contract.model import Contract


def openapi_document(contract: Contract) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in contract.operations.values():
        entry: dict[str, Any] = {"operationId": op.operation_id, "tags": [op.tag]}
        if op.parameters:
            entry["parameters"] = [
                {"name": p.name, "in": p.location, "required": p.required or p.location == "path", "schema": p.schema}
                for p in op.parameters
            ]
        if op.body_schema is not None:
            entry["requestBody"] = {"required": op.body_required,
                                    "content": {"application/json": {"schema": op.body_schema}}}
        responses: dict[str, Any] = {}
        for code, schema in op.success.items():
            responses[str(code)] = {"description": "OK"}
            if schema is not None:
                responses[str(code)]["content"] = {"*/*": {"schema": schema}}
        entry["responses"] = responses
        if op.secured:
            entry["security"] = [{"Bearer": []}]
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.0.1",
        "info": {"title": contract.title, "version": contract.release},
        "servers": [{"url": contract.base_path}],
        "security": [{"Bearer": []}],
        "paths": paths,
        "components": {
            "schemas": contract.schemas,
            "securitySchemes": {"Bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
