"""Request validation from the contract, the leniencies real clients rely on, and error bodies."""

from __future__ import annotations

import time

import pytest

from hzsim.errors import HorizonError
from hzsim.operations import HANDLERS, Handler
from tests.helpers import HorizonClient, assert_error_body

PUSH = "/rest/inventory/v1/desktop-pools/p1/action/schedule-push-image"


def test_malformed_json_is_400(api: HorizonClient) -> None:
    response = api.post(PUSH, content=b'{"logoff_policy": ', headers={"Content-Type": "application/json"})
    assert_error_body(response, 400, "common.invalid.json")


def test_missing_body_is_400(api: HorizonClient) -> None:
    assert_error_body(api.post(PUSH), 400, "common.body.required")


def test_missing_required_field_names_the_field(api: HorizonClient) -> None:
    body = assert_error_body(api.post(PUSH, json={"start_time": 1}), 400, "common.field.required")
    assert "logoff_policy" in body["error_message"]


def test_unknown_enum_value_names_the_field(api: HorizonClient) -> None:
    body = assert_error_body(api.post(PUSH, json={"logoff_policy": "LATER"}), 400, "common.field.invalid.value")
    assert "logoff_policy" in body["error_message"] and "WAIT_FOR_LOGOFF" in body["error_message"]


def test_wrong_type_names_the_field(api: HorizonClient) -> None:
    body = assert_error_body(api.post(PUSH, json={"logoff_policy": "FORCE_LOGOFF", "stop_on_first_error": "yes"}),
                             400, "common.field.invalid.type")
    assert "stop_on_first_error" in body["error_message"]


def test_every_violation_is_listed_in_errors(api: HorizonClient) -> None:
    body = assert_error_body(api.post(PUSH, json={"logoff_policy": 5, "add_virtual_tpm": "no"}), 400)
    assert len(body["errors"]) == 2


def test_nested_fields_are_named_by_their_path(api: HorizonClient) -> None:
    body = assert_error_body(api.post("/rest/inventory/v1/desktop-pools", json={
        "name": "p", "type": "AUTOMATED", "source": "INSTANT_CLONE",
        "provisioning_settings": {"parent_vm_id": 7}}), 400)
    assert any("provisioning_settings.parent_vm_id" in e["error_message"] for e in body["errors"])


def test_duplicate_ids_are_refused(api: HorizonClient) -> None:
    body = assert_error_body(api.post("/rest/inventory/v1/desktop-pools/p1/action/add-machines",
                                      json=["m1", "m1"]), 400)
    assert body["error_key"] == "common.field.duplicate.items"


def test_fractional_start_time_is_accepted(api: HorizonClient) -> None:
    # Validation lets the float through: the handler looks for the (unknown) pool.
    response = api.post(PUSH, json={"logoff_policy": "FORCE_LOGOFF", "start_time": time.time() * 1000})
    assert_error_body(response, 404, "inventory.desktop.pool.not.found")


@pytest.mark.parametrize("content_type", [None, "*/*", "application/json; charset=utf-8", "text/plain"])
def test_json_bodies_with_any_content_type(anonymous: HorizonClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = anonymous.post("/rest/login", auth=False, headers=headers,
                              content=b'{"domain":"EXAMPLE","username":"administrator","password":"hzsim"}')
    assert response.status_code == 200, response.text


def vcenter_id(api: HorizonClient) -> str:
    return api.get("/rest/config/v2/virtual-centers").json()[0]["id"]


@pytest.mark.parametrize("value", ["true", "True", "TRUE", "false", "False"])
def test_query_booleans_in_any_case(api: HorizonClient, value: str) -> None:
    response = api.get(f"/rest/external/v1/base-vms?vcenter_id={vcenter_id(api)}&filter_incompatible_vms={value}")
    assert response.status_code == 200


def test_bad_query_boolean_is_400(api: HorizonClient) -> None:
    response = api.get(f"/rest/external/v1/base-vms?vcenter_id={vcenter_id(api)}&filter_incompatible_vms=maybe")
    body = assert_error_body(response, 400, "common.query.param.invalid")
    assert "filter_incompatible_vms" in body["error_message"]


def test_required_query_parameter_is_400(api: HorizonClient) -> None:
    body = assert_error_body(api.get("/rest/external/v1/base-vms"), 400, "common.query.param.required")
    assert "vcenter_id" in body["error_message"]


def answer_with(api: HorizonClient, handler) -> object:
    """Call listUnentitledMachines with `handler` standing in for whatever handles it."""
    before = HANDLERS.get("listUnentitledMachines")
    HANDLERS["listUnentitledMachines"] = Handler(handler)
    try:
        return api.get("/rest/inventory/v1/machines/unentitled")
    finally:
        if before is None:
            del HANDLERS["listUnentitledMachines"]
        else:
            HANDLERS["listUnentitledMachines"] = before


def test_unexpected_failure_is_a_500_with_the_error_body_and_no_traceback(api: HorizonClient) -> None:
    def explode(_request):
        raise ZeroDivisionError("secret internals")

    response = answer_with(api, explode)
    body = assert_error_body(response, 500, "common.internal.error")
    assert "secret" not in response.text and "ZeroDivision" not in response.text
    assert body["status"] == "INTERNAL_SERVER_ERROR"


def test_domain_errors_carry_status_name_and_key(api: HorizonClient) -> None:
    def refuse(_request):
        raise HorizonError("inventory.something.wrong", "Nope.", status=409)

    response = answer_with(api, refuse)
    body = assert_error_body(response, 409, "inventory.something.wrong")
    assert body["status"] == "CONFLICT" and body["errors"] == [
        {"error_key": "inventory.something.wrong", "error_message": "Nope."}]


def test_api_docs_describe_release_2312(anonymous: HorizonClient) -> None:
    response = anonymous.get("/rest/v1/api-docs", auth=False)
    assert response.status_code == 200
    doc = response.json()
    assert doc["info"]["version"] == "2312" and doc["openapi"].startswith("3.0")
    operations = [op for item in doc["paths"].values() for op in item.values()]
    assert len(operations) == 654
    assert doc["paths"]["/inventory/v1/desktop-pools/{id}/action/schedule-push-image"]["post"][
        "operationId"] == "schedulePushImage"
    assert "description" not in doc["paths"]["/login"]["post"]
