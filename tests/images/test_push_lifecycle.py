"""Schedule Push Image end to end through HTTP with the manual clock: what a client sees at
each step of schedule, publish, trigger, roll-out and end (docs/push-image.md)."""

from __future__ import annotations

import re

from tests.helpers import HorizonClient
from tests.images.helpers import (advance, by_name, get_pool, image_pool, logoff, logon, machines, now_ms,
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
