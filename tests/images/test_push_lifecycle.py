"""Schedule Push Image end to end through HTTP with the manual clock: what a client sees at
each step of schedule, publish, trigger, roll-out and end (docs/push-image.md)."""

from __future__ import annotations

import re

from tests.helpers import HorizonClient
from tests.images.helpers import (advance, get_pool, image_pool, logoff, logon, machines, now_ms,
                                  pool_status, push, tasks)

IMAGE_IN_DESCRIPTION = re.compile(r'to image "([^"]+)"')


def test_push_image_schedules_publishes_triggers_rolls_out_and_ends(api: HorizonClient) -> None:
    pool = image_pool(api, machines=4)
    ids = pool["ids"]
    start = now_ms(api) + 600_000
    assert push(api, pool, start_time=start + 0.7).status_code == 204

    # 1. schedule
    status = pool_status(api, pool)
    assert status["instant_clone_operation"] == "SCHEDULE_PUSH_IMAGE"
    assert status["instant_clone_pending_image_parent_vm_id"] == ids["vm"]
    assert status["instant_clone_pending_image_snapshot_id"] == ids["snapshot"]
    assert status["instant_clone_pending_image_state"] == "PENDING_PUBLISH"
    assert status["instant_clone_push_image_settings"] == {"logoff_policy": "WAIT_FOR_LOGOFF", "start_time": start,
                                                           "stop_on_first_error": True, "add_virtual_tpm": False}
    [task] = tasks(api, pool)
    assert task["operation"] == "PUSH_IMAGE" and task["schedule_time"] == start
    assert task["remaining_vmtask_count"] == 4
    assert task["description"].startswith("Changing 4 user(s) to image ")
    assert IMAGE_IN_DESCRIPTION.search(task["description"]).group(1).startswith("/")
    assert "will wait for users to log off before the push operation is started." in task["description"]
    for machine in machines(api, pool):
        data = machine["managed_machine_data"]
        assert (data["operation"], data["operation_state"]) == ("PUSH_IMAGE", "SCHEDULED")
        assert data["pending_base_vm_snapshot_id"] == ids["snapshot"]

    # 2. publish starts at once
    advance(api, 60)
    status = pool_status(api, pool)
    assert status["instant_clone_pending_image_state"] == "PUBLISHING"
    assert 0 < status["instant_clone_pending_image_progress"] < 100
    advance(api, 300)
    assert pool_status(api, pool)["instant_clone_pending_image_state"] == "READY"
    assert pool_status(api, pool)["instant_clone_operation"] == "SCHEDULE_PUSH_IMAGE"

    # 3. trigger at the start time
    advance(api, (start - now_ms(api)) / 1000)
    body = get_pool(api, pool)
    status = body["provisioning_status_data"]
    assert body["provisioning_settings"]["base_snapshot_id"] == ids["snapshot"]
    assert not any(k.startswith("instant_clone_pending") for k in status), status
    assert "last_provisioning_error" not in status
    # 4. roll-out
    states = {m["managed_machine_data"]["operation_state"] for m in machines(api, pool)}
    assert "CREATE" in states
    assert {m["state"] for m in machines(api, pool)} == {"PROVISIONING"}
    [task] = tasks(api, pool)
    assert task["remaining_vmtask_count"] == 4
    advance(api, 30)
    assert {m["managed_machine_data"]["operation_state"] for m in machines(api, pool)} == {"PROGRESSING"}
    assert {m["state"] for m in machines(api, pool)} == {"CUSTOMIZING"}
    advance(api, 30)
    # 7. end
    assert tasks(api, pool) == []
    for machine in machines(api, pool):
        data = machine["managed_machine_data"]
        assert "operation" not in data and "operation_state" not in data
        assert data["base_vm_snapshot_id"] == ids["snapshot"]
        assert machine["state"] == "AVAILABLE"
    status = pool_status(api, pool)
    assert status["instant_clone_operation"] == "NONE"
    assert status["instant_clone_current_image_state"] == "UNPUBLISHING"
    advance(api, 120)
    assert pool_status(api, pool)["instant_clone_current_image_state"] == "READY"
    assert "last_provisioning_error" not in pool_status(api, pool)


def test_sessions_wait_for_logoff_and_waiting_machines_are_handed_out_last(api: HorizonClient) -> None:
    pool = image_pool(api, machines=4)
    first = logon(api, "EXAMPLE\\user001", pool)
    second = logon(api, "EXAMPLE\\user002", pool)
    assert push(api, pool).status_code == 204
    advance(api, 330)  # published and triggered: the two free machines are recreated
    advance(api, 60)
    [task] = tasks(api, pool)
    assert task["remaining_vmtask_count"] == 2
    in_use = {first["machine_id"], second["machine_id"]}
    for machine in machines(api, pool):
        state = machine["managed_machine_data"]["operation_state"]
        assert state == ("SCHEDULED" if machine["id"] in in_use else "COMPLETED"), machine
    # a new user gets an updated machine, not one still waiting for its image
    third = logon(api, "EXAMPLE\\user003", pool)
    assert third["machine_id"] not in in_use
    updated = {m["id"] for m in machines(api, pool) if m["managed_machine_data"].get("operation_state") == "COMPLETED"}
    assert third["machine_id"] in updated
    logoff(api, first)
    advance(api, 1)
    waiting = {m["id"]: m for m in machines(api, pool)}[first["machine_id"]]
    assert waiting["state"] == "PROVISIONING" and waiting["managed_machine_data"]["operation_state"] == "CREATE"
    advance(api, 60)
    assert tasks(api, pool)[0]["remaining_vmtask_count"] == 1
    logoff(api, second)
    advance(api, 61)
    assert tasks(api, pool) == []
    assert {m["managed_machine_data"]["base_vm_snapshot_id"] for m in machines(api, pool)} == {pool["ids"]["snapshot"]}


def test_force_logoff_warns_then_logs_off_after_the_timeout(api: HorizonClient) -> None:
    pool = image_pool(api, machines=3)
    session = logon(api, "EXAMPLE\\user001", pool)
    assert push(api, pool, logoff_policy="FORCE_LOGOFF").status_code == 204
    [task] = tasks(api, pool)
    assert "will force users to log off" in task["description"]
    advance(api, 301)  # published at 300 s and triggered
    message = api.client.get(f"/hzsim/v1/user-sessions/{session['id']}").json()["messages"][-1]
    general = api.get("/rest/config/v1/settings/general").json()
    assert message["message"] == general["forced_logoff_message"]
    minutes = general["forced_logoff_timeout_minutes"]
    advance(api, minutes * 60 - 10)
    assert api.get(f"/rest/inventory/v1/sessions/{session['id']}").status_code == 200
    assert tasks(api, pool)[0]["remaining_vmtask_count"] == 1
    advance(api, 20)
    assert api.get(f"/rest/inventory/v1/sessions/{session['id']}").status_code == 404
    machine = {m["id"]: m for m in machines(api, pool)}[session["machine_id"]]
    assert machine["state"] in ("PROVISIONING", "CUSTOMIZING")
    advance(api, 60)
    assert tasks(api, pool) == []


def test_roll_out_is_bounded_by_the_instant_clone_engine_limit(api: HorizonClient) -> None:
    limit = api.get("/rest/config/v2/virtual-centers").json()[0]["limits"]["instant_clone_engine_provisioning_limit"]
    pool = image_pool(api, machines=limit + 5, pattern="b-{n}")
    assert push(api, pool).status_code == 204
    advance(api, 301)
    recreating = [m for m in machines(api, pool) if m["state"] in ("PROVISIONING", "CUSTOMIZING")]
    assert len(recreating) == limit
    assert tasks(api, pool)[0]["remaining_vmtask_count"] == limit + 5
    advance(api, 60)
    assert tasks(api, pool)[0]["remaining_vmtask_count"] == 5
    advance(api, 60)
    assert tasks(api, pool) == []


def test_machines_that_need_a_logoff_take_half_the_limit(api: HorizonClient) -> None:
    limit = api.get("/rest/config/v2/virtual-centers").json()[0]["limits"]["instant_clone_engine_provisioning_limit"]
    count = limit // 2 + 2
    pool = image_pool(api, machines=count, pattern="f-{n}")
    for number in range(1, count + 1):
        logon(api, f"EXAMPLE\\user{number:03d}", pool)
    assert push(api, pool, logoff_policy="FORCE_LOGOFF").status_code == 204
    minutes = api.get("/rest/config/v1/settings/general").json()["forced_logoff_timeout_minutes"]
    advance(api, 301 + minutes * 60 + 1)
    recreating = [m for m in machines(api, pool) if m["state"] in ("PROVISIONING", "CUSTOMIZING")]
    assert len(recreating) == limit // 2
    assert len(api.get("/rest/inventory/v1/sessions").json()) == 2  # still waiting for a slot
    advance(api, 60)
    assert api.get("/rest/inventory/v1/sessions").json() == []
    advance(api, 60)
    assert tasks(api, pool) == []


def test_a_waiting_machine_deleted_with_its_session_does_not_stall_the_task(api: HorizonClient) -> None:
    pool = image_pool(api, machines=3)
    session = logon(api, "EXAMPLE\\user001", pool)
    assert push(api, pool).status_code == 204
    advance(api, 301 + 61)
    [task] = tasks(api, pool)
    assert task["remaining_vmtask_count"] == 1  # waiting for user001
    deleted = api.delete("/rest/inventory/v1/machines", json={
        "machine_ids": [session["machine_id"]], "machine_delete_data": {"force_logoff_session": True}})
    assert deleted.json() == [{"id": session["machine_id"], "status_code": 200}]
    advance(api, 60)
    assert tasks(api, pool) == []
