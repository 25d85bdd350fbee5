"""Persistent disks (minimal records): the user-data disks of dedicated full-clone machines.

A machine of a dedicated full-clone pool with `storage_settings.persistent_disk_size_mb` gets
a PRIMARY disk when it is provisioned. A disk can be detached (it stays, UNATTACHED), attached
to another machine of a dedicated pool (SECONDARY), or used to recreate a machine in a
dedicated pool, which becomes its PRIMARY disk and brings its user along.
"""

from __future__ import annotations

import uuid
from typing import Any

from hzsim.engine.jobs import schedule
from hzsim.errors import BadRequest, NotFound
from hzsim.inventory import provisioning
from hzsim.operations import OperationRequest, Page, operation
from hzsim.resources import find_resource, for_each, get_document, list_documents
from hzsim.store import Transaction
from hzsim.world.vcenter import DATASTORE

KIND, MACHINE, POOL = "persistent_disk", "machine", "desktop_pool"


def refuse(rule: str, message: str) -> BadRequest:
    return BadRequest(f"inventory.persistent.disk.{rule}", message)


def create_primary(tx: Transaction, pool: dict[str, Any], machine: dict[str, Any], now: int) -> None:
    """Give a newly provisioned machine of a dedicated full-clone pool its PRIMARY disk."""
    size = (pool.get("storage_settings") or {}).get("persistent_disk_size_mb")
    if not size or pool.get("user_assignment") != "DEDICATED" or pool.get("source") != "VIRTUAL_CENTER":
        return
    datastore = tx.get(DATASTORE, (pool.get("_datastore_ids") or [""])[0]) or {}
    disk_id = str(uuid.uuid4())
    tx.insert(KIND, disk_id, {
        "id": disk_id, "name": f"{machine['name']}-pd", "capacity_mb": size, "vcenter_id": pool["vcenter_id"],
        "datastore_id": datastore.get("id"), "datastore_name": datastore.get("name"),
        "desktop_pool_id": pool["id"], "desktop_pool_name": pool["name"], "access_group_id": pool["access_group_id"],
        "machine_id": machine["id"], "machine_name": machine["name"], "status": "IN_USE", "usage": "PRIMARY",
        "last_attached_time": now})
    data = machine["managed_machine_data"]
    data["persistent_disk_ids"] = [*data.get("persistent_disk_ids", []), disk_id]


def unattach(tx: Transaction, disk: dict[str, Any]) -> None:
    """The disk is kept, attached to no machine."""
    disk.update({"machine_id": None, "machine_name": None, "status": "UNATTACHED", "usage": "UNATTACHED"})
    tx.update(KIND, disk["id"], disk)


def _attach(tx: Transaction, disk: dict[str, Any], machine: dict[str, Any], usage: str, now: int) -> None:
    pool = tx.get(POOL, machine["desktop_pool_id"]) or {}
    disk.update({"machine_id": machine["id"], "machine_name": machine["name"], "status": "IN_USE", "usage": usage,
                 "desktop_pool_id": pool.get("id"), "desktop_pool_name": pool.get("name"),
                 "access_group_id": machine["access_group_id"], "last_attached_time": now})
    tx.update(KIND, disk["id"], disk)
    data = machine["managed_machine_data"]
    data["persistent_disk_ids"] = [*data.get("persistent_disk_ids", []), disk["id"]]
    tx.update(MACHINE, machine["id"], machine)


@operation("listPersistentDisks")
def list_disks(request: OperationRequest) -> Page:
    return list_documents(request, KIND)


@operation("getPersistentDisk")
def get_disk(request: OperationRequest) -> dict[str, Any]:
    return get_document(request, KIND, "inventory.persistent.disk.not.found", "Persistent disk")


def _disk(request: OperationRequest, disk_id: str) -> dict[str, Any]:
    disk = request.tx.get(KIND, disk_id)
    if disk is None:
        raise NotFound("inventory.persistent.disk.not.found", f"Persistent disk with id {disk_id} not found.")
    return disk


def _machine(request: OperationRequest, privilege: str) -> dict[str, Any]:
    return find_resource(request, MACHINE, request.path["id"], view="MACHINE_VIEW", privilege=privilege,
                         not_found_key="inventory.machine.not.found", what="Machine")


@operation("detachPersistentDisk")
def detach_disk(request: OperationRequest) -> None:
    machine = _machine(request, "UDD_MANAGEMENT")
    disk = _disk(request, request.body["persistent_disk_id"])
    if disk.get("machine_id") != machine["id"]:
        raise refuse("not.attached", "The persistent disk is not attached to this machine.")
    if request.tx.count("session", where={"machine_id": machine["id"]}):
        raise refuse("machine.in.use", "The machine has a session; log it off first.")
    unattach(request.tx, disk)
    data = machine["managed_machine_data"]
    data["persistent_disk_ids"] = [d for d in data.get("persistent_disk_ids", []) if d != disk["id"]]
    request.tx.update(MACHINE, machine["id"], machine)


@operation("attachPersistentDisk")
def attach_disk(request: OperationRequest) -> None:
    machine = _machine(request, "UDD_MANAGEMENT")
    disk = _disk(request, request.body["persistent_disk_id"])
    if disk["status"] != "UNATTACHED":
        raise refuse("in.use", "The persistent disk is attached to a machine.")
    pool = request.tx.get(POOL, machine["desktop_pool_id"]) or {}
    if pool.get("user_assignment") != "DEDICATED":
        raise refuse("pool.not.dedicated", "Persistent disks attach only to machines of dedicated pools.")
    _attach(request.tx, disk, machine, "SECONDARY", request.now)


@operation("recreateFromPersistentDisk")
def recreate_from_disk(request: OperationRequest) -> list[dict[str, Any]]:
    """A new machine in a dedicated pool, built around an unattached disk (and its user)."""
    tx, results = request.tx, []
    for spec in request.body:
        disk_id = spec["persistent_disk_id"]
        disk = tx.get(KIND, disk_id)
        pool = tx.get(POOL, spec["desktop_pool_id"])

        def act(_disk: dict[str, Any], disk=disk, pool=pool, spec=spec) -> None:
            if pool is None:
                raise NotFound("inventory.desktop.pool.not.found", f"Desktop pool {spec['desktop_pool_id']} not found.")
            if disk["status"] != "UNATTACHED":
                raise refuse("in.use", "The persistent disk is attached to a machine.")
            if pool.get("user_assignment") != "DEDICATED" or pool.get("type") != "AUTOMATED":
                raise refuse("pool.not.dedicated", "Machines are recreated from persistent disks in dedicated "
                                                   "automated pools only.")
            name = spec.get("machine_name") or disk["name"].removesuffix("-pd")
            if name in tx.names(MACHINE, where={"desktop_pool_id": pool["id"]}):
                raise refuse("name.in.use", f"The pool already has a machine named {name}.")
            machine = provisioning.new_machine(pool, name, request.now, provisioning.current_image(tx, pool))
            if disk.get("user_id"):
                machine["user_ids"] = [disk["user_id"]]
            tx.insert(MACHINE, machine["id"], machine)
            _attach(tx, disk, tx.get(MACHINE, machine["id"]), "PRIMARY", request.now)
            schedule(tx, "machine.cloned", request.now + provisioning.CLONE_TIME[pool["source"]],
                     {"machine_id": machine["id"]}, key=f"machine:{machine['id']}")

        results += for_each(request, KIND, [disk_id], view="UDD_VIEW",
                            privileges=("UDD_MANAGEMENT",), not_found_key="inventory.persistent.disk.not.found",
                            what="Persistent disk", act=act)
    return results
