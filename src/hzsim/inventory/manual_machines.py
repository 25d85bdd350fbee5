"""Machines of manual desktop pools: existing vCenter virtual machines added to a pool.

An added machine waits for its Horizon agent (WAITING_FOR_AGENT), then is AVAILABLE.
"""

from __future__ import annotations

import uuid
from typing import Any

from hzsim.engine.jobs import JobContext, job_handler, schedule
from hzsim.inventory.provisioning import agent_version
from hzsim.resources import bulk_item
from hzsim.store import Transaction
from hzsim.world.vcenter import VIRTUAL_MACHINE

MACHINE = "machine"
AGENT_READY_TIME = 30 * 1000


def add(tx: Transaction, pool: dict[str, Any], vm_ids: list[str], now: int) -> list[dict[str, Any]]:
    """Add vCenter VMs to a manual pool; one result per VM."""
    results = []
    for vm_id in vm_ids:
        vm = tx.get(VIRTUAL_MACHINE, vm_id)
        if vm is None or vm["vcenter_id"] != pool.get("vcenter_id"):
            results.append(bulk_item(vm_id, 404, "inventory.machine.vm.not.found",
                                 f"No virtual machine {vm_id} in the pool's vCenter."))
            continue
        if tx.list(MACHINE, where={"_vm_id": vm_id})[1]:
            results.append(bulk_item(vm_id, 400, "inventory.machine.vm.in.use",
                                 f"Virtual machine {vm['name']} already belongs to a desktop pool."))
            continue
        machine_id = str(uuid.uuid4())
        tx.insert(MACHINE, machine_id, {
            "id": machine_id, "_vm_id": vm_id, "name": vm["name"], "dns_name": f"{vm['name'].lower()}.example.com",
            "desktop_pool_id": pool["id"], "desktop_pool_name": pool["name"], "access_group_id": pool["access_group_id"],
            "vcenter_id": pool["vcenter_id"], "state": "WAITING_FOR_AGENT", "type": "MANAGED_MACHINE",
            "user_ids": [], "operating_system": vm.get("operating_system"), "operating_system_architecture": "BIT_64",
            "pairing_state": "NOT_AVAILABLE", "held_machine": False, "message_security_mode": "ENHANCED",
            "managed_machine_data": {"virtual_center_id": pool["vcenter_id"], "path": vm["path"], "vm_moid": vm_id,
                                     "create_time": now, "in_maintenance_mode": False, "missing_in_vcenter": False,
                                     "virtual_machine_power_state": "POWERED_ON", "storage_accelerator_state": "OFF"},
        })
        schedule(tx, "machine.agent_ready", now + AGENT_READY_TIME, {"machine_id": machine_id},
                 key=f"machine:{machine_id}")
        results.append(bulk_item(vm_id, 200))
    return results


@job_handler("machine.agent_ready")
def agent_ready(ctx: JobContext, payload: dict[str, Any]) -> None:
    machine = ctx.tx.get(MACHINE, payload["machine_id"])
    if machine is None or machine["state"] != "WAITING_FOR_AGENT":
        return
    machine.update({"state": "AVAILABLE", "agent_version": agent_version(ctx.tx), "agent_build_number": "23005470",
                    "pairing_state": "PAIRED_AND_SECURED", "agent_id": f"agent/{machine['id']}",
                    "configured_by_connection_server": ["cs01.example.com"]})
    ctx.tx.update(MACHINE, machine["id"], machine)
