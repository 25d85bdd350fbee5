"""The provisioning engine: instant-clone image publishing, machine clones and deletions,
advanced by durable jobs as the simulator's clock moves.

`reconcile` compares an automated pool with its sizing and starts what is missing, within
the vCenter's concurrency limit (instant_clone_engine_provisioning_limit for instant clones,
provisioning_limit for full clones). Each machine goes PROVISIONING -> CUSTOMIZING ->
AVAILABLE, or PROVISIONING_ERROR / ERROR when an injected fault fires. Every step is a job,
so a restarted server carries on where it stopped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from hzsim.engine.jobs import JobContext, job_handler, schedule
from hzsim.inventory.pool_rules import machine_name
from hzsim.store import Transaction
from hzsim.store.tables import index_fields
from hzsim.world import faults
from hzsim.world.vcenter import BASE_SNAPSHOT, BASE_VM, VCENTER, moid

POOL, MACHINE = "desktop_pool", "machine"
index_fields(MACHINE, "desktop_pool_id", "state")
SECOND = 1000
PUBLISH_STEP = 30 * SECOND  # the image's progress rises 10% per step: 5 simulated minutes
CLONE_TIME = {"INSTANT_CLONE": 20 * SECOND, "VIRTUAL_CENTER": 240 * SECOND}
CUSTOMIZE_TIME = {"INSTANT_CLONE": 40 * SECOND, "VIRTUAL_CENTER": 120 * SECOND}
DELETE_TIME = 15 * SECOND
IN_FLIGHT = ("PROVISIONING", "CUSTOMIZING")


def agent_version(tx: Transaction) -> str:
    """The Horizon agent version new machines run: the scenario's first (newest) one."""
    versions = tx.get_meta("agent_versions") or ["2312.0.0"]
    return versions[0]


def live_pool(tx: Transaction, pool_id: str) -> dict[str, Any] | None:
    """The pool a job works on, unless it is gone or being deleted."""
    pool = tx.get(POOL, pool_id)
    return None if pool is None or pool.get("delete_in_progress") else pool


def request_reconcile(tx: Transaction, pool_id: str, at: int) -> None:
    schedule(tx, "pool.reconcile", at, {"pool_id": pool_id}, key=f"pool.reconcile:{pool_id}")


def pool_machines(tx: Transaction, pool_id: str) -> list[dict[str, Any]]:
    return tx.list(MACHINE, where={"desktop_pool_id": pool_id})[0]


def in_flight(tx: Transaction, vcenter_id: str) -> int:
    return sum(tx.count(MACHINE, where={"vcenter_id": vcenter_id, "state": state}) for state in IN_FLIGHT)


def vcenter_limit(tx: Transaction, pool: dict[str, Any]) -> int:
    limits = (tx.get(VCENTER, pool["vcenter_id"]) or {}).get("limits", {})
    if pool["source"] == "INSTANT_CLONE":
        return limits.get("instant_clone_engine_provisioning_limit", 20)
    return limits.get("provisioning_limit", 20)


def desired_size(tx: Transaction, pool: dict[str, Any]) -> int:
    """How many machines the pool's sizing asks for now."""
    if pool["naming_method"] == "SPECIFIED":
        return len(pool.get("_specified_names", []))
    sizing = pool["pattern_naming_settings"]
    maximum = sizing["max_number_of_machines"]
    if sizing["provisioning_time"] == "UP_FRONT":
        return maximum
    machines = pool_machines(tx, pool["id"])
    in_use = sum(1 for m in machines if m["state"] in ("CONNECTED", "DISCONNECTED") or m.get("user_ids"))
    return min(maximum, max(sizing.get("min_number_of_machines", 0), in_use + sizing["number_of_spare_machines"]))


def _free_names(pool: dict[str, Any], taken: set[str]) -> Iterator[str]:
    """The names new machines take, lowest numbers first (freed names are reused)."""
    if pool["naming_method"] == "SPECIFIED":
        yield from (name for name in pool["_specified_names"] if name not in taken)
        return
    pattern = pool["pattern_naming_settings"]["naming_pattern"]
    number = 0
    while True:
        number += 1
        name = machine_name(pattern, number)
        if name not in taken:
            yield name


def new_machine(pool: dict[str, Any], name: str, now: int, image: dict[str, Any]) -> dict[str, Any]:
    """The canonical machine document of a machine being provisioned in `pool`."""
    machine_id = str(uuid.uuid4())
    folder = pool.get("_vm_folder_path", "/vm")
    return {
        "id": machine_id, "name": name, "dns_name": f"{name.lower()}.{pool.get('_dns_domain', 'example.com')}",
        "desktop_pool_id": pool["id"], "desktop_pool_name": pool["name"], "access_group_id": pool["access_group_id"],
        "vcenter_id": pool["vcenter_id"], "state": "PROVISIONING", "type": "MANAGED_MACHINE", "user_ids": [],
        "operating_system": image.get("operating_system"), "operating_system_architecture": "BIT_64",
        "message_security_mode": "ENHANCED", "message_security_enhanced_mode_supported": True,
        "pairing_state": "NOT_AVAILABLE", "held_machine": False, "configured_by_connection_server": [],
        "managed_machine_data": {
            "virtual_center_id": pool["vcenter_id"], "path": f"{folder}/{name}", "create_time": now,
            "base_vm_id": image.get("parent_vm_id"), "base_vm_snapshot_id": image.get("snapshot_id"),
            "image_management_stream_id": image.get("im_stream_id"),
            "image_management_tag_id": image.get("im_tag_id"), "in_maintenance_mode": False,
            "in_hold_customization": False, "missing_in_vcenter": False,
            "virtual_machine_power_state": "POWERED_OFF", "storage_accelerator_state": "OFF",
            "memory_mb": image.get("memory_mb"), "datastore_ids": pool.get("_datastore_ids", []),
        },
    }


def image_facts(tx: Transaction, image: dict[str, Any]) -> dict[str, Any]:
    """What a machine cloned from `image` (parent_vm_id/snapshot_id or stream/tag, with an optional
    compute profile) shows: its image ids, operating system and memory."""
    vm = tx.get(BASE_VM, image.get("parent_vm_id") or "") or {}
    snapshot = tx.get(BASE_SNAPSHOT, image.get("snapshot_id") or "") or {}
    return {"parent_vm_id": image.get("parent_vm_id"), "snapshot_id": image.get("snapshot_id"),
            "im_stream_id": image.get("im_stream_id"), "im_tag_id": image.get("im_tag_id"),
            "operating_system": vm.get("operating_system"),
            "memory_mb": image.get("compute_profile_ram_mb") or snapshot.get("memory_mb")}


def current_image(tx: Transaction, pool: dict[str, Any]) -> dict[str, Any]:
    settings = pool.get("provisioning_settings") or {}
    return image_facts(tx, {**settings, "snapshot_id": settings.get("base_snapshot_id")})


# -- instant-clone image publishing -------------------------------------------------------

def start_initial_publish(tx: Transaction, pool: dict[str, Any], now: int) -> None:
    status = pool.setdefault("provisioning_status_data", {})
    status.update({"instant_clone_operation": "INITIAL_PUBLISH", "instant_clone_pending_image_state": "PUBLISHING",
                   "instant_clone_pending_image_progress": 0})
    schedule(tx, "pool.initial_publish", now + PUBLISH_STEP, {"pool_id": pool["id"]}, key=f"publish:{pool['id']}")


@job_handler("pool.initial_publish")
def initial_publish_step(ctx: JobContext, payload: dict[str, Any]) -> None:
    pool = live_pool(ctx.tx, payload["pool_id"])
    if pool is None:
        return
    status = pool["provisioning_status_data"]
    message = faults.fire(ctx.tx, "image_publish_failure", pool["id"], pool["vcenter_id"])
    if message is not None:
        status.update({"instant_clone_operation": "NONE", "instant_clone_current_image_state": "FAILED"})
        for key in ("instant_clone_pending_image_state", "instant_clone_pending_image_progress"):
            status.pop(key, None)
        status.update({"last_provisioning_error": message, "last_provisioning_error_time": ctx.now})
        ctx.tx.update(POOL, pool["id"], pool)
        return
    progress = min(100, status.get("instant_clone_pending_image_progress", 0) + 10)
    if progress < 100:
        status["instant_clone_pending_image_progress"] = progress
        ctx.tx.update(POOL, pool["id"], pool)
        ctx.schedule("pool.initial_publish", ctx.now + PUBLISH_STEP, payload, key=f"publish:{pool['id']}")
        return
    for key in ("instant_clone_pending_image_state", "instant_clone_pending_image_progress"):
        status.pop(key, None)
    status.update({"instant_clone_operation": "NONE", "instant_clone_current_image_state": "READY"})
    ctx.tx.update(POOL, pool["id"], pool)
    request_reconcile(ctx.tx, pool["id"], ctx.now)


# -- machines -----------------------------------------------------------------------------

@job_handler("pool.reconcile")
def reconcile(ctx: JobContext, payload: dict[str, Any]) -> None:
    tx, now = ctx.tx, ctx.now
    pool = live_pool(tx, payload["pool_id"])
    if pool is None or pool["type"] != "AUTOMATED":
        return
    status = pool.get("provisioning_status_data") or {}
    if pool["source"] == "INSTANT_CLONE" and status.get("instant_clone_current_image_state") != "READY":
        return  # publishing first; its end asks again
    if not pool.get("enable_provisioning", True):
        return
    taken = tx.names(MACHINE, where={"desktop_pool_id": pool["id"]})
    missing = desired_size(tx, pool) - len(taken)
    if missing <= 0:
        return
    room = vcenter_limit(tx, pool) - in_flight(tx, pool["vcenter_id"])
    if room <= 0:
        return
    image = current_image(tx, pool)
    names = _free_names(pool, taken)
    for _ in range(min(missing, room)):
        machine = new_machine(pool, next(names), now, image)
        user_id = pool.get("_specified_users", {}).get(machine["name"])
        if user_id:
            machine["user_ids"] = [user_id]
        tx.insert(MACHINE, machine["id"], machine)
        schedule(tx, "machine.cloned", now + CLONE_TIME[pool["source"]], {"machine_id": machine["id"]},
                 key=f"machine:{machine['id']}")


def _fail(tx: Transaction, machine: dict[str, Any], state: str, message: str, now: int) -> None:
    machine["state"] = state
    machine["managed_machine_data"].update({"clone_error_message": message, "clone_error_time": now})
    tx.update(MACHINE, machine["id"], machine)
    pool = tx.get(POOL, machine["desktop_pool_id"])
    if pool is None:
        return
    status = pool.setdefault("provisioning_status_data", {})
    status.update({"last_provisioning_error": message, "last_provisioning_error_time": now})
    if pool.get("stop_provisioning_on_error", True):
        pool["enable_provisioning"] = False
    tx.update(POOL, pool["id"], pool)


def wake_vcenter(tx: Transaction, vcenter_id: str, now: int) -> None:
    """A clone slot freed: every automated pool of the vCenter may start its next machines (one
    job per vCenter and moment, however many slots free at once)."""
    schedule(tx, "vcenter.wake", now, {"vcenter_id": vcenter_id}, key=f"vcenter.wake:{vcenter_id}")


@job_handler("vcenter.wake")
def vcenter_woken(ctx: JobContext, payload: dict[str, Any]) -> None:
    for pool in ctx.tx.list(POOL, where={"vcenter_id": payload["vcenter_id"], "type": "AUTOMATED"})[0]:
        request_reconcile(ctx.tx, pool["id"], ctx.now)


@job_handler("machine.cloned")
def machine_cloned(ctx: JobContext, payload: dict[str, Any]) -> None:
    tx = ctx.tx
    machine = tx.get(MACHINE, payload["machine_id"])
    if machine is None or machine["state"] != "PROVISIONING":
        return
    pool_id, vcenter_id = machine["desktop_pool_id"], machine["vcenter_id"]
    message = faults.fire(tx, "clone_failure", machine["id"], pool_id, vcenter_id)
    if message is not None:
        _fail(tx, machine, "PROVISIONING_ERROR", message, ctx.now)
        wake_vcenter(tx, vcenter_id, ctx.now)
        return
    machine["state"] = "CUSTOMIZING"
    data = machine["managed_machine_data"]
    data.update({"vm_moid": moid(tx, "vm"), "virtual_machine_power_state": "POWERED_ON"})
    pool = tx.get(POOL, pool_id) or {"source": "INSTANT_CLONE"}
    if not data.get("persistent_disk_ids"):
        from hzsim.inventory.persistent_disks import create_primary  # the disk module builds on this one

        create_primary(tx, pool, machine, ctx.now)
    tx.update(MACHINE, machine["id"], machine)
    ctx.schedule("machine.customized", ctx.now + CUSTOMIZE_TIME[pool["source"]], payload,
                 key=f"machine:{machine['id']}")


@job_handler("machine.customized")
def machine_customized(ctx: JobContext, payload: dict[str, Any]) -> None:
    tx = ctx.tx
    machine = tx.get(MACHINE, payload["machine_id"])
    if machine is None or machine["state"] != "CUSTOMIZING":
        return
    message = faults.fire(tx, "customization_timeout", machine["id"], machine["desktop_pool_id"],
                          machine["vcenter_id"])
    if message is not None:
        _fail(tx, machine, "ERROR", message, ctx.now)
    else:
        machine["state"] = "AVAILABLE"
        machine.update({"agent_version": agent_version(tx), "agent_build_number": "23005470",
                        "pairing_state": "PAIRED_AND_SECURED",
                        "agent_id": f"agent/{machine['id']}", "configured_by_connection_server": ["cs01.example.com"]})
        tx.update(MACHINE, machine["id"], machine)
    wake_vcenter(tx, machine["vcenter_id"], ctx.now)


# -- deletion -----------------------------------------------------------------------------

def start_machine_delete(tx: Transaction, machine: dict[str, Any], now: int) -> None:
    machine["state"] = "DELETING"
    tx.update(MACHINE, machine["id"], machine)
    schedule(tx, "machine.deleted", now + DELETE_TIME, {"machine_id": machine["id"]}, key=f"machine:{machine['id']}")


@job_handler("machine.deleted")
def machine_deleted(ctx: JobContext, payload: dict[str, Any]) -> None:
    machine = ctx.tx.get(MACHINE, payload["machine_id"])
    if machine is None:
        return
    ctx.tx.delete(MACHINE, machine["id"])
    if (machine.get("managed_machine_data") or {}).get("operation") == "PUSH_IMAGE":
        # a push image task waiting for this machine's user stops waiting (images.rollout)
        ctx.schedule("image.machine.free", ctx.now, {"pool_id": machine["desktop_pool_id"],
                                                     "machine_id": machine["id"]})
    for session in ctx.tx.list("session", where={"machine_id": machine["id"]})[0]:
        ctx.tx.delete("session", session["id"])  # a deleted machine takes its user's session with it
    pool = ctx.tx.get(POOL, machine["desktop_pool_id"])
    if pool is not None and pool.get("delete_in_progress") and not pool_machines(ctx.tx, pool["id"]):
        ctx.tx.delete(POOL, pool["id"])
    elif pool is not None:
        request_reconcile(ctx.tx, pool["id"], ctx.now)
