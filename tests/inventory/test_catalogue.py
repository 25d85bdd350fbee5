"""Every operation of the pool, machine and session family, driven from the contract: a body that
misses what it requires is 400 naming the field, and a caller without the privilege gets 403 (or a
403 item for a bulk action); neither changes anything."""

from __future__ import annotations

import re

import pytest

from hzsim.contract import load_contract
from hzsim.operations import load_handlers
from tests.auth.test_privileges import grant
from tests.helpers import HorizonClient, assert_error_body
from tests.inventory.pools import dump

CONTRACT = load_contract()
FAMILY = re.compile(r"^/inventory/v\d+/(desktop-pools|machines|sessions|global-sessions|persistent-disks)")
OPERATIONS = sorted((op for op in CONTRACT.operations.values()
                     if op.operation_id in load_handlers() and FAMILY.match(op.path)),
                    key=lambda op: op.operation_id)


def concrete(path: str, world: dict) -> str:
    return "/rest" + (path.replace("{id}", world["machine"] if "/machines/" in path else world["pool"])
                      .replace("{taskId}", "t1"))


WITH_BODY = [op for op in OPERATIONS if op.body_schema is not None and op.body_required
             and op.operation_id not in ("deleteDesktopPool", "deleteDesktopPoolV7", "deleteDesktopPoolV8",
                                         "deleteMachine")]


@pytest.mark.parametrize("op", WITH_BODY, ids=[op.operation_id for op in WITH_BODY])
def test_a_body_missing_what_it_requires_is_400(api: HorizonClient, world: dict, op) -> None:
    schema = CONTRACT.resolve(op.body_schema)
    body = [] if schema.get("type") == "array" else {}
    before = dump(api)
    response = api.request(op.method, concrete(op.path, world), json=body)
    if schema.get("type") == "array":
        # An empty list is valid: nothing to do, an empty answer — or a refusal the pool's kind calls for.
        assert response.status_code in (200, 204) or response.json()["error_key"].startswith("inventory."), \
            response.text
    else:
        body = assert_error_body(response, 400)
        assert body["error_key"] in ("common.field.required", "inventory.desktop.pool.field.required")
    assert dump(api) == before


VIEWS = {"POOL_VIEW", "MACHINE_VIEW", "UDD_VIEW"}  # what the refused caller holds
GATED = [op for op in OPERATIONS if op.method != "GET"
         and ({p.name for p in op.privileges.required} - VIEWS
              or (op.privileges.any_of and not {p.name for p in op.privileges.any_of} & VIEWS))]


@pytest.mark.parametrize("op", GATED, ids=[op.operation_id for op in GATED])
def test_a_caller_without_the_privilege_is_refused(api: HorizonClient, world: dict, op) -> None:
    grant(api.client.app.sim, "viewer", ["POOL_VIEW", "MACHINE_VIEW", "UDD_VIEW"])
    viewer = HorizonClient(api.client)
    viewer.login(username="viewer", password="pw")
    before = dump(api)
    response = viewer.request(op.method, concrete(op.path, world), json=_valid_body(op, world))
    if response.status_code == 200:
        items = response.json()
        items = items.get("details", items) if isinstance(items, dict) else items
        assert items and all(item.get("status_code") in (403, 404) for item in items), response.text
    else:
        assert response.status_code in (400, 403), response.text
        if response.status_code == 400:  # refused by validation first: the privilege is never reached
            assert response.json()["error_key"].startswith("common.")
        else:
            assert_error_body(response, 403, "common.forbidden")
    assert dump(api) == before


def _valid_body(op, world: dict):
    """A body that passes validation, so that the privilege check is what refuses the call."""
    if op.body_schema is None:
        return None
    schema = CONTRACT.resolve(op.body_schema)
    if schema.get("type") == "array":
        item = CONTRACT.resolve(schema.get("items", {}))
        if item.get("type") == "string":
            return [world["machine"] if "/machines" in op.path or "/sessions" in op.path else world["pool"]]
        return []
    return {}
