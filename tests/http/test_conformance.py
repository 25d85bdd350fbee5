"""Every operation of the contract is routed; unauthenticated calls get 401; nothing answers 500."""

from __future__ import annotations

import re

import pytest

from hzsim.contract import load_contract
from tests.helpers import HorizonClient, assert_error_body

OPERATIONS = sorted(load_contract().operations.values(), key=lambda op: (op.path, op.method))


def concrete(path: str) -> str:
    return "/rest" + re.sub(r"\{[^}]+\}", "x1", path)


def test_the_walk_covers_every_operation() -> None:
    assert len(OPERATIONS) == 654
    assert sum(op.tag == "Inventory" for op in OPERATIONS) == 255


def test_every_secured_operation_needs_a_token(anonymous: HorizonClient) -> None:
    for op in OPERATIONS:
        if not op.secured:
            continue
        response = anonymous.request(op.method, concrete(op.path), json={})
        assert response.status_code == 401, (op.operation_id, response.status_code, response.text)
        assert_error_body(response, 401, "common.authentication.required")


def test_every_operation_is_routed_and_never_fails_with_500(api: HorizonClient) -> None:
    for op in OPERATIONS:
        response = api.request(op.method, concrete(op.path), json={})
        assert response.status_code not in (404, 405, 500) or (
            response.status_code == 404 and response.json()["error_key"] != "common.path.not.found"
        ), (op.operation_id, response.status_code, response.text)


def test_unimplemented_operations_answer_501_never_a_fake_success(api: HorizonClient) -> None:
    from hzsim.operations import load_handlers

    handlers = load_handlers()
    missing = [op for op in OPERATIONS if op.operation_id not in handlers]
    assert missing, "every operation has a handler: this test can go"
    for op in missing:
        if op.body_schema is not None:
            continue  # a body-less call would be refused by validation first
        response = api.request(op.method, concrete(op.path))
        if response.status_code == 400:
            assert response.json()["error_key"].startswith("common.query.param"), response.text
            continue
        assert_error_body(response, 501, "hzsim.operation.not.implemented")
        assert op.operation_id in response.json()["error_message"]


@pytest.mark.parametrize("path", ["/rest/nothing-here", "/rest/inventory/v99/desktop-pools",
                                  "/rest/inventory/v1/desktop-pools/x/y/z"])
def test_paths_outside_the_contract_are_404(api: HorizonClient, path: str) -> None:
    assert_error_body(api.get(path), 404, "common.path.not.found")


def test_a_method_the_path_does_not_have_is_405(api: HorizonClient) -> None:
    response = api.request("PATCH", "/rest/inventory/v1/desktop-pools")
    assert_error_body(response, 405, "common.method.not.allowed")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "POST"}


def test_literal_segments_win_over_path_parameters(api: HorizonClient) -> None:
    # /machines/agent-upgrade-tasks is its own operation, not getMachine with id "agent-upgrade-tasks".
    response = api.get("/rest/inventory/v1/machines/agent-upgrade-tasks")
    assert response.status_code == 200 and response.json() == []
