"""vCenter monitoring: the SDK URL as the name, hosts, datastores and connection-server links."""

from __future__ import annotations

from typing import Any

from hzsim.operations import OperationRequest, Page, operation
from hzsim.resources import page_of
from hzsim.world import faults
from hzsim.world.vcenter import DATASTORE, HOST, HOST_OR_CLUSTER, VCENTER

CONNECTION_SERVER_NAME = "cs01.example.com"


def _monitor(request: OperationRequest, vcenter: dict[str, Any]) -> dict[str, Any]:
    tx = request.tx
    clusters = {c["id"]: c["name"] for c in tx.list(HOST_OR_CLUSTER, where={"vcenter_id": vcenter["id"]})[0]}
    reachable = faults.fire(tx, "vcenter_unreachable", vcenter["id"]) is None
    pools = tx.list("desktop_pool")[0]
    pool_count = sum(1 for p in pools if (p.get("provisioning_settings") or {}).get("virtual_center_id")
                     == vcenter["id"] or p.get("vcenter_id") == vcenter["id"])
    return {
        "id": vcenter["id"], "name": vcenter["name"],
        "details": {"version": vcenter["version"], "build": vcenter["build"], "api_version": vcenter["api_version"]},
        "hosts": [{"details": {"name": h["name"], "cluster_name": clusters.get(h["cluster_id"]),
                               "version": vcenter["version"], "api_version": vcenter["api_version"], "vgpu_types": []},
                   "status": h["status"] if reachable else "NOT_RESPONDING", "cpu_core_count": h["cpu_core_count"],
                   "cpu_mhz": h["cpu_mhz"], "memory_size_mb": h["memory_size_mb"]}
                  for h in tx.list(HOST, where={"vcenter_id": vcenter["id"]})[0]],
        "datastores": [{"details": {"name": d["name"], "path": d["path"], "url": f"ds:///vmfs/volumes/{d['id']}/"},
                        "capacity_mb": d["capacity_mb"], "free_space_mb": d["free_space_mb"],
                        "status": d["status"] if reachable else "NOT_ACCESSIBLE",
                        "type": d["file_system_type"] if d["file_system_type"] in ("VMFS", "VSAN", "VVOL") else None}
                       for d in tx.list(DATASTORE, where={"vcenter_id": vcenter["id"]})[0]],
        "connection_servers": [{"id": "cs01", "name": CONNECTION_SERVER_NAME,
                                "status": "OK" if reachable else "DOWN", "thumbprint_accepted": True,
                                "last_updated_timestamp": request.now,
                                "certificate": {"valid": True, "valid_from": vcenter["created_at"] - 86_400_000,
                                                "valid_to": vcenter["created_at"] + 730 * 86_400_000}}],
        "desktops_count": pool_count, "desktop_pools_and_farms_count": pool_count,
    }


@operation("listVirtualCenterMonitors", "listVirtualCenterMonitorsV2")
def list_virtual_center_monitors(request: OperationRequest) -> Page:
    return page_of([_monitor(request, vc) for vc in request.tx.list(VCENTER)[0]])
