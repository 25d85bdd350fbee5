"""Publish failures, recreate failures with and without stop-on-first-error, and task control
(pause, resume, cancel) through HTTP with the manual clock."""

from __future__ import annotations

from tests.helpers import HorizonClient, assert_error_body
from tests.images.helpers import (advance, by_name, image_pool, machines, pool_action, pool_status, push, task_action,
                                  tasks)


def fault(api: HorizonClient, kind: str, target: str, times: object = "always", message: str | None = None) -> None:
    body = {"kind": kind, "target": target, "times": times, **({"message": message} if message else {})}
    assert api.client.post("/hzsim/v1/faults", json=body).status_code == 201


def test_a_publish_fault_fails_the_pending_image_and_a_new_push_replaces_it(api: HorizonClient) -> None:
    pool = image_pool(api, machines=2)
    fault(api, "image_publish_failure", pool["id"], "once", "Snapshot disk is corrupt")
    assert push(api, pool).status_code == 204
    advance(api, 60)
    status = pool_status(api, pool)
    assert status["instant_clone_pending_image_state"] == "FAILED"
    assert status["instant_clone_pending_image_error"] == "Snapshot disk is corrupt"
    assert status["instant_clone_operation"] == "NONE"
    assert status["instant_clone_pending_image_snapshot_id"] == pool["ids"]["snapshot"]
    assert tasks(api, pool) == []
    assert all("operation" not in m["managed_machine_data"] for m in machines(api, pool))
    # a new push replaces the failed pending image
    assert push(api, pool).status_code == 204
    status = pool_status(api, pool)
    assert status["instant_clone_pending_image_state"] == "PENDING_PUBLISH"
    assert "instant_clone_pending_image_error" not in status
    advance(api, 400)
    assert tasks(api, pool) == []
    assert "instant_clone_pending_image_state" not in pool_status(api, pool)


def test_cancel_accepts_a_failed_pending_image(api: HorizonClient) -> None:
    pool = image_pool(api, machines=2)
    fault(api, "image_publish_failure", pool["id"], "once")
    push(api, pool)
    advance(api, 60)
    assert pool_action(api, pool, "cancel-scheduled-push-image").status_code == 204
    status = pool_status(api, pool)
    assert not any(k.startswith("instant_clone_pending") for k in status)
    assert status["instant_clone_operation"] == "NONE"


def test_a_recreate_fault_halts_the_task_when_stop_on_first_error(api: HorizonClient) -> None:
    limit = api.get("/rest/config/v2/virtual-centers").json()[0]["limits"]["instant_clone_engine_provisioning_limit"]
    pool = image_pool(api, machines=limit + 4, pattern="h-{n}")
    victim = by_name(api, pool)["h-1"]
    assert push(api, pool).status_code == 204
    advance(api, 301)
    fault(api, "clone_failure", victim["id"], "once", "Insufficient disk space")
    advance(api, 20)
    failed = by_name(api, pool)["h-1"]
    assert failed["state"] == "PROVISIONING_ERROR"
    data = failed["managed_machine_data"]
    assert data["operation_state"] == "FAULT" and data["clone_error_message"] == "Insufficient disk space"
    assert data["clone_error_time"] > 0
    [task] = tasks(api, pool)
    assert task["error_vmtask_count"] == 1 and task["halted_vmtask_count"] == 4
    assert task["remaining_vmtask_count"] == limit - 1  # the ones recreating finish
    holding = [m for m in machines(api, pool) if m["managed_machine_data"].get("operation_state") == "HOLDING"]
    assert len(holding) == 4
    advance(api, 120)
    [task] = tasks(api, pool)
    assert (task["remaining_vmtask_count"], task["halted_vmtask_count"], task["error_vmtask_count"]) == (0, 4, 1)
    assert_error_body(task_action(api, pool, task["id"], "pause"), 400, "inventory.desktop.pool.task.invalid.state")
    # resume with a retry: the failed machine and the held ones are recreated
    assert task_action(api, pool, task["id"], "resume", json={"retry_failed_vms": True}).status_code == 204
    advance(api, 1)
    [task] = tasks(api, pool)
    assert (task["error_vmtask_count"], task["halted_vmtask_count"], task["remaining_vmtask_count"]) == (0, 0, 5)
    advance(api, 120)
    assert tasks(api, pool) == []
    assert by_name(api, pool)["h-1"]["state"] == "AVAILABLE"


def test_without_stop_on_first_error_the_task_carries_on_and_counts_the_failure(api: HorizonClient) -> None:
    pool = image_pool(api, machines=4, pattern="c-{n}")
    victim = by_name(api, pool)["c-2"]
    assert push(api, pool, stop_on_first_error=False).status_code == 204
    fault(api, "clone_failure", victim["id"], "once")
    advance(api, 301 + 120)
    [task] = tasks(api, pool)
    assert (task["remaining_vmtask_count"], task["error_vmtask_count"], task["halted_vmtask_count"]) == (0, 1, 0)
    assert by_name(api, pool)["c-2"]["state"] == "PROVISIONING_ERROR"
    assert by_name(api, pool)["c-1"]["managed_machine_data"]["operation_state"] == "COMPLETED"
    # the admin cancels the finished task: it leaves the list and the failure stays on the machine
    assert task_action(api, pool, task["id"], "cancel").status_code == 204
    advance(api, 1)
    assert tasks(api, pool) == []
    assert by_name(api, pool)["c-2"]["managed_machine_data"]["clone_error_message"]


def test_pause_resume_and_cancel(api: HorizonClient) -> None:
    limit = api.get("/rest/config/v2/virtual-centers").json()[0]["limits"]["instant_clone_engine_provisioning_limit"]
    pool = image_pool(api, machines=limit + 3, pattern="r-{n}")
    assert push(api, pool).status_code == 204
    [task] = tasks(api, pool)
    assert_error_body(task_action(api, pool, task["id"], "pause"), 400, "inventory.desktop.pool.task.invalid.state")
    advance(api, 301)
    assert task_action(api, pool, task["id"], "pause", content="", headers={"Content-Type": "text/plain"}
                       ).status_code == 204
    assert_error_body(task_action(api, pool, task["id"], "pause"), 400, "inventory.desktop.pool.task.invalid.state")
    [task] = tasks(api, pool)
    assert task["halted_vmtask_count"] == 3 and task["remaining_vmtask_count"] == limit
    advance(api, 120)
    [task] = tasks(api, pool)
    assert (task["halted_vmtask_count"], task["remaining_vmtask_count"]) == (3, 0)
    assert task_action(api, pool, task["id"], "resume", json={"stop_on_error": False}).status_code == 204
    assert_error_body(task_action(api, pool, task["id"], "resume"), 400, "inventory.desktop.pool.task.invalid.state")
    advance(api, 1)
    assert tasks(api, pool)[0]["remaining_vmtask_count"] == 3
    assert task_action(api, pool, task["id"], "cancel").status_code == 204
    [task] = tasks(api, pool)
    assert task["remaining_vmtask_count"] == 3  # already recreating: they finish
    advance(api, 120)
    assert tasks(api, pool) == []
    assert_error_body(api.get(f"/rest/inventory/v1/desktop-pools/{pool['id']}/tasks/{task['id']}"), 404,
                      "inventory.desktop.pool.task.not.found")
    assert all("operation" not in m["managed_machine_data"] for m in machines(api, pool))


def test_cancel_keeps_the_old_image_on_machines_not_yet_recreated(api: HorizonClient) -> None:
    limit = api.get("/rest/config/v2/virtual-centers").json()[0]["limits"]["instant_clone_engine_provisioning_limit"]
    pool = image_pool(api, machines=limit + 2, pattern="k-{n}")
    assert push(api, pool).status_code == 204
    advance(api, 301)
    [task] = tasks(api, pool)
    assert task_action(api, pool, task["id"], "cancel").status_code == 204
    [task] = tasks(api, pool)
    assert task["cancelled_vmtask_count"] == 2
    cancelling = [m for m in machines(api, pool) if m["managed_machine_data"].get("operation_state") == "CANCELLING"]
    assert len(cancelling) == 2
    assert_error_body(task_action(api, pool, task["id"], "cancel"), 400, "inventory.desktop.pool.task.invalid.state")
    advance(api, 120)
    assert tasks(api, pool) == []
    snapshots = [m["managed_machine_data"]["base_vm_snapshot_id"] for m in machines(api, pool)]
    assert snapshots.count(pool["ids"]["snapshot"]) == limit
    assert snapshots.count(pool["ids"]["old_snapshot"]) == 2
    assert api.get(f"/rest/inventory/v8/desktop-pools/{pool['id']}").json()["provisioning_settings"][
        "base_snapshot_id"] == pool["ids"]["snapshot"]


def test_task_operations_on_unknown_tasks_are_404(api: HorizonClient) -> None:
    pool = image_pool(api, machines=2)
    for action in ("pause", "resume", "cancel"):
        assert_error_body(task_action(api, pool, "nope", action), 404, "inventory.desktop.pool.task.not.found")
    assert_error_body(api.get(f"/rest/inventory/v1/desktop-pools/{pool['id']}/tasks/nope"), 404,
                      "inventory.desktop.pool.task.not.found")


def test_a_customization_timeout_fails_the_machine_after_its_clone(api: HorizonClient) -> None:
    pool = image_pool(api, machines=3, pattern="t-{n}")
    victim = by_name(api, pool)["t-3"]
    assert push(api, pool, stop_on_first_error=False).status_code == 204
    fault(api, "customization_timeout", victim["id"], "once", "Customization timed out")
    advance(api, 301 + 20)
    assert by_name(api, pool)["t-3"]["state"] == "CUSTOMIZING"
    advance(api, 40)
    failed = by_name(api, pool)["t-3"]
    assert failed["state"] == "ERROR"
    assert failed["managed_machine_data"]["operation_state"] == "FAULT"
    assert failed["managed_machine_data"]["base_vm_snapshot_id"] == pool["ids"]["snapshot"]
    [task] = tasks(api, pool)
    assert (task["remaining_vmtask_count"], task["error_vmtask_count"]) == (0, 1)
    # a retry recreates it
    assert task_action(api, pool, task["id"], "resume", json={"retry_failed_vms": True}).status_code == 204
    advance(api, 61)
    assert tasks(api, pool) == []
    assert by_name(api, pool)["t-3"]["state"] == "AVAILABLE"


def test_deleting_the_pool_ends_its_push(api: HorizonClient) -> None:
    pool = image_pool(api, machines=3)
    assert push(api, pool).status_code == 204
    advance(api, 301)
    assert api.delete(f"/rest/inventory/v8/desktop-pools/{pool['id']}").status_code == 204
    advance(api, 600)
    assert api.get(f"/rest/inventory/v8/desktop-pools/{pool['id']}").status_code == 404
    with api.client.app.sim.store.transaction(write=False) as tx:
        assert tx.list("desktop_pool_task")[0] == []


def test_a_push_repairs_a_pool_whose_first_image_failed_to_publish(api: HorizonClient) -> None:
    from tests.images.helpers import POOLS
    from tests.inventory.pools import instant_clone_spec, world_ids

    ids = world_ids(api)
    fault(api, "image_publish_failure", "any", "once", "Publish failed")
    assert api.post(POOLS, json=instant_clone_spec(ids, machines=2, pattern_naming_settings={
        "naming_pattern": "z-{n}", "max_number_of_machines": 2})).status_code == 201
    advance(api, 60)
    pool = {**next(p for p in api.get(POOLS).json() if p["name"] == "IC-Win11"), "ids": ids}
    assert pool_status(api, pool)["instant_clone_current_image_state"] == "FAILED"
    assert machines(api, pool) == []
    assert push(api, pool, snapshot_id=ids["old_snapshot"]).status_code == 204
    advance(api, 301)
    status = pool_status(api, pool)
    assert status["instant_clone_current_image_state"] == "READY"
    assert "last_provisioning_error" not in status
    advance(api, 120)
    assert tasks(api, pool) == []
    assert [m["state"] for m in machines(api, pool)] == ["AVAILABLE", "AVAILABLE"]
    assert {m["managed_machine_data"]["base_vm_snapshot_id"] for m in machines(api, pool)} == {ids["old_snapshot"]}
