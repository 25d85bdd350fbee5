"""Helpers to build desktop-pool specs from the default scenario's world."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hzsim.store.tables import documents, jobs
from tests.helpers import HorizonClient


def world_ids(api: HorizonClient) -> dict[str, str]:
    vc = api.get("/rest/config/v2/virtual-centers").json()[0]["id"]
    dc = api.get(f"/rest/external/v1/datacenters?vcenter_id={vc}").json()[0]["id"]
    cluster = api.get(f"/rest/external/v1/hosts-or-clusters?vcenter_id={vc}&datacenter_id={dc}").json()[0]["id"]
    pools = api.get(f"/rest/external/v1/resource-pools?vcenter_id={vc}&host_or_cluster_id={cluster}").json()
    folders = api.get(f"/rest/external/v1/vm-folders?vcenter_id={vc}&datacenter_id={dc}").json()[0]
    stores = api.get(f"/rest/external/v1/datastores?vcenter_id={vc}&host_or_cluster_id={cluster}").json()
    vms = {v["name"]: v["id"] for v in api.get(f"/rest/external/v1/base-vms?vcenter_id={vc}").json()}
    snapshots = {s["name"]: s["id"] for s in api.get(
        f"/rest/external/v1/base-snapshots?vcenter_id={vc}&base_vm_id={vms['win11-gold']}").json()}
    account = api.get("/rest/config/v1/ic-domain-accounts").json()[0]["id"]
    vdi = next(c["id"] for c in folders["children"] if c["name"] == "VDI")
    return {"vc": vc, "dc": dc, "cluster": cluster, "resource_pool": pools[0]["id"], "folder": vdi,
            "datastore": stores[0]["id"], "vm": vms["win11-gold"], "other_vm": vms["win10-gold"],
            "snapshot": snapshots["2026-12"], "old_snapshot": snapshots["2026-11"], "account": account}


def instant_clone_spec(ids: dict[str, str], name: str = "IC-Win11", machines: int = 5,
                       **overrides: Any) -> dict[str, Any]:
    spec = {
        "name": name, "type": "AUTOMATED", "source": "INSTANT_CLONE", "user_assignment": "FLOATING",
        "vcenter_id": ids["vc"], "naming_method": "PATTERN",
        "pattern_naming_settings": {"naming_pattern": "ic-w11-{n:fixed=3}", "max_number_of_machines": machines,
                                    "number_of_spare_machines": 1, "provisioning_time": "UP_FRONT"},
        "provisioning_settings": {"host_or_cluster_id": ids["cluster"], "resource_pool_id": ids["resource_pool"],
                                  "vm_folder_id": ids["folder"], "datacenter_id": ids["dc"],
                                  "parent_vm_id": ids["vm"], "base_snapshot_id": ids["snapshot"]},
        "storage_settings": {"datastores": [{"datastore_id": ids["datastore"]}]},
        "customization_settings": {"customization_type": "CLONE_PREP", "ad_container_rdn": "CN=Computers",
                                   "instant_clone_domain_account_id": ids["account"]},
    }
    spec.update(overrides)
    return spec


def provisioned_pool(api: HorizonClient, machines: int, pattern: str, entitled_group: str = "VDI-Users") -> dict:
    """An instant-clone pool of `machines`, provisioned (the clock advanced) and entitled to a group."""
    ids = world_ids(api)
    api.post("/rest/inventory/v8/desktop-pools", json=instant_clone_spec(ids, machines=machines, pattern_naming_settings={
        "naming_pattern": pattern, "max_number_of_machines": machines}))
    assert api.client.post("/hzsim/v1/clock/advance", json={"seconds": 400}).status_code == 200
    pool = next(p for p in api.get("/rest/inventory/v8/desktop-pools").json() if p["name"] == "IC-Win11")
    group = next(g["id"] for g in api.get("/rest/external/v1/ad-users-or-groups?group_only=true").json()
                 if g["login_name"] == entitled_group)
    entitled = api.post("/rest/entitlements/v1/desktop-pools", json=[{"id": pool["id"], "ad_user_or_group_ids": [group]}])
    assert entitled.json() == [{"id": pool["id"], "status_code": 200}]
    return pool


def dump(api: HorizonClient) -> list:
    sim = api.client.app.sim
    with sim.store.transaction(write=False) as tx:
        docs = tx.connection.execute(select(documents.c.kind, documents.c.id, documents.c.version, documents.c.doc)
                                     .order_by(documents.c.kind, documents.c.id)).all()
        queued = tx.connection.execute(select(jobs.c.kind, jobs.c.due_at, jobs.c.key, jobs.c.payload)
                                       .order_by(jobs.c.id)).all()
    return [tuple(row) for row in docs] + [tuple(row) for row in queued]
