"""The default scenario's pools come up through the same code paths as the API, in simulated time."""

from __future__ import annotations

from tests.helpers import HorizonClient


def test_default_scenario_pools_provision_and_users_log_on(api: HorizonClient) -> None:
    assert api.client.post("/hzsim/v1/reset", json={"scenario": "default"}).status_code == 200
    pools = {p["name"]: p for p in api.get("/rest/inventory/v8/desktop-pools").json()}
    assert set(pools) == {"IC-Win11", "IC-Win11-Dedicated", "Manual-Desks"}
    assert pools["IC-Win11"]["provisioning_status_data"]["instant_clone_operation"] == "INITIAL_PUBLISH"
    api.client.post("/hzsim/v1/clock/advance", json={"seconds": 30 * 60})
    machines = api.get("/rest/inventory/v5/machines").json()
    by_pool: dict[str, list[dict]] = {}
    for machine in machines:
        by_pool.setdefault(machine["desktop_pool_id"], []).append(machine)
    floating = by_pool[pools["IC-Win11"]["id"]]
    assert len(floating) == 50
    assert sorted(m["state"] for m in floating).count("CONNECTED") == 20
    assert {m["state"] for m in floating} == {"AVAILABLE", "CONNECTED"}
    assert len(by_pool[pools["IC-Win11-Dedicated"]["id"]]) == 20
    assert {m["state"] for m in by_pool[pools["Manual-Desks"]["id"]]} == {"AVAILABLE"}
    sessions = api.get("/rest/inventory/v2/sessions").json()
    assert len(sessions) == 20 and {s["session_state"] for s in sessions} == {"CONNECTED"}
    status = api.get(f"/rest/inventory/v8/desktop-pools/{pools['IC-Win11']['id']}").json()["provisioning_status_data"]
    assert status["instant_clone_current_image_state"] == "READY" and status["instant_clone_operation"] == "NONE"
    assert "last_provisioning_error" not in status

    pooladmin = HorizonClient(api.client)
    pooladmin.login(username="pooladmin", password="hzsim")
    assert [p["name"] for p in pooladmin.get("/rest/inventory/v8/desktop-pools").json()] == ["IC-Win11-Dedicated"]
    assert pooladmin.get("/rest/inventory/v5/machines").headers["X-TOTAL-COUNT"] == "20"
