"""The roll-out of an image to a pool's machines: the desktop pool task (operation PUSH_IMAGE).

A task document holds the machines still to do, by phase, so that one job per pool
(`image.rollout`) can advance the whole roll-out at each step without reading every machine:

    queue    machines to recreate, in name order            operation_state SCHEDULED
    waiting  machines with a session, WAIT_FOR_LOGOFF       SCHEDULED
    logoff   machines with a session, FORCE_LOGOFF: when    SCHEDULED
             their user is logged off (the warning was sent)
    flight   machines being recreated: phase and its end     CREATE, then PROGRESSING
    holding  machines kept back by a pause or a halt         HOLDING
    done / failed / cancelled                                COMPLETED / FAULT / CANCELLING

At most the vCenter's `instant_clone_engine_provisioning_limit` clones run at once (shared
with provisioning), and at most half of it for machines whose user had to be logged off.
Every change is made in the job's transaction, so a restarted server resumes the roll-out
where it was; a machine moves to `flight` in the same transaction that starts its clone,
so none is recreated twice.
"""

from __future__ import annotations

import uuid
from typing import Any

from hzsim.config import settings as global_settings
from hzsim.engine.jobs import JobContext, job_handler, schedule
from hzsim.inventory import provisioning, sessions
from hzsim.store import Transaction
from hzsim.store.tables import index_fields
from hzsim.world import faults
from hzsim.world.vcenter import moid

TASK, POOL, MACHINE = "desktop_pool_task", "desktop_pool", "machine"
index_fields(TASK, "desktop_pool_id", "_state")
SECOND = 1000
POLL = 10 * SECOND  # how soon a roll-out blocked by other clones looks again
STEP_TIME = {"CLONE": provisioning.CLONE_TIME["INSTANT_CLONE"],
             "CUSTOMIZE": provisioning.CUSTOMIZE_TIME["INSTANT_CLONE"]}
PENDING_MARKS = ("pending_base_vm_id", "pending_base_vm_snapshot_id", "pending_image_management_stream_id",
                 "pending_image_management_tag_id")
_ACTIVE = ("_queue", "_waiting", "_logoff", "_flight")


# -- images -------------------------------------------------------------------------------

IMAGE_FIELDS = ("parent_vm_id", "snapshot_id", "im_stream_id", "im_tag_id", "compute_profile_num_cpus",
                "compute_profile_num_cores_per_socket", "compute_profile_ram_mb", "add_virtual_tpm")


def pool_image(pool: dict[str, Any]) -> dict[str, Any]:
    """The pool's current image, in the same shape as a pending one."""
    settings = pool.get("provisioning_settings") or {}
    image = {field: settings.get(field) for field in IMAGE_FIELDS}
    image["snapshot_id"] = settings.get("base_snapshot_id")
    return image


def on_image(machine: dict[str, Any], image: dict[str, Any]) -> bool:
    data = machine.get("managed_machine_data") or {}
    return (data.get("base_vm_id"), data.get("base_vm_snapshot_id"), data.get("image_management_stream_id"),
            data.get("image_management_tag_id")) == (image.get("parent_vm_id"), image.get("snapshot_id"),
                                                     image.get("im_stream_id"), image.get("im_tag_id"))


def mark_pending(machine: dict[str, Any], image: dict[str, Any], state: str) -> None:
    """The machine shows the push coming to it (or waiting on a held image, STANDBY)."""
    data = machine["managed_machine_data"]
    data.update({"operation": "PUSH_IMAGE", "operation_state": state})
    for field, value in zip(PENDING_MARKS, (image.get("parent_vm_id"), image.get("snapshot_id"),
                                            image.get("im_stream_id"), image.get("im_tag_id")), strict=True):
        if value is None:
            data.pop(field, None)
        else:
            data[field] = value


def clear_marks(machine: dict[str, Any]) -> None:
    data = machine["managed_machine_data"]
    for field in ("operation", "operation_state", *PENDING_MARKS):
        data.pop(field, None)


# -- tasks --------------------------------------------------------------------------------

def new_task(pool: dict[str, Any], *, purpose: str, target: dict[str, Any], machine_ids: list[str],
             logoff_policy: str, stop_on_error: bool, schedule_time: int, description: str) -> dict[str, Any]:
    """A PUSH_IMAGE task of `pool` for `machine_ids`, waiting for its start (state SCHEDULED)."""
    return {"id": str(uuid.uuid4()), "desktop_pool_id": pool["id"], "access_group_id": pool["access_group_id"],
            "operation": "PUSH_IMAGE", "description": description, "schedule_time": schedule_time,
            "_state": "SCHEDULED", "_purpose": purpose, "_target": target, "_logoff_policy": logoff_policy,
            "_stop_on_error": stop_on_error, "_queue": list(machine_ids), "_waiting": [], "_logoff": {},
            "_flight": {}, "_holding": [], "_done": [], "_failed": [], "_cancelled": []}


def task_view(task: dict[str, Any]) -> dict[str, Any]:
    remaining = sum(len(task[field]) for field in _ACTIVE)
    return {"id": task["id"], "operation": task["operation"], "description": task["description"],
            "schedule_time": task["schedule_time"], "remaining_vmtask_count": remaining,
            "error_vmtask_count": len(task["_failed"]), "halted_vmtask_count": len(task["_holding"]),
            "cancelled_vmtask_count": len(task["_cancelled"])}


def pool_task(tx: Transaction, pool: dict[str, Any]) -> dict[str, Any] | None:
    return tx.get(TASK, pool["_task_id"]) if pool.get("_task_id") else None


def has_work(task: dict[str, Any]) -> bool:
    return any(task[field] for field in _ACTIVE)


def idle(task: dict[str, Any]) -> bool:
    """Running with no machine left to start or finish: it ends, unless failed machines keep it listed."""
    return task["_state"] == "RUNNING" and not has_work(task)


def request_step(tx: Transaction, pool_id: str, at: int) -> None:
    schedule(tx, "image.rollout", at, {"pool_id": pool_id}, key=f"image.rollout:{pool_id}")


def _set_states(tx: Transaction, ids: list[str], state: str) -> None:
    for machine_id in ids:
        machine = tx.get(MACHINE, machine_id)
        if machine is not None:
            machine["managed_machine_data"]["operation_state"] = state
            tx.update(MACHINE, machine_id, machine)


def _not_started(task: dict[str, Any]) -> list[str]:
    ids = [*task["_queue"], *task["_waiting"], *task["_logoff"]]
    task.update({"_queue": [], "_waiting": [], "_logoff": {}})
    return ids


def start(tx: Transaction, pool: dict[str, Any], task: dict[str, Any], now: int) -> None:
    """The task's start time: machines with a session wait for their user or are warned of the
    forced logoff; the others queue for recreation."""
    general = global_settings.general(tx)
    queue = []
    for machine_id in task["_queue"]:
        machine = tx.get(MACHINE, machine_id)
        if machine is None or machine["state"] == "DELETING":
            continue
        if machine.get("session_id"):
            _await_logoff(tx, task, machine, general, now)
        else:
            queue.append(machine_id)
    task.update({"_queue": queue, "_state": "RUNNING"})
    tx.update(TASK, task["id"], task)
    request_step(tx, pool["id"], now)


def _await_logoff(tx: Transaction, task: dict[str, Any], machine: dict[str, Any], general: dict[str, Any],
                  now: int) -> None:
    """A machine in use waits for its user (WAIT_FOR_LOGOFF) or warns the user, who is logged off
    after the general settings' timeout (FORCE_LOGOFF)."""
    if task["_logoff_policy"] == "WAIT_FOR_LOGOFF":
        task["_waiting"].append(machine["id"])
        return
    warn = general.get("display_warning_before_forced_logoff", True)
    minutes = general.get("forced_logoff_timeout_minutes") or 0
    task["_logoff"][machine["id"]] = now + (minutes * 60 * SECOND if warn else 0)
    if warn:
        _warn(tx, machine, general.get("forced_logoff_message") or "", now)


def _warn(tx: Transaction, machine: dict[str, Any], message: str, now: int) -> None:
    session = tx.get(sessions.KIND, machine["session_id"])
    if session is not None:
        session["messages"] = [*session.get("messages", []), {"message": message, "message_type": "WARNING",
                                                              "time": now}]
        tx.update(sessions.KIND, session["id"], session)


def hold(tx: Transaction, task: dict[str, Any], state: str) -> None:
    """Pause or halt: no further machine starts; the ones recreating finish."""
    ids = _not_started(task)
    task["_holding"] = [*task["_holding"], *ids]
    task["_state"] = state
    _set_states(tx, ids, "HOLDING")


def resume(tx: Transaction, task: dict[str, Any], retry_failed: bool, stop_on_error: bool, now: int) -> None:
    ids = task["_holding"] + (task["_failed"] if retry_failed else [])
    task["_holding"] = []
    if retry_failed:
        task["_failed"] = []
    task.update({"_stop_on_error": stop_on_error, "_queue": [*task["_queue"], *ids], "_state": "SCHEDULED"})
    _set_states(tx, ids, "SCHEDULED")
    pool = tx.get(POOL, task["desktop_pool_id"])
    start(tx, pool, task, now)  # machines that gained a session since are sorted again


def cancel(tx: Transaction, task: dict[str, Any], now: int) -> None:
    """Machines not yet recreated keep their image; the ones recreating finish."""
    ids = _not_started(task) + task["_holding"]
    task["_holding"] = []
    task["_cancelled"] = [*task["_cancelled"], *ids]
    task["_state"] = "CANCELLING"
    _set_states(tx, ids, "CANCELLING")
    tx.update(TASK, task["id"], task)
    request_step(tx, task["desktop_pool_id"], now)


# -- the step -----------------------------------------------------------------------------

@job_handler("image.rollout")
def rollout_step(ctx: JobContext, payload: dict[str, Any]) -> None:
    tx, now = ctx.tx, ctx.now
    pool = tx.get(POOL, payload["pool_id"])
    task = pool_task(tx, pool) if pool is not None else None
    if task is None or task["_state"] == "SCHEDULED":
        return
    if pool.get("delete_in_progress"):
        tx.delete(TASK, task["id"])
        return
    freed = _finish_due(tx, task, now)
    if task["_state"] == "RUNNING":
        _start_due(tx, pool, task, now)
    if task["_state"] == "CANCELLING" and not task["_flight"] or idle(task) and not task["_failed"]:
        from hzsim.images.push import task_finished  # the push module builds on this one

        finish(tx, task)
        task_finished(tx, pool, task, now)
    else:
        tx.update(TASK, task["id"], task)
        _schedule_next(tx, pool, task, now)
    if freed:
        provisioning.wake_vcenter(tx, pool["vcenter_id"], now)


def _finish_due(tx: Transaction, task: dict[str, Any], now: int) -> bool:
    """Move each recreating machine whose step has ended to its next step; True if a clone slot freed."""
    freed = False
    for machine_id, (phase, due, forced) in sorted(task["_flight"].items(), key=lambda item: item[1][1]):
        if due > now:
            continue
        machine = tx.get(MACHINE, machine_id)
        if machine is None or machine["state"] not in ("PROVISIONING", "CUSTOMIZING"):
            del task["_flight"][machine_id]  # deleted (or taken over) while it was being recreated
            freed = True
            continue
        fault_kind = "clone_failure" if phase == "CLONE" else "customization_timeout"
        message = faults.fire(tx, fault_kind, machine_id, machine["desktop_pool_id"], machine["vcenter_id"])
        if message is not None:
            del task["_flight"][machine_id]
            _fail(tx, task, machine, "PROVISIONING_ERROR" if phase == "CLONE" else "ERROR", message, now)
            freed = True
        elif phase == "CLONE":
            _cloned(tx, task, machine, now)
            task["_flight"][machine_id] = ["CUSTOMIZE", now + STEP_TIME["CUSTOMIZE"], forced]
        else:
            del task["_flight"][machine_id]
            data = machine["managed_machine_data"]
            machine["state"] = "MAINTENANCE" if data.get("in_maintenance_mode") else "AVAILABLE"
            data["operation_state"] = "COMPLETED"
            tx.update(MACHINE, machine_id, machine)
            task["_done"].append(machine_id)
            freed = True
    return freed


def _cloned(tx: Transaction, task: dict[str, Any], machine: dict[str, Any], now: int) -> None:
    """The clone of the new image exists: the machine now runs it and is being customized."""
    image = provisioning.image_facts(tx, task["_target"])
    data = machine["managed_machine_data"]
    data.update({"base_vm_id": image["parent_vm_id"], "base_vm_snapshot_id": image["snapshot_id"],
                 "image_management_stream_id": image["im_stream_id"], "image_management_tag_id": image["im_tag_id"],
                 "vm_moid": moid(tx, "vm"), "virtual_machine_power_state": "POWERED_ON", "create_time": now,
                 "operation_state": "PROGRESSING", "memory_mb": image["memory_mb"]})
    for field in PENDING_MARKS:
        data.pop(field, None)
    data = {k: v for k, v in data.items() if v is not None}
    machine["managed_machine_data"] = data
    machine["state"] = "CUSTOMIZING"
    tx.update(MACHINE, machine["id"], machine)


def _fail(tx: Transaction, task: dict[str, Any], machine: dict[str, Any], state: str, message: str,
          now: int) -> None:
    machine["state"] = state
    machine["managed_machine_data"].update({"operation_state": "FAULT", "clone_error_message": message,
                                            "clone_error_time": now})
    tx.update(MACHINE, machine["id"], machine)
    task["_failed"].append(machine["id"])
    if task["_stop_on_error"] and task["_state"] == "RUNNING":
        hold(tx, task, "HALTED")


def _start_recreate(tx: Transaction, task: dict[str, Any], machine: dict[str, Any], forced: bool, now: int) -> None:
    data = machine["managed_machine_data"]
    data.pop("clone_error_message", None)
    data.pop("clone_error_time", None)
    data.update({"operation_state": "CREATE", "virtual_machine_power_state": "POWERED_OFF"})
    machine["state"] = "PROVISIONING"
    machine["_recreations"] = machine.get("_recreations", 0) + 1
    tx.update(MACHINE, machine["id"], machine)
    task["_flight"][machine["id"]] = ["CLONE", now + STEP_TIME["CLONE"], forced]


def _start_due(tx: Transaction, pool: dict[str, Any], task: dict[str, Any], now: int) -> None:
    limit = provisioning.vcenter_limit(tx, pool)
    room = limit - provisioning.in_flight(tx, pool["vcenter_id"])
    forced_room = max(1, limit // 2) - sum(1 for entry in task["_flight"].values() if entry[2])
    for machine_id, deadline in sorted(task["_logoff"].items(), key=lambda item: item[1]):
        if deadline > now or room <= 0 or forced_room <= 0:
            break
        del task["_logoff"][machine_id]
        machine = tx.get(MACHINE, machine_id)
        session = tx.get(sessions.KIND, machine.get("session_id") or "") if machine else None
        if session is not None:
            sessions.end(tx, session, now)
            machine = tx.get(MACHINE, machine_id)
        if machine is None or machine["state"] == "DELETING":
            continue
        _start_recreate(tx, task, machine, True, now)
        room, forced_room = room - 1, forced_room - 1
    deferred = []
    while task["_queue"] and room > 0:
        machine_id = task["_queue"].pop(0)
        machine = tx.get(MACHINE, machine_id)
        if machine is None or machine["state"] == "DELETING":
            continue
        if machine["state"] in provisioning.IN_FLIGHT:
            deferred.append(machine_id)  # still being provisioned; its turn comes again
        elif machine.get("session_id"):  # a user logged on since the start
            _await_logoff(tx, task, machine, global_settings.general(tx), now)
        else:
            _start_recreate(tx, task, machine, False, now)
            room -= 1
    task["_queue"].extend(deferred)


def _schedule_next(tx: Transaction, pool: dict[str, Any], task: dict[str, Any], now: int) -> None:
    dues = [entry[1] for entry in task["_flight"].values()]
    if task["_state"] == "RUNNING":
        dues += [deadline for deadline in task["_logoff"].values() if deadline > now]
        ready_logoffs = any(deadline <= now for deadline in task["_logoff"].values())
        if (task["_queue"] or ready_logoffs) and not task["_flight"]:
            dues.append(now + POLL)  # blocked by other pools' clones: look again
    if dues:
        request_step(tx, pool["id"], max(now, min(dues)))


def finish(tx: Transaction, task: dict[str, Any]) -> None:
    """The task ends: every machine it touched drops its operation; the task leaves the list."""
    for machine_id in [*task["_done"], *task["_failed"], *task["_cancelled"], *task["_holding"]]:
        machine = tx.get(MACHINE, machine_id)
        if machine is not None:
            clear_marks(machine)
            tx.update(MACHINE, machine_id, machine)
    tx.delete(TASK, task["id"])


@job_handler("image.machine.free")
def machine_free(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A user logged off a machine waiting for its new image: it queues, first in line."""
    pool = ctx.tx.get(POOL, payload["pool_id"])
    task = pool_task(ctx.tx, pool) if pool is not None else None
    if task is None:
        return
    machine_id = payload["machine_id"]
    if machine_id in task["_waiting"]:
        task["_waiting"].remove(machine_id)
    elif machine_id in task["_logoff"]:
        del task["_logoff"][machine_id]
    else:
        return
    task["_queue"].insert(0, machine_id)
    ctx.tx.update(TASK, task["id"], task)
    request_step(ctx.tx, pool["id"], ctx.now)
