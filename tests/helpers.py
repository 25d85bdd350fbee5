"""Test helpers: an HTTP client that checks every 2xx body against the contract."""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlsplit

from starlette.testclient import TestClient

from hzsim.contract import load_contract
from hzsim.contract.validation import SchemaValidators
from hzsim.http.routing import Router

ADMIN = {"domain": "EXAMPLE", "username": "administrator", "password": "hzsim"}


@cache
def strict_validators() -> SchemaValidators:
    """Validators that also refuse properties the contract does not name."""
    return SchemaValidators(load_contract(), strict=True)


@cache
def router() -> Router:
    return Router(load_contract().operations.values())


def assert_matches_contract(method: str, url: str, status: int, body: Any) -> None:
    """A 2xx answer of a /rest operation must validate against its response schema."""
    path = urlsplit(url).path
    base = load_contract().base_path
    if not path.startswith(base + "/") or not 200 <= status < 300:
        return
    match = router().match(path[len(base):])
    if match is None or method not in match.operations:
        return
    op = match.operations[method]
    schema = op.success.get(status, "missing")
    assert schema != "missing", f"{op.operation_id} answered {status}, the contract allows {sorted(op.success)}"
    if schema is None:
        assert body in (None, b"", ""), f"{op.operation_id} answered a body where the contract has none"
        return
    errors = strict_validators().errors(schema, body)
    assert not errors, f"{op.operation_id} answer breaks the contract: {[e.error_message for e in errors]}"


class HorizonClient:
    """Wraps a TestClient: adds the bearer token and checks each 2xx answer against the contract."""

    def __init__(self, client: TestClient, token: str | None = None) -> None:
        self.client = client
        self.token = token

    def request(self, method: str, url: str, *, auth: bool = True, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", None) or {})
        if auth and self.token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        response = self.client.request(method, url, headers=headers, **kwargs)
        body = response.json() if response.content and "json" in response.headers.get("content-type", "") else (
            response.content or None)
        assert_matches_contract(method, url, response.status_code, body)
        if response.status_code >= 400:
            assert_error_body(response)
        return response

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Any:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.request("DELETE", url, **kwargs)

    def login(self, **credentials: Any) -> dict[str, str]:
        response = self.post("/rest/login", json={**ADMIN, **credentials}, auth=False)
        assert response.status_code == 200, response.text
        tokens = response.json()
        self.token = tokens["access_token"]
        return tokens


def assert_error_body(response: Any, status: int | None = None, error_key: str | None = None) -> dict[str, Any]:
    """Horizon's error body: status name, timestamp, error_key/message, and errors[]."""
    if status is not None:
        assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"status", "timestamp", "error_key", "error_message", "errors"}, body
    assert isinstance(body["timestamp"], int) and body["timestamp"] > 1_600_000_000_000
    assert body["errors"] and all(set(e) == {"error_key", "error_message"} for e in body["errors"])
    assert "Traceback" not in response.text
    if error_key is not None:
        assert body["error_key"] == error_key, body
    return body
