"""Schedule Push Image and the operations around it: reschedule, cancel, selective push,
apply-image and promote-pending-image, over instant-clone desktop pools.

The pool's `provisioning_status_data` shows the image operation (docs/push-image.md has the
state machine): scheduling sets the pending image and starts publishing it at once; at the
start time, once it is READY, the pending image becomes current (or, for a selective push,
is held READY_HELD) and a PUSH_IMAGE task (`images.rollout`) recreates the machines.
"""

from __future__ import annotations

import datetime
from typing import Any

from hzsim.engine.jobs import JobContext, cancel as cancel_job, job_handler, schedule
from hzsim.images import rollout
from hzsim.images.rollout import IMAGE_FIELDS, MACHINE, POOL, TASK, pool_image, pool_task
from hzsim.inventory import provisioning
from hzsim.inventory.desktop_pools import find_pool
from hzsim.inventory.pool_rules import check_compute_profile, check_image, refuse
from hzsim.operations import OperationRequest, operation
from hzsim.resources import bulk_item
from hzsim.store import Transaction
from hzsim.world import faults
from hzsim.world.vcenter import BASE_SNAPSHOT, BASE_VM, IM_STREAM, IM_TAG

SECOND = 1000
PUBLISH_STEP = provisioning.PUBLISH_STEP  # +10% progress per step
UNPUBLISH_TIME = 60 * SECOND
PENDING_STATUS = {"parent_vm_id": "instant_clone_pending_image_parent_vm_id",
                  "snapshot_id": "instant_clone_pending_image_snapshot_id",
                  "im_stream_id": "instant_clone_pending_im_stream_id", "im_tag_id": "instant_clone_pending_im_tag_id",
                  "compute_profile_num_cpus": "pending_compute_profile_num_cpus",
                  "compute_profile_num_cores_per_socket": "pending_compute_profile_num_cores_per_socket",
                  "compute_profile_ram_mb": "pending_compute_profile_ram_mb"}
PENDING_PROGRESS = ("instant_clone_pending_image_state", "instant_clone_pending_image_progress",
                    "instant_clone_pending_image_error", "instant_clone_push_image_settings")


# -- the pool and the request ---------------------------------------------------------------

def image_pool(request: OperationRequest) -> dict[str, Any]:
    """The instant-clone pool of the path; the caller holds POOL_SVI_IMAGE_MANAGEMENT on it."""
    pool = find_pool(request, "POOL_SVI_IMAGE_MANAGEMENT")
    if pool["type"] != "AUTOMATED" or pool.get("source") != "INSTANT_CLONE":
        raise refuse("not.instant.clone", "Image operations apply to automated instant-clone desktop pools only.")
    if pool.get("delete_in_progress"):
        raise refuse("delete.in.progress", "The desktop pool is being deleted.")
    return pool


def _push_spec(request: OperationRequest, pool: dict[str, Any]) -> dict[str, Any]:
    """The request, checked and with its defaults, in the form a reschedule is compared in."""
    tx, body = request.tx, request.body
    check_image(tx, body, pool["provisioning_settings"]["datacenter_id"], "", "parent_vm_id", "snapshot_id")
    check_compute_profile(body, "compute_profile_")
    selective, ids = bool(body.get("selective_push_image")), body.get("machine_ids")
    if ids and not selective:
        raise refuse("push.image.selective.invalid", "Field 'machine_ids' applies only when "
                                                     "'selective_push_image' is true.")
    if selective and not ids:
        raise refuse("push.image.selective.invalid", "Field 'machine_ids' is required when "
                                                     "'selective_push_image' is true.")
    for machine_id in ids or []:
        machine = tx.get(MACHINE, machine_id)
        if machine is None or machine["desktop_pool_id"] != pool["id"]:
            raise refuse("push.image.selective.invalid", f"Field 'machine_ids' names {machine_id!r}, which is not "
                                                         "a machine of this desktop pool.")
    spec = {field: body.get(field) for field in IMAGE_FIELDS}
    spec.update({"logoff_policy": body["logoff_policy"], "add_virtual_tpm": bool(body.get("add_virtual_tpm", False)),
                 "stop_on_first_error": bool(body.get("stop_on_first_error", True)),
                 "selective_push_image": selective, "machine_ids": sorted(set(ids)) if ids else None})
    return spec


def _ensure_idle(tx: Transaction, pool: dict[str, Any]) -> None:
    status = pool.get("provisioning_status_data") or {}
    operation_now = status.get("instant_clone_operation", "NONE")
    if operation_now != "NONE":
        raise refuse("operation.in.progress", f"The desktop pool's operation {operation_now} is in progress.")
    if pool_task(tx, pool) is not None:
        raise refuse("operation.in.progress", "A push image task of the desktop pool is running; cancel it or let "
                                              "it end first.")
    if status.get("instant_clone_pending_image_state") == "READY_HELD":
        raise refuse("operation.in.progress", "The desktop pool holds a pending image (READY_HELD); promote it or "
                                              "cancel it first.")


# -- descriptions -------------------------------------------------------------------------

def image_label(tx: Transaction, image: dict[str, Any]) -> str:
    if image.get("parent_vm_id"):
        vm = tx.get(BASE_VM, image["parent_vm_id"]) or {}
        snapshot = tx.get(BASE_SNAPSHOT, image.get("snapshot_id") or "") or {}
        return f"{vm.get('path', image['parent_vm_id'])} - {snapshot.get('path', image.get('snapshot_id'))}"
    stream = tx.get(IM_STREAM, image.get("im_stream_id") or "") or {}
    tag = tx.get(IM_TAG, image.get("im_tag_id") or "") or {}
    return f"{stream.get('name', image.get('im_stream_id'))} - {tag.get('name', image.get('im_tag_id'))}"


def _when(epoch_ms: int) -> str:
    """A time as a Java server prints it (`Date.toString()` in UTC)."""
    moment = datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=datetime.UTC)
    return moment.strftime("%a %b %d %H:%M:%S UTC %Y")


def describe(tx: Transaction, count: int, image: dict[str, Any], start_time: int, logoff_policy: str) -> str:
    how = ("wait for users to log off" if logoff_policy == "WAIT_FOR_LOGOFF"
           else "force users to log off")
    return (f'Changing {count} user(s) to image "{image_label(tx, image)}". This task will start at '
            f"{_when(start_time)} and will {how} before the push operation is started.")


# -- schedule -----------------------------------------------------------------------------

@operation("schedulePushImage", "schedulePushImageV2")
def schedule_push_image(request: OperationRequest) -> list[dict[str, Any]] | None:
    tx, now = request.tx, request.now
    pool = image_pool(request)
    spec = _push_spec(request, pool)
    start_time = max(now, int(request.body.get("start_time") or 0))
    status = pool["provisioning_status_data"]
    push = pool.get("_push") or {}
    if status.get("instant_clone_operation") == "SCHEDULE_PUSH_IMAGE" and push.get("start_time", 0) > now:
        if push["spec"] != spec:
            raise refuse("push.image.reschedule.invalid", "A push image is scheduled; a second call may only move "
                                                          "its 'start_time' (every other field identical). Cancel "
                                                          "it to push another image.")
        _reschedule(tx, pool, start_time, now)
    else:
        _ensure_idle(tx, pool)
        _schedule(tx, pool, spec, start_time, now)
    if request.op.version < 2:
        return None
    return [bulk_item(machine_id, 200) for machine_id in spec["machine_ids"] or []]


def _machines_by_name(tx: Transaction, pool: dict[str, Any]) -> list[dict[str, Any]]:
    """The pool's machines an image operation concerns (not those being deleted), in name order."""
    return sorted((m for m in provisioning.pool_machines(tx, pool["id"]) if m["state"] != "DELETING"),
                  key=lambda m: m["name"])


def _schedule(tx: Transaction, pool: dict[str, Any], spec: dict[str, Any], start_time: int, now: int) -> None:
    target = {field: spec[field] for field in IMAGE_FIELDS}
    machines = _machines_by_name(tx, pool)
    chosen = set(spec["machine_ids"] or [m["id"] for m in machines])
    affected = [m["id"] for m in machines if m["id"] in chosen]
    for machine in machines:
        rollout.mark_pending(machine, target, "SCHEDULED" if machine["id"] in chosen else "STANDBY")
        tx.update(MACHINE, machine["id"], machine)
    status = pool["provisioning_status_data"]
    _drop_pending(status)  # a FAILED pending image is replaced
    status.update({PENDING_STATUS[field]: value for field, value in target.items()
                   if field in PENDING_STATUS and value is not None})
    status.update({"instant_clone_operation": "SCHEDULE_PUSH_IMAGE",
                   "instant_clone_pending_image_state": "PENDING_PUBLISH", "instant_clone_pending_image_progress": 0,
                   "instant_clone_push_image_settings": {
                       "logoff_policy": spec["logoff_policy"], "start_time": start_time,
                       "stop_on_first_error": spec["stop_on_first_error"],
                       "add_virtual_tpm": spec["add_virtual_tpm"]}})
    task = rollout.new_task(pool, purpose="selective" if spec["selective_push_image"] else "push", target=target,
                            machine_ids=affected, logoff_policy=spec["logoff_policy"],
                            stop_on_error=spec["stop_on_first_error"], schedule_time=start_time,
                            description=describe(tx, len(affected), target, start_time, spec["logoff_policy"]))
    tx.insert(TASK, task["id"], task)
    pool.update({"_task_id": task["id"], "_push": {"spec": spec, "start_time": start_time}})
    tx.update(POOL, pool["id"], pool)
    schedule(tx, "image.publish", now + PUBLISH_STEP, {"pool_id": pool["id"]}, key=f"image.publish:{pool['id']}")
    schedule(tx, "image.trigger", start_time, {"pool_id": pool["id"]}, key=f"image.trigger:{pool['id']}")


def _reschedule(tx: Transaction, pool: dict[str, Any], start_time: int, now: int) -> None:
    push = pool["_push"]
    push["start_time"] = start_time
    pool["provisioning_status_data"]["instant_clone_push_image_settings"]["start_time"] = start_time
    task = pool_task(tx, pool)
    if task is not None:
        spec = push["spec"]
        task.update({"schedule_time": start_time,
                     "description": describe(tx, len(task["_queue"]), task["_target"], start_time,
                                             spec["logoff_policy"])})
        tx.update(TASK, task["id"], task)
    tx.update(POOL, pool["id"], pool)
    schedule(tx, "image.trigger", start_time, {"pool_id": pool["id"]}, key=f"image.trigger:{pool['id']}")


def _drop_pending(status: dict[str, Any]) -> None:
    for field in (*PENDING_STATUS.values(), *PENDING_PROGRESS):
        status.pop(field, None)


def _clear_all_marks(tx: Transaction, pool_id: str) -> None:
    for machine in provisioning.pool_machines(tx, pool_id):
        if (machine.get("managed_machine_data") or {}).get("operation") == "PUSH_IMAGE":
            rollout.clear_marks(machine)
            tx.update(MACHINE, machine["id"], machine)


# -- publishing and the trigger -------------------------------------------------------------

@job_handler("image.publish")
def publish_step(ctx: JobContext, payload: dict[str, Any]) -> None:
    tx, now = ctx.tx, ctx.now
    pool = provisioning.live_pool(tx, payload["pool_id"])
    if pool is None:
        return
    status = pool["provisioning_status_data"]
    if status.get("instant_clone_pending_image_state") not in ("PENDING_PUBLISH", "PUBLISHING"):
        return
    message = faults.fire(tx, "image_publish_failure", pool["id"], pool["vcenter_id"])
    if message is not None:
        status.pop("instant_clone_pending_image_progress", None)
        status.update({"instant_clone_pending_image_state": "FAILED", "instant_clone_pending_image_error": message,
                       "instant_clone_operation": "NONE"})
        task = pool_task(tx, pool)
        if task is not None:
            tx.delete(TASK, task["id"])
        pool["_task_id"] = None
        tx.update(POOL, pool["id"], pool)
        _clear_all_marks(tx, pool["id"])
        cancel_job(tx, f"image.trigger:{pool['id']}")
        return
    progress = status.get("instant_clone_pending_image_progress", 0) + 10
    if progress < 100:
        status.update({"instant_clone_pending_image_state": "PUBLISHING",
                       "instant_clone_pending_image_progress": progress})
        tx.update(POOL, pool["id"], pool)
        ctx.schedule("image.publish", now + PUBLISH_STEP, payload, key=f"image.publish:{pool['id']}")
        return
    status.update({"instant_clone_pending_image_state": "READY", "instant_clone_pending_image_progress": 100})
    if pool["_push"]["start_time"] <= now:
        _trigger(tx, pool, now)
    tx.update(POOL, pool["id"], pool)


@job_handler("image.trigger")
def trigger_due(ctx: JobContext, payload: dict[str, Any]) -> None:
    pool = provisioning.live_pool(ctx.tx, payload["pool_id"])
    if pool is None:
        return
    status = pool["provisioning_status_data"]
    if (status.get("instant_clone_operation") == "SCHEDULE_PUSH_IMAGE"
            and status.get("instant_clone_pending_image_state") == "READY"):
        _trigger(ctx.tx, pool, ctx.now)
        ctx.tx.update(POOL, pool["id"], pool)


def _trigger(tx: Transaction, pool: dict[str, Any], now: int) -> None:
    """The start time with the image READY: the roll-out begins (the caller saves the pool)."""
    task = pool_task(tx, pool)
    spec = pool["_push"]["spec"]
    status = pool["provisioning_status_data"]
    if spec["selective_push_image"]:
        status.pop("instant_clone_pending_image_progress", None)
        status.update({"instant_clone_pending_image_state": "READY_HELD", "instant_clone_operation": "NONE"})
    else:
        make_current(pool, task["_target"])
        queued = set(task["_queue"])
        for machine in _machines_by_name(tx, pool):
            if machine["id"] not in queued:
                rollout.mark_pending(machine, task["_target"], "SCHEDULED")  # provisioned since the schedule
                tx.update(MACHINE, machine["id"], machine)
                task["_queue"].append(machine["id"])
        provisioning.request_reconcile(tx, pool["id"], now)  # machines still to provision take the new image
    rollout.start(tx, pool, task, now)


def make_current(pool: dict[str, Any], image: dict[str, Any]) -> None:
    """The pending image becomes the pool's image; the pending fields leave the pool."""
    settings = pool["provisioning_settings"]
    pool["_old_image"] = pool_image(pool)
    for field, value in image.items():
        name = "base_snapshot_id" if field == "snapshot_id" else field
        if field.startswith("compute_profile_") and value is None:
            continue  # a push without a compute profile keeps the pool's
        if value is None:
            settings.pop(name, None)
        else:
            settings[name] = value
    status = pool["provisioning_status_data"]
    _drop_pending(status)
    status["instant_clone_operation"] = "NONE"
    if status.get("instant_clone_current_image_state") == "FAILED":
        # the pool's first image never published: the pushed one replaces it, nothing to unpublish
        pool.pop("_old_image", None)
        status["instant_clone_current_image_state"] = "READY"
        status.pop("last_provisioning_error", None)
        status.pop("last_provisioning_error_time", None)


def task_finished(tx: Transaction, pool: dict[str, Any], task: dict[str, Any], now: int) -> None:
    """What the end of a task means for the pool's images."""
    pool = tx.get(POOL, pool["id"])
    pool["_task_id"] = None
    status = pool["provisioning_status_data"]
    purpose = task["_purpose"]
    if purpose == "push":
        pool.pop("_push", None)
        if not task["_cancelled"] and pool.pop("_old_image", None) is not None:
            status["instant_clone_current_image_state"] = "UNPUBLISHING"
            schedule(tx, "image.unpublished", now + UNPUBLISH_TIME, {"pool_id": pool["id"]},
                     key=f"image.unpublish:{pool['id']}")
    elif purpose == "revert":
        status.update({"instant_clone_pending_image_state": "UNPUBLISHING"})
        schedule(tx, "image.pending.unpublished", now + UNPUBLISH_TIME, {"pool_id": pool["id"]},
                 key=f"image.unpublish:{pool['id']}")
    elif status.get("instant_clone_pending_image_state") == "READY_HELD":
        held = pending_image(pool)
        for machine_id in task["_done"] + task["_cancelled"] + task["_failed"]:
            machine = tx.get(MACHINE, machine_id)
            if machine is not None and not rollout.on_image(machine, held):
                rollout.mark_pending(machine, held, "STANDBY")
                tx.update(MACHINE, machine_id, machine)
    tx.update(POOL, pool["id"], pool)


@job_handler("image.unpublished")
def old_image_unpublished(ctx: JobContext, payload: dict[str, Any]) -> None:
    pool = ctx.tx.get(POOL, payload["pool_id"])
    if pool is not None and pool["provisioning_status_data"].get("instant_clone_current_image_state") == "UNPUBLISHING":
        pool["provisioning_status_data"]["instant_clone_current_image_state"] = "READY"
        ctx.tx.update(POOL, pool["id"], pool)


@job_handler("image.pending.unpublished")
def pending_image_unpublished(ctx: JobContext, payload: dict[str, Any]) -> None:
    pool = ctx.tx.get(POOL, payload["pool_id"])
    if pool is None:
        return
    status = pool["provisioning_status_data"]
    _drop_pending(status)
    status["instant_clone_operation"] = "NONE"
    pool.pop("_push", None)
    ctx.tx.update(POOL, pool["id"], pool)
    _clear_all_marks(ctx.tx, pool["id"])


def pending_image(pool: dict[str, Any]) -> dict[str, Any]:
    return {field: pool["_push"]["spec"][field] for field in IMAGE_FIELDS}


# -- cancel, promote, apply -------------------------------------------------------------------

@operation("cancelScheduledPushImage")
def cancel_scheduled_push_image(request: OperationRequest) -> None:
    tx, now = request.tx, request.now
    pool = image_pool(request)
    status = pool["provisioning_status_data"]
    state, current = status.get("instant_clone_pending_image_state"), status.get("instant_clone_operation")
    push = pool.get("_push") or {}
    if current == "NONE" and state == "FAILED":
        _drop_pending(status)
        pool.pop("_push", None)
    elif current == "SCHEDULE_PUSH_IMAGE" and push.get("start_time", 0) > now:
        for key in (f"image.publish:{pool['id']}", f"image.trigger:{pool['id']}"):
            cancel_job(tx, key)
        task = pool_task(tx, pool)
        if task is not None:
            tx.delete(TASK, task["id"])
        pool["_task_id"] = None
        _clear_all_marks(tx, pool["id"])
        _unpublish_pending(tx, pool, now)
    elif current == "NONE" and state == "READY_HELD":
        if pool_task(tx, pool) is not None:
            raise refuse("operation.in.progress", "A task of the desktop pool is running; cancel it first.")
        status["instant_clone_operation"] = "CANCEL_SCHEDULED_PUSH_IMAGE"
        held = pending_image(pool)
        current_image = pool_image(pool)
        back = [m["id"] for m in _machines_by_name(tx, pool) if rollout.on_image(m, held)]
        if back:
            _start_task(tx, pool, "revert", current_image, back, now)
        else:
            _unpublish_pending(tx, pool, now)
    else:
        raise refuse("push.image.not.cancellable", "Only a push image whose start time has not come, a failed "
                                                   "pending image or a held one can be cancelled; cancel the "
                                                   "desktop pool's task instead.")
    tx.update(POOL, pool["id"], pool)


def _unpublish_pending(tx: Transaction, pool: dict[str, Any], now: int) -> None:
    status = pool["provisioning_status_data"]
    status.pop("instant_clone_pending_image_progress", None)
    status.update({"instant_clone_operation": "CANCEL_SCHEDULED_PUSH_IMAGE",
                   "instant_clone_pending_image_state": "UNPUBLISHING"})
    schedule(tx, "image.pending.unpublished", now + UNPUBLISH_TIME, {"pool_id": pool["id"]},
             key=f"image.unpublish:{pool['id']}")


def _start_task(tx: Transaction, pool: dict[str, Any], purpose: str, target: dict[str, Any],
                machine_ids: list[str], now: int) -> None:
    """A task that starts at once (promote, apply-image, the revert of a held image)."""
    spec = (pool.get("_push") or {}).get("spec") or {}
    policy = spec.get("logoff_policy", "WAIT_FOR_LOGOFF")
    for machine_id in machine_ids:
        machine = tx.get(MACHINE, machine_id)
        rollout.mark_pending(machine, target, "SCHEDULED")
        tx.update(MACHINE, machine_id, machine)
    task = rollout.new_task(pool, purpose=purpose, target=target, machine_ids=machine_ids, logoff_policy=policy,
                            stop_on_error=spec.get("stop_on_first_error", True), schedule_time=now,
                            description=describe(tx, len(machine_ids), target, now, policy))
    tx.insert(TASK, task["id"], task)
    pool["_task_id"] = task["id"]
    rollout.start(tx, pool, task, now)


def _require_held(tx: Transaction, pool: dict[str, Any]) -> None:
    status = pool["provisioning_status_data"]
    if status.get("instant_clone_pending_image_state") != "READY_HELD" or status.get(
            "instant_clone_operation") != "NONE":
        raise refuse("pending.image.not.held", "The desktop pool has no pending image held in READY_HELD.")
    if pool_task(tx, pool) is not None:
        raise refuse("operation.in.progress", "A task of the desktop pool is running; wait for it or cancel it.")


@operation("desktopPoolPromotePendingImage")
def promote_pending_image(request: OperationRequest) -> None:
    tx, now = request.tx, request.now
    pool = image_pool(request)
    _require_held(tx, pool)
    target = pending_image(pool)
    pool["_push"]["spec"]["selective_push_image"] = False
    make_current(pool, target)
    ids = []
    for machine in _machines_by_name(tx, pool):
        if not rollout.on_image(machine, target):
            ids.append(machine["id"])
        elif "operation" in machine["managed_machine_data"]:
            rollout.clear_marks(machine)  # already on the promoted image: nothing to wait for
            tx.update(MACHINE, machine["id"], machine)
    _start_task(tx, pool, "push", target, ids, now)
    tx.update(POOL, pool["id"], pool)


@operation("desktopPoolApplyImage")
def apply_image(request: OperationRequest) -> list[dict[str, Any]]:
    tx, now = request.tx, request.now
    pool = image_pool(request)
    if request.query.get("pending_image"):
        _require_held(tx, pool)
        target = pending_image(pool)
    else:
        if pool_task(tx, pool) is not None:
            raise refuse("operation.in.progress", "A task of the desktop pool is running; wait for it or cancel it.")
        target = pool_image(pool)
    items, ids = [], []
    for machine_id in request.body or []:
        machine = tx.get(MACHINE, machine_id)
        if machine is None or machine["desktop_pool_id"] != pool["id"]:
            items.append(bulk_item(machine_id, 404, "inventory.machine.not.found",
                                   f"Machine with id {machine_id} is not a machine of this desktop pool."))
        elif machine["state"] == "DELETING":
            items.append(bulk_item(machine_id, 400, "inventory.machine.invalid.state",
                                   "The machine is being deleted."))
        else:
            ids.append(machine_id)
            items.append(bulk_item(machine_id, 200))
    if ids:
        _start_task(tx, pool, "apply", target, ids, now)
        tx.update(POOL, pool["id"], pool)
    return items
