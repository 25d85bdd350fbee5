"""Domain errors carrying a Horizon error key; the HTTP layer turns them into error bodies.

Every key raised anywhere in hzsim is listed in docs/errors.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    error_key: str
    error_message: str


class HorizonError(Exception):
    """An answer other than success, with its HTTP status and Horizon error key."""

    status: int = 400

    def __init__(self, error_key: str, message: str, *, status: int | None = None,
                 details: list[ErrorDetail] | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.error_key = error_key
        self.message = message
        self.details = details or [ErrorDetail(error_key, message)]


class BadRequest(HorizonError):
    status = 400


class Unauthorized(HorizonError):
    status = 401


class Forbidden(HorizonError):
    status = 403


class NotFound(HorizonError):
    status = 404


class Conflict(HorizonError):
    status = 409


class NotImplementedOperation(HorizonError):
    status = 501

    def __init__(self, operation_id: str) -> None:
        super().__init__(
            "hzsim.operation.not.implemented",
            f"Operation {operation_id} is not implemented by hzsim yet.",
        )
