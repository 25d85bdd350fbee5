"""Users log on and off through the control API; sessions and machines follow, through HTTP."""

from __future__ import annotations

import pytest

from tests.helpers import HorizonClient, assert_error_body
from tests.inventory.pools import provisioned_pool
from tests.inventory.test_pool_lifecycle import advance, machines_of

SESSIONS = "/rest/inventory/v1/sessions"


@pytest.fixture
def pool(api: HorizonClient) -> dict:
    return provisioned_pool(api, 3, "s-{n}")


def logon(api: HorizonClient, user: str, pool: dict) -> object:
    return api.client.post("/hzsim/v1/user-sessions", json={"user": user, "desktop_pool_id": pool["id"]})


def test_logon_disconnect_reconnect_logoff(api: HorizonClient, pool: dict) -> None:
    response = logon(api, "EXAMPLE\\user001", pool)
    assert response.status_code == 201
    session = response.json()
    assert session["session_state"] == "CONNECTED"
    machine = next(m for m in machines_of(api, pool["id"]) if m["id"] == session["machine_id"])
    assert machine["state"] == "CONNECTED"
    listed = api.get(SESSIONS).json()
    assert [s["id"] for s in listed] == [session["id"]]
    assert api.get("/rest/inventory/v2/sessions").json()[0]["user_id"] == session["user_id"]
    assert api.get(f"{SESSIONS}/{session['id']}").json()["machine_id"] == machine["id"]

    assert api.client.post(f"/hzsim/v1/user-sessions/{session['id']}/disconnect").status_code == 204
    assert api.get(f"{SESSIONS}/{session['id']}").json()["session_state"] == "DISCONNECTED"
    assert next(m for m in machines_of(api, pool["id"]) if m["id"] == machine["id"])["state"] == "DISCONNECTED"
    again = logon(api, "user001@example.com", pool).json()
    assert again["id"] == session["id"] and again["session_state"] == "CONNECTED"

    assert api.client.delete(f"/hzsim/v1/user-sessions/{session['id']}").status_code == 204
    assert api.get(SESSIONS).json() == []
    assert next(m for m in machines_of(api, pool["id"]) if m["id"] == machine["id"])["state"] == "AVAILABLE"


def test_only_entitled_users_get_a_machine_and_only_while_one_is_free(api: HorizonClient, pool: dict) -> None:
    body = assert_error_body(logon(api, "EXAMPLE\\helpdesk", pool), 400, "hzsim.user.session.not.entitled")
    assert "helpdesk" in body["error_message"]
    for n in (1, 2, 3):
        assert logon(api, f"EXAMPLE\\user00{n}", pool).status_code == 201
    assert_error_body(logon(api, "EXAMPLE\\user004", pool), 400, "hzsim.user.session.no.machine")
    assert_error_body(logon(api, "EXAMPLE\\nobody", pool), 404, "hzsim.user.not.found")


def test_api_logoff_needs_force_for_a_locked_session(api: HorizonClient, pool: dict) -> None:
    session = logon(api, "EXAMPLE\\user001", pool).json()
    api.client.post(f"/hzsim/v1/user-sessions/{session['id']}/disconnect")
    refused = api.post(f"{SESSIONS}/action/logoff", json=[session["id"], "nope"]).json()
    assert refused[0]["status_code"] == 400 and refused[0]["errors"][0]["error_key"] == "inventory.session.locked"
    assert refused[1]["status_code"] == 404
    done = api.post(f"{SESSIONS}/action/logoff?forced=true", json=[session["id"]]).json()
    assert done == [{"id": session["id"], "status_code": 200}]
    assert api.get(SESSIONS).json() == []


def test_disconnect_message_reset(api: HorizonClient, pool: dict) -> None:
    session = logon(api, "EXAMPLE\\user002", pool).json()
    assert api.post(f"{SESSIONS}/action/disconnect", json=[session["id"]]).json()[0]["status_code"] == 200
    again = api.post(f"{SESSIONS}/action/disconnect", json=[session["id"]]).json()[0]
    assert again["errors"][0]["error_key"] == "inventory.session.not.connected"
    sent = api.post(f"{SESSIONS}/action/send-message", json={"session_ids": [session["id"]], "message": "Save now",
                                                              "message_type": "WARNING"}).json()
    assert sent[0]["status_code"] == 200
    messages = api.client.get(f"/hzsim/v1/user-sessions/{session['id']}").json()["messages"]
    assert messages[0]["message"] == "Save now" and messages[0]["message_type"] == "WARNING"
    assert api.post(f"{SESSIONS}/action/reset", json=[session["id"]]).json()[0]["status_code"] == 200
    machine = next(m for m in machines_of(api, pool["id"]) if m["id"] == session["machine_id"])
    assert machine["state"] == "IN_PROGRESS"
    advance(api, 61)
    machine = next(m for m in machines_of(api, pool["id"]) if m["id"] == session["machine_id"])
    assert machine["state"] == "AVAILABLE"


def test_delete_with_and_without_the_session_check(api: HorizonClient, pool: dict) -> None:
    logon(api, "EXAMPLE\\user001", pool)
    url = f"/rest/inventory/v8/desktop-pools/{pool['id']}"
    assert_error_body(api.delete(f"{url}?enforce_associated_session_check=true"), 400,
                      "inventory.desktop.pool.has.sessions")
    assert api.get(url).json()["delete_in_progress"] is False
    assert api.delete(url).status_code == 204
    advance(api, 30)
    assert_error_body(api.get(url), 404, "inventory.desktop.pool.not.found")
    assert api.get(SESSIONS).json() == []


def test_a_power_fault_fails_the_reset_of_that_session_only(api: HorizonClient, pool: dict) -> None:
    first = logon(api, "EXAMPLE\\user001", pool).json()
    second = logon(api, "EXAMPLE\\user002", pool).json()
    api.client.post("/hzsim/v1/faults", json={"kind": "power_operation_failure", "target": first["machine_id"],
                                              "times": "once", "message": "Host not responding"})
    results = api.post(f"{SESSIONS}/action/restart", json=[first["id"], second["id"]]).json()
    assert results[0]["status_code"] == 400
    assert results[0]["errors"][0] == {"error_key": "world.fault.power_operation_failure",
                                       "error_message": "Host not responding"}
    assert results[1]["status_code"] == 200
    assert [s["id"] for s in api.get(SESSIONS).json()] == [first["id"]]
    assert api.client.get("/hzsim/v1/faults").json() == []  # it fired its one time


def test_global_sessions_query_and_actions(api: HorizonClient, pool: dict) -> None:
    import json
    from urllib.parse import quote

    session = logon(api, "EXAMPLE\\user001", pool).json()
    logon(api, "EXAMPLE\\user002", pool)
    found = api.get("/rest/inventory/v1/global-sessions").json()
    assert len(found) == 2 and {s["desktop_pool_or_farm_name"] for s in found} == {"IC-Win11"}
    mine = api.get(f"/rest/inventory/v1/global-sessions?user_id={session['user_id']}").json()
    assert [s["id"] for s in mine] == [session["id"]]
    by_name = quote(json.dumps({"type": "StartsWith", "name": "desktop_pool_or_farm_name", "value": "ic-"}))
    assert len(api.get(f"/rest/inventory/v1/global-sessions?filter={by_name}&page=1&size=1").json()) == 1
    pod = found[0]["pod_id"]
    result = api.post("/rest/inventory/v1/global-sessions/action/disconnect",
                      json=[{"pod_id": pod, "ids": [session["id"]]}, {"pod_id": "elsewhere", "ids": ["x"]}]).json()
    assert result[0]["status_code"] == 200 and result[0]["details"] == [{"id": session["id"], "status_code": 200}]
    assert result[1]["status_code"] == 404
    logged_off = api.post("/rest/inventory/v1/global-sessions/action/logoff?forced=true",
                          json=[{"pod_id": pod, "ids": [session["id"]]}]).json()
    assert logged_off[0]["details"][0]["status_code"] == 200
    assert len(api.get("/rest/inventory/v1/global-sessions").json()) == 1


def test_on_demand_pools_grow_as_users_log_on(api: HorizonClient) -> None:
    from tests.inventory.pools import instant_clone_spec, world_ids

    ids = world_ids(api)
    api.post("/rest/inventory/v8/desktop-pools", json=instant_clone_spec(ids, pattern_naming_settings={
        "naming_pattern": "od-{n}", "max_number_of_machines": 5, "min_number_of_machines": 1,
        "number_of_spare_machines": 1, "provisioning_time": "ON_DEMAND"}))
    advance(api, 400)
    pool = next(p for p in api.get("/rest/inventory/v8/desktop-pools").json() if p["name"] == "IC-Win11")
    assert len(machines_of(api, pool["id"])) == 1  # the minimum, which is also the one spare
    group = next(g["id"] for g in api.get("/rest/external/v1/ad-users-or-groups?group_only=true").json()
                 if g["login_name"] == "VDI-Users")
    api.post("/rest/entitlements/v1/desktop-pools", json=[{"id": pool["id"], "ad_user_or_group_ids": [group]}])
    assert logon(api, "EXAMPLE\\user001", pool).status_code == 201
    advance(api, 120)
    assert len(machines_of(api, pool["id"])) == 2  # one in use, one spare again
    assert logon(api, "EXAMPLE\\user002", pool).status_code == 201
    advance(api, 120)
    assert sorted(m["state"] for m in machines_of(api, pool["id"])) == ["AVAILABLE", "CONNECTED", "CONNECTED"]
