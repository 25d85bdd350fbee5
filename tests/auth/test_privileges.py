"""Privileges from the contract's tables: a caller without them gets 403, and lists shrink."""

from __future__ import annotations

from hzsim.auth.principals import ROOT_ACCESS_GROUP, stable_id
from hzsim.simulator import Simulator
from tests.helpers import HorizonClient, assert_error_body
from tests.http.test_lists import seed_machines

ROOT = stable_id("local_access_group", ROOT_ACCESS_GROUP)


def grant(sim: Simulator, username: str, privileges: list[str], access_group_id: str = ROOT) -> str:
    """A user holding a custom role with `privileges` on one access group."""
    user_id = stable_id("ad_user", "example", username)
    role_id = stable_id("role", username, *privileges)
    with sim.store.transaction() as tx:
        if tx.get("ad_user", user_id) is None:
            tx.insert("ad_user", user_id, {"id": user_id, "domain": "EXAMPLE", "dns_domain": "example.com",
                                           "login_name": username, "password": "pw", "group": False})
        tx.insert("role", role_id, {"id": role_id, "name": f"{username}-{len(privileges)}", "privileges": privileges})
        permission_id = stable_id("permission", user_id, role_id, access_group_id)
        tx.insert("permission", permission_id, {"id": permission_id, "ad_user_or_group_id": user_id,
                                                "role_id": role_id, "local_access_group_id": access_group_id})
    return permission_id


def test_missing_required_privilege_is_403(anonymous: HorizonClient, sim: Simulator) -> None:
    grant(sim, "viewer", ["MACHINE_VIEW"])
    anonymous.login(username="viewer", password="pw")
    body = assert_error_body(anonymous.get("/rest/inventory/v1/desktop-pools"), 403, "common.forbidden")
    assert "POOL_VIEW" in body["error_message"]
    assert anonymous.get("/rest/inventory/v5/machines").status_code == 200


def test_at_least_one_of_the_listed_privileges(anonymous: HorizonClient, sim: Simulator) -> None:
    grant(sim, "config", ["GLOBAL_CONFIG_VIEW"])
    anonymous.login(username="config", password="pw")
    assert anonymous.get("/rest/inventory/v5/machines").status_code == 200  # MACHINE_VIEW or GLOBAL_CONFIG_VIEW
    grant(sim, "pools", ["POOL_VIEW"])
    anonymous.login(username="pools", password="pw")
    body = assert_error_body(anonymous.get("/rest/inventory/v5/machines"), 403, "common.forbidden")
    assert "MACHINE_VIEW" in body["error_message"]


def test_privilege_checks_come_after_validation(anonymous: HorizonClient, sim: Simulator) -> None:
    grant(sim, "viewer", ["MACHINE_VIEW"])
    anonymous.login(username="viewer", password="pw")
    push = "/rest/inventory/v1/desktop-pools/p1/action/schedule-push-image"
    assert_error_body(anonymous.post(push, json={}), 400, "common.field.required")
    assert_error_body(anonymous.post(push, json={"logoff_policy": "FORCE_LOGOFF"}), 403, "common.forbidden")


def test_a_user_without_any_permission_cannot_log_in(anonymous: HorizonClient, sim: Simulator) -> None:
    permission = grant(sim, "temp", ["MACHINE_VIEW"])
    with sim.store.transaction() as tx:
        tx.delete("permission", permission)
    response = anonymous.post("/rest/login", auth=False, json={"domain": "EXAMPLE", "username": "temp",
                                                               "password": "pw"})
    assert_error_body(response, 401, "login.invalid.credentials")


def test_losing_a_permission_takes_effect_at_once(anonymous: HorizonClient, sim: Simulator) -> None:
    permission = grant(sim, "viewer", ["MACHINE_VIEW", "POOL_VIEW"])
    grant(sim, "viewer", ["MACHINE_VIEW"])  # a second permission keeps the user able to log in
    anonymous.login(username="viewer", password="pw")
    assert anonymous.get("/rest/inventory/v1/desktop-pools").status_code == 200
    with sim.store.transaction() as tx:
        tx.delete("permission", permission)
    assert_error_body(anonymous.get("/rest/inventory/v1/desktop-pools"), 403, "common.forbidden")


def test_lists_shrink_to_the_groups_the_privilege_is_held_on(anonymous: HorizonClient, sim: Simulator) -> None:
    child = "child-group"
    seed_machines(sim, 4)
    seed_machines(sim, 2, access_group_id=child)
    grant(sim, "scoped", ["MACHINE_VIEW"], access_group_id=child)
    anonymous.login(username="scoped", password="pw")
    response = anonymous.get("/rest/inventory/v5/machines")
    assert response.headers["X-TOTAL-COUNT"] == "2"
    assert {m["access_group_id"] for m in response.json()} == {child}
