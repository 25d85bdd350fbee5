"""JSON responses and Horizon's error body."""

from __future__ import annotations

import time
from http import HTTPStatus
from typing import Any

import orjson
from starlette.responses import Response

from hzsim.errors import ErrorDetail, HorizonError


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def status_name(status: int) -> str:
    try:
        return HTTPStatus(status).name
    except ValueError:
        return str(status)


def error_body(status: int, error_key: str, message: str, details: list[ErrorDetail] | None = None) -> dict:
    details = details or [ErrorDetail(error_key, message)]
    return {
        "status": status_name(status),
        "timestamp": int(time.time() * 1000),
        "error_key": error_key,
        "error_message": message,
        "errors": [{"error_key": d.error_key, "error_message": d.error_message} for d in details],
    }


def error_response(error: HorizonError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(error.status, error.error_key, error.message, error.details),
                        status_code=error.status, headers=headers)
