"""Persistent disks of dedicated full clones: created with their machines, detached, attached, recreated."""

from __future__ import annotations

from tests.helpers import HorizonClient, assert_error_body
from tests.inventory.pools import world_ids
from tests.inventory.test_pool_lifecycle import advance, machines_of

DISKS = "/rest/inventory/v1/persistent-disks"


def full_clone_pool(api: HorizonClient) -> dict:
    ids = world_ids(api)
    vc = ids["vc"]
    template = api.get(f"/rest/external/v2/vm-templates?vcenter_id={vc}").json()[0]["id"]
    spec = {
        "name": "FC-Dedicated", "type": "AUTOMATED", "source": "VIRTUAL_CENTER", "user_assignment": "DEDICATED",
        "vcenter_id": vc, "naming_method": "PATTERN",
        "pattern_naming_settings": {"naming_pattern": "fc-{n}", "max_number_of_machines": 2},
        "provisioning_settings": {"host_or_cluster_id": ids["cluster"], "resource_pool_id": ids["resource_pool"],
                                  "vm_folder_id": ids["folder"], "datacenter_id": ids["dc"],
                                  "vm_template_id": template},
        "storage_settings": {"datastores": [{"datastore_id": ids["datastore"]}], "persistent_disk_size_mb": 10240},
        "customization_settings": {"customization_type": "NONE", "do_not_power_on_vms_after_creation": False},
    }
    assert api.post("/rest/inventory/v8/desktop-pools", json=spec).status_code == 201
    advance(api, 600)
    return next(p for p in api.get("/rest/inventory/v8/desktop-pools").json() if p["name"] == "FC-Dedicated")


def test_persistent_disk_lifecycle(api: HorizonClient) -> None:
    pool = full_clone_pool(api)
    machines = machines_of(api, pool["id"])
    assert {m["state"] for m in machines} == {"AVAILABLE"}
    disks = api.get(f"{DISKS}?sort_by=name").json()
    assert [(d["name"], d["usage"], d["status"]) for d in disks] == [("fc-1-pd", "PRIMARY", "IN_USE"),
                                                                    ("fc-2-pd", "PRIMARY", "IN_USE")]
    first, second = machines
    disk = disks[0]
    assert first["managed_machine_data"]["persistent_disk_ids"] == [disk["id"]]
    url = f"/rest/inventory/v1/machines/{first['id']}/action"
    assert api.post(f"{url}/detach-persistent-disk", json={"persistent_disk_id": disk["id"]}).status_code == 204
    assert api.get(f"{DISKS}/{disk['id']}").json()["status"] == "UNATTACHED"
    assert_error_body(api.post(f"{url}/detach-persistent-disk", json={"persistent_disk_id": disk["id"]}), 400,
                      "inventory.persistent.disk.not.attached")
    attach = f"/rest/inventory/v1/machines/{second['id']}/action/attach-persistent-disk"
    assert api.post(attach, json={"persistent_disk_id": disk["id"]}).status_code == 204
    assert api.get(f"{DISKS}/{disk['id']}").json()["usage"] == "SECONDARY"
    assert_error_body(api.post(attach, json={"persistent_disk_id": disk["id"]}), 400,
                      "inventory.persistent.disk.in.use")
    api.post(f"/rest/inventory/v1/machines/{second['id']}/action/detach-persistent-disk",
             json={"persistent_disk_id": disk["id"]})
    recreated = api.post("/rest/inventory/v1/machines/action/recreate-from-persistent-disk", json=[
        {"persistent_disk_id": disk["id"], "desktop_pool_id": pool["id"], "machine_name": "fc-restored"}]).json()
    assert recreated == [{"id": disk["id"], "status_code": 200}]
    advance(api, 600)
    restored = next(m for m in machines_of(api, pool["id"]) if m["name"] == "fc-restored")
    assert restored["state"] == "AVAILABLE"
    assert restored["managed_machine_data"]["persistent_disk_ids"] == [disk["id"]]
    assert api.get(f"{DISKS}/{disk['id']}").json()["machine_name"] == "fc-restored"


def test_deleting_a_machine_archives_or_deletes_its_disk(api: HorizonClient) -> None:
    pool = full_clone_pool(api)
    first, second = machines_of(api, pool["id"])
    disks = {d["machine_id"]: d["id"] for d in api.get(DISKS).json()}
    api.delete("/rest/inventory/v1/machines", json={"machine_ids": [first["id"]],
                                                    "machine_delete_data": {"archive_persistent_disk": True}})
    api.delete(f"/rest/inventory/v1/machines/{second['id']}", json={})
    kept = api.get(DISKS).json()
    assert [(d["id"], d["status"]) for d in kept] == [(disks[first["id"]], "UNATTACHED")]
