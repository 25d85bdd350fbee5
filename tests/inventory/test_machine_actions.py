"""Machine actions through HTTP: maintenance, power, recover, delete, user assignment."""

from __future__ import annotations

import pytest

from tests.helpers import HorizonClient, assert_error_body
from tests.inventory.pools import instant_clone_spec, provisioned_pool, world_ids
from tests.inventory.test_pool_lifecycle import advance, machines_of, pool_named
from tests.inventory.test_sessions import logon

ACTIONS = "/rest/inventory/v1/machines/action"


@pytest.fixture
def pool(api: HorizonClient) -> dict:
    return provisioned_pool(api, 2, "m-{n}")


def states(api: HorizonClient, pool: dict) -> dict[str, str]:
    return {m["name"]: m["state"] for m in machines_of(api, pool["id"])}


def test_maintenance_keeps_a_machine_from_new_users(api: HorizonClient, pool: dict) -> None:
    first = machines_of(api, pool["id"])[0]
    results = api.post(f"{ACTIONS}/enter-maintenance", json=[first["id"], "nope"]).json()
    assert results[0] == {"id": first["id"], "status_code": 200} and results[1]["status_code"] == 404
    assert states(api, pool)["m-1"] == "MAINTENANCE"
    assert machines_of(api, pool["id"])[0]["managed_machine_data"]["in_maintenance_mode"] is True
    session = logon(api, "EXAMPLE\\user001", pool).json()
    assert session["machine_id"] != first["id"]
    assert_error_body(logon(api, "EXAMPLE\\user002", pool), 400, "hzsim.user.session.no.machine")
    again = api.post(f"{ACTIONS}/enter-maintenance", json=[first["id"]]).json()[0]
    assert again["errors"][0]["error_key"] == "inventory.machine.already.in.maintenance"
    assert api.post(f"{ACTIONS}/exit-maintenance", json=[first["id"]]).json()[0]["status_code"] == 200
    assert logon(api, "EXAMPLE\\user002", pool).json()["machine_id"] == first["id"]


def test_a_machine_in_use_enters_maintenance_when_its_user_leaves(api: HorizonClient, pool: dict) -> None:
    session = logon(api, "EXAMPLE\\user001", pool).json()
    api.post(f"{ACTIONS}/enter-maintenance", json=[session["machine_id"]])
    assert states(api, pool)["m-1"] == "CONNECTED"
    api.client.delete(f"/hzsim/v1/user-sessions/{session['id']}")
    assert states(api, pool)["m-1"] == "MAINTENANCE"


def test_restart_a_machine(api: HorizonClient, pool: dict) -> None:
    machine = machines_of(api, pool["id"])[1]
    assert api.post(f"{ACTIONS}/restart", json=[machine["id"]]).json()[0]["status_code"] == 200
    assert states(api, pool)["m-2"] == "IN_PROGRESS"
    advance(api, 61)
    assert states(api, pool)["m-2"] == "AVAILABLE"


def test_recover_a_failed_machine(api: HorizonClient) -> None:
    ids = world_ids(api)
    api.client.post("/hzsim/v1/faults", json={"kind": "clone_failure", "times": "once"})
    api.post("/rest/inventory/v8/desktop-pools", json=instant_clone_spec(ids, machines=1, stop_provisioning_on_error=False,
             pattern_naming_settings={"naming_pattern": "r-{n}", "max_number_of_machines": 1}))
    advance(api, 400)
    pool = pool_named(api, "IC-Win11")
    machine = machines_of(api, pool["id"])[0]
    assert machine["state"] == "PROVISIONING_ERROR"
    healthy = api.post(f"{ACTIONS}/recover", json=[machine["id"]]).json()[0]
    assert healthy["status_code"] == 200
    advance(api, 120)
    recovered = machines_of(api, pool["id"])[0]
    assert recovered["state"] == "AVAILABLE" and "clone_error_message" not in recovered["managed_machine_data"]
    refused = api.post(f"{ACTIONS}/recover", json=[machine["id"]]).json()[0]
    assert refused["errors"][0]["error_key"] == "inventory.machine.invalid.state"
    rebuild = api.post(f"{ACTIONS}/rebuild", json=[machine["id"]]).json()[0]
    assert rebuild["errors"][0]["error_key"] == "inventory.machine.rebuild.not.supported"


def test_delete_machines_and_the_pool_refills(api: HorizonClient, pool: dict) -> None:
    session = logon(api, "EXAMPLE\\user001", pool).json()
    machines = machines_of(api, pool["id"])
    results = api.delete("/rest/inventory/v1/machines", json={"machine_ids": [m["id"] for m in machines]}).json()
    by_id = {r["id"]: r for r in results}
    assert by_id[session["machine_id"]]["errors"][0]["error_key"] == "inventory.machine.has.session"
    free = next(m for m in machines if m["id"] != session["machine_id"])
    assert by_id[free["id"]]["status_code"] == 200
    advance(api, 20)
    assert free["id"] not in {m["id"] for m in machines_of(api, pool["id"])}
    advance(api, 120)
    assert sorted(states(api, pool).values()) == ["AVAILABLE", "CONNECTED"]  # the pool keeps its size
    forced = api.delete(f"/rest/inventory/v1/machines/{session['machine_id']}", json={"force_logoff_session": True})
    assert forced.status_code == 204


def test_users_are_assigned_only_in_dedicated_pools(api: HorizonClient, pool: dict) -> None:
    machine = machines_of(api, pool["id"])[0]
    user = api.get("/rest/external/v1/ad-users-or-groups?page=1&size=1").json()[0]["id"]
    assert_error_body(api.post(f"/rest/inventory/v1/machines/{machine['id']}/action/assign-users", json=[user]), 400,
                      "inventory.machine.floating.assignment")


def test_machine_prefix_availability(api: HorizonClient, pool: dict) -> None:
    check = "/rest/inventory/v1/machines/action/check-name-availability"
    assert api.post(check, json={"name": "m-"}).json() == {"available": False}
    assert api.post(check, json={"name": "zz-"}).json() == {"available": True}


def test_aliases(api: HorizonClient, pool: dict) -> None:
    machine = machines_of(api, pool["id"])[0]
    user = api.get("/rest/external/v1/ad-users-or-groups?page=1&size=1").json()[0]["id"]
    url = f"/rest/inventory/v1/machines/{machine['id']}/action"
    assert api.post(f"{url}/assign-aliases", json=[{"ad_user_id": user, "alias_name": "My Desk"}]).json() == [
        {"id": user, "status_code": 200}]
    assert api.get(f"/rest/inventory/v5/machines/{machine['id']}").json()["aliases"] == [
        {"ad_user_id": user, "alias_name": "My Desk"}]
    assert api.post(f"{url}/unassign-aliases", json=[user]).json()[0]["status_code"] == 200
    assert api.post(f"{url}/unassign-aliases", json=[user]).json()[0]["errors"][0]["error_key"] == \
        "inventory.machine.alias.not.assigned"


def test_specified_names(api: HorizonClient) -> None:
    ids = world_ids(api)
    spec = instant_clone_spec(ids, naming_method="SPECIFIED", user_assignment="DEDICATED",
                              specific_naming_settings={"specified_names": [{"name": "desk-a"}, {"name": "desk-b"}]})
    spec.pop("pattern_naming_settings")
    assert api.post("/rest/inventory/v8/desktop-pools", json=spec).status_code == 201
    advance(api, 400)
    pool = next(p for p in api.get("/rest/inventory/v8/desktop-pools").json() if p["name"] == "IC-Win11")
    assert sorted(states(api, pool)) == ["desk-a", "desk-b"]
    user = api.get("/rest/external/v1/ad-users-or-groups?page=1&size=1").json()[0]["id"]
    added = api.post(f"/rest/inventory/v1/desktop-pools/{pool['id']}/action/add-machines-by-name",
                     json=[{"name": "desk-c", "user_id": user}, {"name": "desk-a"}, {"name": "way-too-long-name"}])
    assert [r["status_code"] for r in added.json()] == [200, 400, 400]
    advance(api, 120)
    machines = {m["name"]: m for m in machines_of(api, pool["id"])}
    assert sorted(machines) == ["desk-a", "desk-b", "desk-c"] and machines["desk-c"]["user_ids"] == [user]
    checked = api.post("/rest/inventory/v1/desktop-pools/action/validate-specified-names", json={
        "id": pool["id"], "names_spec": [{"machine_name": "desk-d", "user_name": "EXAMPLE\\user001"},
                                         {"machine_name": "desk-a"}, {"machine_name": "bad name!"},
                                         {"machine_name": "desk-e", "user_name": "EXAMPLE\\nobody"}]}).json()
    assert [c["specified_names_statuses"] for c in checked] == [["SUCCESS"], ["DUPLICATE_VM_NAME"],
                                                                ["INVALID_VM_NAME"], ["INVALID_USER_NAME"]]
    assert checked[0]["user_id"].startswith("S-1-5-21-")


def test_remove_machines_from_a_manual_pool(api: HorizonClient, tmp_path) -> None:
    assert api.client.post("/hzsim/v1/reset", json={"scenario": "default"}).status_code == 200
    advance(api, 60)
    pool = next(p for p in api.get("/rest/inventory/v8/desktop-pools").json() if p["name"] == "Manual-Desks")
    machines = machines_of(api, pool["id"])
    assert len(machines) == 5
    result = api.post(f"/rest/inventory/v1/desktop-pools/{pool['id']}/action/remove-machines",
                      json=[machines[0]["id"], "nope"]).json()
    assert [r["status_code"] for r in result] == [200, 404]
    assert len(machines_of(api, pool["id"])) == 4
    vc = api.get("/rest/config/v2/virtual-centers").json()[0]["id"]
    vms = {v["name"]: v for v in api.get(f"/rest/external/v1/virtual-machines?vcenter_id={vc}").json()}
    assert vms[machines[0]["name"]].get("incompatible_reasons", []) == []  # the VM is free again
    again = api.post(f"/rest/inventory/v1/desktop-pools/{pool['id']}/action/add-machines",
                     json=[vms[machines[0]["name"]]["id"]]).json()
    assert again[0]["status_code"] == 200


def test_unentitled_machines(api: HorizonClient) -> None:
    assert api.client.post("/hzsim/v1/reset", json={"scenario": "default"}).status_code == 200
    advance(api, 60)
    pool = next(p for p in api.get("/rest/inventory/v8/desktop-pools").json() if p["name"] == "Manual-Desks")
    machine = machines_of(api, pool["id"])[0]
    users = {u["login_name"]: u["id"] for u in api.get("/rest/external/v1/ad-users-or-groups?page=1&size=200").json()}
    api.post(f"/rest/inventory/v1/machines/{machine['id']}/action/assign-users", json=[users["user001"]])
    unentitled = api.get("/rest/inventory/v1/machines/unentitled").json()
    assert [(m["name"], m["unentitled_assigned_users"]) for m in unentitled] == [(machine["name"], [users["user001"]])]
    api.post("/rest/entitlements/v1/desktop-pools", json=[{"id": pool["id"], "ad_user_or_group_ids": [users["user001"]]}])
    assert api.get("/rest/inventory/v1/machines/unentitled").json() == []
    api.delete("/rest/entitlements/v1/desktop-pools", json=[{"id": pool["id"], "ad_user_or_group_ids": [users["user001"]]}])
    by_pool = api.get("/rest/inventory/v1/machines/unentitled?filter=%7B%22type%22%3A%22Equals%22%2C%22name%22%3A"
                      "%22desktop_pool_name%22%2C%22value%22%3A%22Manual-Desks%22%7D").json()
    assert [m["id"] for m in by_pool] == [machine["id"]]
