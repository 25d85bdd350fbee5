"""Agent upgrades progress machine by machine over the clock, and fail under a fault."""

from __future__ import annotations

from tests.helpers import HorizonClient, assert_error_body
from tests.inventory.pools import provisioned_pool
from tests.inventory.test_pool_lifecycle import advance, machines_of
from tests.inventory.test_sessions import logon


def test_upgrade_task_progresses_and_counts_failures(api: HorizonClient) -> None:
    assert api.client.post("/hzsim/v1/reset", json={"scenario": "default"}).status_code == 200
    advance(api, 60)
    package = api.get("/rest/inventory/v1/agent-installer-packages").json()[1]  # the older release, 2309
    assert package["version"] == "2309.0.0"
    pool = next(p for p in api.get("/rest/inventory/v8/desktop-pools").json() if p["name"] == "Manual-Desks")
    machines = machines_of(api, pool["id"])
    now = api.client.get("/hzsim/v1/clock").json()["now"]
    api.client.post("/hzsim/v1/faults", json={"kind": "agent_upgrade_failure", "target": machines[0]["id"],
                                              "message": "Installer exit 1603"})
    response = api.post("/rest/inventory/v2/machines/action/schedule-agent-upgrade", json={
        "agent_installer_package_id": package["id"], "start_time": now + 60_000, "end_time": now + 3_600_000,
        "machine_or_rds_server_ids": [m["id"] for m in machines] + ["nope"], "batch_size": 2})
    body = response.json()
    assert [d["status_code"] for d in body["details"]] == [200] * 5 + [404]
    task_url = f"/rest/inventory/v2/machines/agent-upgrade-tasks/{body['task_id']}"
    assert api.get(task_url).json()["state"] == "SCHEDULED"
    advance(api, 61)
    task = api.get(task_url).json()
    assert len(task["in_progress_machine_or_rds_server_ids"]) == 2 and task["state"] == "IN_PROGRESS"
    assert machines_of(api, pool["id"])[0]["agent_upgrade_state"] == "DOWNLOAD"
    advance(api, 600)
    task = api.get(task_url).json()
    assert task["state"] == "COMPLETED"
    assert task["failed_machine_or_rds_server_ids"] == [machines[0]["id"]]
    assert len(task["succeeded_machine_or_rds_server_ids"]) == 4
    after = {m["id"]: m for m in machines_of(api, pool["id"])}
    assert after[machines[0]["id"]]["agent_upgrade_result"] == "FAILURE"
    assert after[machines[0]["id"]]["agent_upgrade_error_message"] == "Installer exit 1603"
    assert after[machines[1]["id"]]["agent_version"] == "2309.0.0"
    assert after[machines[1]["id"]]["agent_upgrade_result"] == "OK"
    assert [t["id"] for t in api.get("/rest/inventory/v1/machines/agent-upgrade-tasks").json()] == [body["task_id"]]


def test_cancel_a_pending_upgrade(api: HorizonClient) -> None:
    pool = provisioned_pool(api, 2, "ag-{n}")
    machines = machines_of(api, pool["id"])
    session = logon(api, "EXAMPLE\\user001", pool).json()
    package = api.get("/rest/inventory/v1/agent-installer-packages").json()[0]
    now = api.client.get("/hzsim/v1/clock").json()["now"]
    body = api.post("/rest/inventory/v1/machines/action/schedule-agent-upgrade", json={
        "agent_installer_package_id": package["id"], "start_time": now + 600_000, "end_time": now + 3_600_000,
        "machine_ids": [m["id"] for m in machines], "skip_for_logged_in_users": True}).json()
    cancelled = api.post("/rest/inventory/v1/machines/action/cancel-agent-upgrade", json=[machines[0]["id"]]).json()
    assert cancelled == [{"id": machines[0]["id"], "status_code": 200}]
    advance(api, 900)
    task = api.get(f"/rest/inventory/v1/machines/agent-upgrade-tasks/{body['task_id']}").json()
    assert task["cancelled_machine_or_rds_server_ids"] == [machines[0]["id"]]
    in_use = session["machine_id"] == machines[1]["id"]
    assert (task["skipped_machine_or_rds_server_ids"] == [machines[1]["id"]]) is in_use
    assert_error_body(api.get("/rest/inventory/v1/machines/agent-upgrade-tasks/nope"), 404,
                      "inventory.agent.upgrade.task.not.found")
