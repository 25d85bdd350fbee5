"""Reschedule, cancel of a scheduled push, selective push, apply-image, promote-pending-image,
and pushes of image-management streams and compute profiles (v2)."""

from __future__ import annotations

from tests.helpers import HorizonClient, assert_error_body
from tests.images.helpers import (advance, by_name, get_pool, image_pool, machines, now_ms, pool_action, pool_status,
                                  push, tasks)


def test_reschedule_moves_the_start_time_and_the_task(api: HorizonClient) -> None:
    pool = image_pool(api, machines=2)
    start = now_ms(api) + 3_600_000
    assert push(api, pool, start_time=start).status_code == 204
    later = start + 1_800_000
    assert push(api, pool, start_time=later).status_code == 204
    assert pool_status(api, pool)["instant_clone_push_image_settings"]["start_time"] == later
    [task] = tasks(api, pool)
    assert task["schedule_time"] == later
    # any other difference is refused, and changes nothing
    before = get_pool(api, pool)
    assert_error_body(push(api, pool, start_time=later, logoff_policy="FORCE_LOGOFF"), 400,
                      "inventory.desktop.pool.push.image.reschedule.invalid")
    assert_error_body(push(api, pool, start_time=later, stop_on_first_error=False), 400,
                      "inventory.desktop.pool.push.image.reschedule.invalid")
    assert get_pool(api, pool) == before
    advance(api, (start - now_ms(api)) / 1000 + 60)
    assert pool_status(api, pool)["instant_clone_operation"] == "SCHEDULE_PUSH_IMAGE"  # not at the old time
    advance(api, (later - now_ms(api)) / 1000 + 1)
    assert pool_status(api, pool)["instant_clone_operation"] == "NONE"
    # after the trigger a second call is a new push, refused while the task runs
    assert_error_body(push(api, pool), 400, "inventory.desktop.pool.operation.in.progress")


def test_cancel_scheduled_push_before_its_start(api: HorizonClient) -> None:
    pool = image_pool(api, machines=2)
    before = machines(api, pool)
    assert push(api, pool, start_time=now_ms(api) + 3_600_000).status_code == 204
    advance(api, 60)
    assert pool_action(api, pool, "cancel-scheduled-push-image", content="{}",
                       headers={"Content-Type": "application/xml"}).status_code == 204
    status = pool_status(api, pool)
    assert status["instant_clone_operation"] == "CANCEL_SCHEDULED_PUSH_IMAGE"
    assert status["instant_clone_pending_image_state"] == "UNPUBLISHING"
    assert tasks(api, pool) == []
    assert machines(api, pool) == before
    advance(api, 61)
    status = pool_status(api, pool)
    assert status["instant_clone_operation"] == "NONE"
    assert not any(k.startswith("instant_clone_pending") or k == "instant_clone_push_image_settings" for k in status)
    advance(api, 7200)
    assert machines(api, pool) == before


def test_cancel_scheduled_push_after_the_trigger_is_refused(api: HorizonClient) -> None:
    pool = image_pool(api, machines=2)
    assert_error_body(pool_action(api, pool, "cancel-scheduled-push-image"), 400,
                      "inventory.desktop.pool.push.image.not.cancellable")
    assert push(api, pool).status_code == 204
    assert_error_body(pool_action(api, pool, "cancel-scheduled-push-image"), 400,
                      "inventory.desktop.pool.push.image.not.cancellable")  # its start time has come
    advance(api, 301)
    assert_error_body(pool_action(api, pool, "cancel-scheduled-push-image"), 400,
                      "inventory.desktop.pool.push.image.not.cancellable")


def test_selective_push_apply_image_and_promote(api: HorizonClient) -> None:
    pool = image_pool(api, machines=4, pattern="s-{n}")
    ids = pool["ids"]
    named = by_name(api, pool)
    chosen = [named["s-1"]["id"], named["s-2"]["id"]]
    response = push(api, pool, version=2, selective_push_image=True, machine_ids=chosen)
    assert response.status_code == 200
    assert sorted(response.json(), key=lambda i: i["id"]) == sorted(
        [{"id": i, "status_code": 200} for i in chosen], key=lambda i: i["id"])
    advance(api, 301)
    status = pool_status(api, pool)
    assert status["instant_clone_pending_image_state"] == "READY_HELD"
    assert status["instant_clone_operation"] == "NONE"
    assert get_pool(api, pool)["provisioning_settings"]["base_snapshot_id"] == ids["old_snapshot"]
    assert tasks(api, pool)[0]["remaining_vmtask_count"] == 2
    assert by_name(api, pool)["s-3"]["managed_machine_data"]["operation_state"] == "STANDBY"
    advance(api, 61)
    assert tasks(api, pool) == []
    named = by_name(api, pool)
    assert [named[n]["managed_machine_data"]["base_vm_snapshot_id"] for n in ("s-1", "s-2", "s-3", "s-4")] == [
        ids["snapshot"], ids["snapshot"], ids["old_snapshot"], ids["old_snapshot"]]
    assert named["s-4"]["managed_machine_data"]["operation_state"] == "STANDBY"
    # no new push while an image is held
    assert_error_body(push(api, pool), 400, "inventory.desktop.pool.operation.in.progress")

    # apply the pending image to s-3; apply the current image back to s-1
    response = pool_action(api, pool, "apply-image?pending_image=true", json=[named["s-3"]["id"], "nope"])
    assert response.status_code == 200
    assert response.json()[0] == {"id": named["s-3"]["id"], "status_code": 200}
    assert response.json()[1]["status_code"] == 404
    advance(api, 61)
    response = pool_action(api, pool, "apply-image?pending_image=false", json=[named["s-1"]["id"]])
    assert response.json() == [{"id": named["s-1"]["id"], "status_code": 200}]
    advance(api, 61)
    named = by_name(api, pool)
    assert [named[n]["managed_machine_data"]["base_vm_snapshot_id"] for n in ("s-1", "s-2", "s-3", "s-4")] == [
        ids["old_snapshot"], ids["snapshot"], ids["snapshot"], ids["old_snapshot"]]
    assert named["s-1"]["managed_machine_data"]["operation_state"] == "STANDBY"

    # promote: the held image becomes current and reaches every machine not on it
    assert pool_action(api, pool, "promote-pending-image").status_code == 204
    assert get_pool(api, pool)["provisioning_settings"]["base_snapshot_id"] == ids["snapshot"]
    assert tasks(api, pool)[0]["remaining_vmtask_count"] == 2
    assert "instant_clone_pending_image_state" not in pool_status(api, pool)
    advance(api, 61)
    assert tasks(api, pool) == []
    assert {m["managed_machine_data"]["base_vm_snapshot_id"] for m in machines(api, pool)} == {ids["snapshot"]}
    assert all("operation" not in m["managed_machine_data"] for m in machines(api, pool))
    assert_error_body(pool_action(api, pool, "promote-pending-image"), 400,
                      "inventory.desktop.pool.pending.image.not.held")
    assert_error_body(pool_action(api, pool, "apply-image?pending_image=true", json=[named["s-1"]["id"]]), 400,
                      "inventory.desktop.pool.pending.image.not.held")


def test_cancel_of_a_held_image_puts_the_machines_back_on_the_current_one(api: HorizonClient) -> None:
    pool = image_pool(api, machines=3, pattern="x-{n}")
    ids = pool["ids"]
    chosen = by_name(api, pool)["x-1"]["id"]
    push(api, pool, version=2, selective_push_image=True, machine_ids=[chosen])
    advance(api, 301 + 61)
    assert pool_action(api, pool, "cancel-scheduled-push-image").status_code == 204
    assert pool_status(api, pool)["instant_clone_operation"] == "CANCEL_SCHEDULED_PUSH_IMAGE"
    assert tasks(api, pool)[0]["remaining_vmtask_count"] == 1
    advance(api, 61)
    assert pool_status(api, pool)["instant_clone_pending_image_state"] == "UNPUBLISHING"
    advance(api, 61)
    status = pool_status(api, pool)
    assert status["instant_clone_operation"] == "NONE"
    assert "instant_clone_pending_image_state" not in status
    assert {m["managed_machine_data"]["base_vm_snapshot_id"] for m in machines(api, pool)} == {ids["old_snapshot"]}
    assert all("operation" not in m["managed_machine_data"] for m in machines(api, pool))


def test_push_a_stream_tag_with_a_compute_profile(api: HorizonClient) -> None:
    pool = image_pool(api, machines=2)
    stream = api.get("/rest/config/v1/im-streams").json()[0]["id"]
    tag = next(t["id"] for t in api.get(f"/rest/config/v1/im-tags?im_stream_id={stream}").json()
               if t["name"] == "pilot")
    response = push(api, pool, version=2, parent_vm_id=None, snapshot_id=None, im_stream_id=stream, im_tag_id=tag,
                    compute_profile_num_cpus=4, compute_profile_num_cores_per_socket=2, compute_profile_ram_mb=8192,
                    add_virtual_tpm=True)
    assert response.status_code == 200 and response.json() == []
    status = pool_status(api, pool)
    assert (status["instant_clone_pending_im_stream_id"], status["instant_clone_pending_im_tag_id"]) == (stream, tag)
    assert (status["pending_compute_profile_num_cpus"], status["pending_compute_profile_num_cores_per_socket"],
            status["pending_compute_profile_ram_mb"]) == (4, 2, 8192)
    assert 'to image "Win11-Stream - pilot"' in tasks(api, pool)[0]["description"]
    advance(api, 301)
    settings = get_pool(api, pool)["provisioning_settings"]
    assert (settings["im_stream_id"], settings["im_tag_id"]) == (stream, tag)
    assert "parent_vm_id" not in settings and "base_snapshot_id" not in settings
    assert (settings["compute_profile_num_cpus"], settings["compute_profile_ram_mb"]) == (4, 8192)
    assert settings["add_virtual_tpm"] is True
    advance(api, 61)
    for machine in machines(api, pool):
        assert machine["managed_machine_data"]["image_management_tag_id"] == tag
        assert machine["managed_machine_data"]["memory_mb"] == 8192


def test_every_version_of_the_pool_and_machine_reads_the_push(api: HorizonClient) -> None:
    pool = image_pool(api, machines=2)
    push(api, pool, start_time=now_ms(api) + 3_600_000)
    for version in range(1, 9):
        assert api.get(f"/rest/inventory/v{version}/desktop-pools/{pool['id']}").status_code == 200
        assert api.get(f"/rest/inventory/v{version}/desktop-pools").status_code == 200
    for version in range(1, 6):
        assert api.get(f"/rest/inventory/v{version}/machines").status_code == 200
    assert "instant_clone_pending_image_state" in pool_status(api, pool, version=8)


def test_promoting_a_held_image_the_machines_already_run_clears_their_marks(api: HorizonClient) -> None:
    pool = image_pool(api, machines=3, pattern="q-{n}")
    chosen = by_name(api, pool)["q-1"]["id"]
    same = pool["ids"]["old_snapshot"]  # the pool's own image, held
    push(api, pool, version=2, selective_push_image=True, machine_ids=[chosen], snapshot_id=same)
    advance(api, 301 + 61)
    assert by_name(api, pool)["q-2"]["managed_machine_data"]["operation_state"] == "STANDBY"
    assert pool_action(api, pool, "promote-pending-image").status_code == 204
    advance(api, 10)
    assert tasks(api, pool) == []
    assert all("operation" not in m["managed_machine_data"] for m in machines(api, pool))
