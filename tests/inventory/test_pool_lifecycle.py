"""Creating an instant-clone pool: it publishes its image, then provisions to its size."""

from __future__ import annotations

import pytest

from tests.helpers import HorizonClient, assert_error_body
from tests.inventory.pools import instant_clone_spec, world_ids

POOLS = "/rest/inventory/v8/desktop-pools"


def advance(api: HorizonClient, seconds: int) -> None:
    assert api.client.post("/hzsim/v1/clock/advance", json={"seconds": seconds}).status_code == 200


def pool_named(api: HorizonClient, name: str, version: int = 8) -> dict:
    pools = api.get(f"/rest/inventory/v{version}/desktop-pools").json()
    return next(p for p in pools if p["name"] == name)


def machines_of(api: HorizonClient, pool_id: str) -> list[dict]:
    from urllib.parse import quote
    import json

    expression = quote(json.dumps({"type": "Equals", "name": "desktop_pool_id", "value": pool_id}))
    return api.get(f"/rest/inventory/v5/machines?filter={expression}&sort_by=name").json()


@pytest.fixture
def ids(api: HorizonClient) -> dict[str, str]:
    return world_ids(api)


def test_instant_clone_pool_publishes_then_provisions(api: HorizonClient, ids: dict[str, str]) -> None:
    response = api.post(POOLS, json=instant_clone_spec(ids, machines=5))
    assert response.status_code == 201 and response.content == b""
    pool = pool_named(api, "IC-Win11")
    status = pool["provisioning_status_data"]
    assert status["instant_clone_operation"] == "INITIAL_PUBLISH"
    assert status["instant_clone_pending_image_state"] == "PUBLISHING"
    assert machines_of(api, pool["id"]) == []
    advance(api, 120)
    progress = pool_named(api, "IC-Win11")["provisioning_status_data"]["instant_clone_pending_image_progress"]
    assert 0 < progress < 100
    advance(api, 185)  # publishing takes five simulated minutes
    status = pool_named(api, "IC-Win11")["provisioning_status_data"]
    assert status["instant_clone_operation"] == "NONE" and status["instant_clone_current_image_state"] == "READY"
    assert "instant_clone_pending_image_state" not in status
    machines = machines_of(api, pool["id"])
    assert [m["name"] for m in machines] == [f"ic-w11-{n:03d}" for n in range(1, 6)]
    assert {m["state"] for m in machines} == {"PROVISIONING"}
    advance(api, 20)
    assert {m["state"] for m in machines_of(api, pool["id"])} == {"CUSTOMIZING"}
    advance(api, 40)
    machines = machines_of(api, pool["id"])
    assert {m["state"] for m in machines} == {"AVAILABLE"}
    data = machines[0]["managed_machine_data"]
    assert data["base_vm_id"] == ids["vm"] and data["base_vm_snapshot_id"] == ids["snapshot"]
    assert data["vm_moid"].startswith("vm-") and machines[0]["dns_name"] == "ic-w11-001.example.com"
    for version in range(1, 9):
        assert api.get(f"/rest/inventory/v{version}/desktop-pools/{pool['id']}").json()["name"] == "IC-Win11"


def test_provisioning_respects_the_vcenter_limit(api: HorizonClient, ids: dict[str, str]) -> None:
    api.post(POOLS, json=instant_clone_spec(ids, machines=30,
                                            pattern_naming_settings={"naming_pattern": "big-{n}",
                                                                     "max_number_of_machines": 30}))
    advance(api, 300)
    pool = pool_named(api, "IC-Win11")
    states = [m["state"] for m in machines_of(api, pool["id"])]
    assert len(states) == 20 and set(states) == {"PROVISIONING"}  # instant_clone_engine_provisioning_limit
    advance(api, 200)
    machines = machines_of(api, pool["id"])
    assert len(machines) == 30 and {m["state"] for m in machines} == {"AVAILABLE"}


def test_a_failing_clone_stops_provisioning(api: HorizonClient, ids: dict[str, str]) -> None:
    api.client.post("/hzsim/v1/faults", json={"kind": "clone_failure", "times": "once", "message": "No space"})
    api.post(POOLS, json=instant_clone_spec(ids, machines=3, pattern_naming_settings={
        "naming_pattern": "f-{n}", "max_number_of_machines": 3}))
    advance(api, 400)
    pool = pool_named(api, "IC-Win11")
    machines = machines_of(api, pool["id"])
    failed = [m for m in machines if m["state"] == "PROVISIONING_ERROR"]
    assert len(failed) == 1 and failed[0]["managed_machine_data"]["clone_error_message"] == "No space"
    assert pool["enable_provisioning"] is False
    assert pool["provisioning_status_data"]["last_provisioning_error"] == "No space"


def test_publish_failure_leaves_the_image_failed(api: HorizonClient, ids: dict[str, str]) -> None:
    api.client.post("/hzsim/v1/faults", json={"kind": "image_publish_failure", "message": "Publish failed"})
    api.post(POOLS, json=instant_clone_spec(ids))
    advance(api, 60)
    status = pool_named(api, "IC-Win11")["provisioning_status_data"]
    assert status["instant_clone_current_image_state"] == "FAILED"
    assert status["last_provisioning_error"] == "Publish failed"


def test_duplicate_names_conflict(api: HorizonClient, ids: dict[str, str]) -> None:
    assert api.post(POOLS, json=instant_clone_spec(ids)).status_code == 201
    assert_error_body(api.post(POOLS, json=instant_clone_spec(ids, name="ic-win11")), 409,
                      "inventory.desktop.pool.name.in.use")
    available = api.post("/rest/inventory/v1/desktop-pools/action/check-name-availability", json={"name": "IC-Win11"})
    assert available.json() == {"available": False}


def test_delete_pool_deletes_its_machines_over_time(api: HorizonClient, ids: dict[str, str]) -> None:
    api.post(POOLS, json=instant_clone_spec(ids, machines=2, pattern_naming_settings={
        "naming_pattern": "d-{n}", "max_number_of_machines": 2}))
    advance(api, 600)
    pool = pool_named(api, "IC-Win11")
    assert api.delete(f"{POOLS}/{pool['id']}", json={"delete_from_disk": True}).status_code == 204
    assert pool_named(api, "IC-Win11")["delete_in_progress"] is True
    assert {m["state"] for m in machines_of(api, pool["id"])} == {"DELETING"}
    advance(api, 30)
    assert_error_body(api.get(f"{POOLS}/{pool['id']}"), 404, "inventory.desktop.pool.not.found")
    assert machines_of(api, pool["id"]) == []


@pytest.mark.parametrize("change,key,field", [
    ({"provisioning_settings": {"base_snapshot_id": "snapshot-999"}}, "invalid.reference", "base_snapshot_id"),
    ({"provisioning_settings": {"base_snapshot_id": "OTHER"}}, "image.source.invalid", "base_snapshot_id"),
    ({"provisioning_settings": {"parent_vm_id": None}}, "field.required", "parent_vm_id"),
    ({"pattern_naming_settings": {"naming_pattern": "a-very-long-name-{n}", "max_number_of_machines": 5}},
     "naming.pattern.too.long", "naming_pattern"),
    ({"pattern_naming_settings": {"naming_pattern": "p-{n}", "max_number_of_machines": 2,
                                  "number_of_spare_machines": 3}}, "sizing.invalid", "number_of_spare_machines"),
    ({"customization_settings": {"customization_type": "SYS_PREP"}}, "customization.invalid", "customization_type"),
    ({"source": "VIRTUAL_CENTER", "provisioning_settings": {"parent_vm_id": None, "base_snapshot_id": None,
                                                            "vm_template_id": "TEMPLATE"},
      "customization_settings": {"customization_type": "NONE", "instant_clone_domain_account_id": None}},
     "field.required", "do_not_power_on_vms_after_creation"),
    ({"customization_settings": {"instant_clone_domain_account_id": None}},
     "field.required", "instant_clone_domain_account_id"),
    ({"storage_settings": {"datastores": [{"datastore_id": "datastore-999"}]}}, "invalid.reference", "datastore"),
    ({"source": "LINKED_CLONE"}, "source.invalid", "source"),
    ({"category_folder_name": "Apps"}, "field.required", "shortcut_locations_v2"),
    ({"allow_users_to_choose_machines": True, "user_assignment": "DEDICATED"}, "user.assignment.invalid",
     "allow_users_to_choose_machines"),
    ({"cloud_assigned": True}, "cloud.invalid", "cloud_assigned"),
    ({"cloud_managed": True}, "cloud.invalid", "cs_restriction_tags is not set"),
    ({"display_protocol_settings": {"renderer3d": "MANAGE_BY_VSPHERE_CLIENT", "grid_vgpus_enabled": True,
                                    "allow_users_to_choose_protocol": False, "default_display_protocol": "BLAST"}},
     "display.invalid", "vGPU"),
    ({"source": "VIRTUAL_CENTER", "provisioning_settings": {"parent_vm_id": None, "base_snapshot_id": None,
                                                            "im_stream_id": "STREAM", "im_tag_id": "nope"},
      "customization_settings": {"customization_type": "NONE", "do_not_power_on_vms_after_creation": False,
                                 "instant_clone_domain_account_id": None}},
     "invalid.reference", "provisioning_settings.im_tag_id"),
    ({"cloud_managed": True, "cs_restriction_tags": ["cloud"], "enabled": False}, "cloud.invalid", "disabled"),
    ({"display_protocol_settings": {"renderer3d": "HARDWARE", "allow_users_to_choose_protocol": False,
                                    "default_display_protocol": "BLAST", "vram_size_mb": 128}}, "display.invalid",
     "MANAGE_BY_VSPHERE_CLIENT"),
    ({"session_settings": {"delete_or_refresh_machine_after_logoff": "REFRESH"}}, "session.settings.invalid",
     "DELETE"),
    ({"vcenter_id": "nope"}, "invalid.reference", "vcenter_id"),
    ({"provisioning_settings": {"compute_profile_num_cores_per_socket": 2, "compute_profile_num_cpus": 3,
                                "compute_profile_ram_mb": 4096}}, "compute.profile.invalid", "num_cpus"),
    ({"naming_method": "SPECIFIED", "specific_naming_settings": {"specified_names": [{"name": "123"}]}},
     "specified.names.invalid", "123"),
    ({"nics": [{"network_interface_card_id": "not-a-nic"}]}, "nics.invalid", "nics[0].network_interface_card_id"),
    ({"nics": "NIC-WITH-LABEL", "network_label_name": "No Such Network"}, "nics.invalid",
     "network_label_assignment_specs[0].network_label_name"),
    ({"nics": "NIC-WITH-LABEL", "network_label_name": "VM Network", "max_label_type": "LIMITED"}, "field.required",
     "max_label"),
])
def test_broken_rules_are_400_and_change_nothing(api: HorizonClient, ids: dict[str, str], change: dict, key: str,
                                                 field: str) -> None:
    spec = instant_clone_spec(ids)
    if change.get("nics") == "NIC-WITH-LABEL":
        change = dict(change)
        label = {k: change.pop(k) for k in ("network_label_name", "max_label_type") if k in change}
        change["nics"] = [{"network_interface_card_id": image_nics(api, ids)[0]["id"],
                           "network_label_assignment_specs": [{"max_label_type": "UNLIMITED", **label}]}]
    for section, values in change.items():
        if isinstance(values, dict) and isinstance(spec.get(section), dict):
            spec[section] = {**spec[section], **values}
            if values.get("im_stream_id") == "STREAM":
                spec[section]["im_stream_id"] = api.get("/rest/config/v1/im-streams").json()[0]["id"]
            if values.get("vm_template_id") == "TEMPLATE":
                spec[section]["vm_template_id"] = api.get(
                    f"/rest/external/v1/vm-templates?vcenter_id={ids['vc']}").json()[0]["id"]
            if values.get("base_snapshot_id") == "OTHER":
                other = api.get(f"/rest/external/v1/base-snapshots?vcenter_id={ids['vc']}&base_vm_id="
                                f"{ids['other_vm']}").json()[0]["id"]
                spec[section]["base_snapshot_id"] = other
            spec[section] = {k: v for k, v in spec[section].items() if v is not None}
        else:
            spec[section] = values
    before = api.get(POOLS).json()
    body = assert_error_body(api.post(POOLS, json=spec), 400, f"inventory.desktop.pool.{key}")
    assert field in body["error_message"]
    assert api.get(POOLS).json() == before


def image_nics(api: HorizonClient, ids: dict[str, str]) -> list[dict]:
    response = api.get(f"/rest/external/v2/network-interface-cards?vcenter_id={ids['vc']}&base_vm_id={ids['vm']}"
                       f"&base_snapshot_id={ids['snapshot']}")
    assert response.status_code == 200, response.text
    return response.json()


def test_nics_name_adapters_of_the_image_and_labels_of_the_cluster(api: HorizonClient, ids: dict[str, str]) -> None:
    cards = image_nics(api, ids)
    assert cards and cards[0]["name"] == "Network adapter 1" and cards[0]["network_type"] == "NETWORK"
    assert image_nics(api, ids) == cards  # stable ids
    label = api.get(f"/rest/external/v1/network-labels?vcenter_id={ids['vc']}&host_or_cluster_id="
                    f"{ids['cluster']}").json()[0]["name"]
    nics = [{"network_interface_card_id": cards[0]["id"], "network_label_assignment_specs": [
        {"network_label_name": label, "max_label_type": "LIMITED", "max_label": 3}]}]
    assert api.post(POOLS, json=instant_clone_spec(ids, nics=nics)).status_code == 201
    pool = pool_named(api, "IC-Win11")
    assert pool["nics"][0]["network_interface_card_name"] == "Network adapter 1"
    assert pool["nics"][0]["network_label_assignment_specs"][0]["network_label_name"] == label
    unrelated = api.get(f"/rest/external/v1/network-interface-cards?vcenter_id={ids['vc']}&base_vm_id={ids['vm']}"
                        f"&base_snapshot_id=snapshot-999")
    assert_error_body(unrelated, 400, "external.base.snapshot.id.invalid")


def test_cloud_managed_pools_take_no_local_entitlements(api: HorizonClient, ids: dict[str, str]) -> None:
    spec = instant_clone_spec(ids, cloud_managed=True, cs_restriction_tags=["cloud"])
    assert api.post(POOLS, json=spec).status_code == 201
    pool = pool_named(api, "IC-Win11")
    assert pool["cloud_managed"] is True
    group = api.get("/rest/external/v1/ad-users-or-groups?group_only=true").json()[0]["id"]
    assert api.post("/rest/entitlements/v1/desktop-pools", json=[{"id": pool["id"], "ad_user_or_group_ids": [group]}]
                    ).json()[0]["status_code"] == 200
    update = {"cloud_assigned": False, "cloud_managed": True, "cs_restriction_tags": ["cloud"],
              "display_assigned_machine_name": False, "display_machine_alias": False, "display_name": "IC",
              "enable_client_restrictions": False, "enabled": True, "enable_provisioning": True,
              "stop_provisioning_on_error": True, "transparent_page_sharing_scope": "VM",
              "access_group_id": pool["access_group_id"]}
    before = pool_named(api, "IC-Win11")
    body = assert_error_body(api.put(f"{POOLS}/{pool['id']}", json=update), 400, "inventory.desktop.pool.cloud.invalid")
    assert "local entitlements" in body["error_message"]
    assert pool_named(api, "IC-Win11") == before
    assert api.put(f"{POOLS}/{pool['id']}", json={**update, "cloud_managed": False}).status_code == 204


def test_update_grows_the_pool_and_keeps_what_it_cannot_change(api: HorizonClient, ids: dict[str, str]) -> None:
    api.post(POOLS, json=instant_clone_spec(ids, machines=2, pattern_naming_settings={
        "naming_pattern": "u-{n}", "max_number_of_machines": 2}))
    advance(api, 400)
    pool = pool_named(api, "IC-Win11")
    update = {"access_group_id": pool["access_group_id"], "enable_provisioning": True,
              "stop_provisioning_on_error": True, "transparent_page_sharing_scope": "VM",
              "description": "Grown", "name": "Renamed", "cloud_assigned": False, "cloud_managed": False,
              "display_assigned_machine_name": False, "display_machine_alias": False, "display_name": "IC",
              "enable_client_restrictions": False, "enabled": True,
              "pattern_naming_settings": {"naming_pattern": "u-{n}", "max_number_of_machines": 4,
                                          "number_of_spare_machines": 1, "provisioning_time": "UP_FRONT"}}
    assert api.put(f"{POOLS}/{pool['id']}", json=update).status_code == 204
    advance(api, 120)
    after = api.get(f"{POOLS}/{pool['id']}").json()
    assert after["name"] == "IC-Win11" and after["description"] == "Grown"
    assert len(machines_of(api, pool["id"])) == 4
    missing = {k: v for k, v in update.items() if k != "enable_provisioning"}
    assert_error_body(api.put(f"{POOLS}/{pool['id']}", json=missing), 400, "inventory.desktop.pool.field.required")


def test_enabling_provisioning_clears_the_last_error(api: HorizonClient, ids: dict[str, str]) -> None:
    api.client.post("/hzsim/v1/faults", json={"kind": "clone_failure", "times": "once", "message": "No space"})
    api.post(POOLS, json=instant_clone_spec(ids, machines=2, pattern_naming_settings={
        "naming_pattern": "e-{n}", "max_number_of_machines": 2}))
    advance(api, 400)
    pool = pool_named(api, "IC-Win11")
    assert pool["enable_provisioning"] is False
    result = api.post("/rest/inventory/v1/desktop-pools/action/enable-provisioning", json=[pool["id"]]).json()
    assert result == [{"id": pool["id"], "status_code": 200}]
    status = pool_named(api, "IC-Win11")["provisioning_status_data"]
    assert "last_provisioning_error" not in status


def test_a_full_clone_pool_from_an_image_management_stream(api: HorizonClient, ids: dict[str, str]) -> None:
    stream = api.get("/rest/config/v1/im-streams").json()[0]["id"]
    tag = api.get(f"/rest/config/v1/im-tags?im_stream_id={stream}").json()[0]["id"]
    spec = instant_clone_spec(ids, name="FC-Stream", source="VIRTUAL_CENTER", machines=1, pattern_naming_settings={
        "naming_pattern": "fc-{n}", "max_number_of_machines": 1})
    spec["provisioning_settings"] = {k: v for k, v in spec["provisioning_settings"].items()
                                     if k not in ("parent_vm_id", "base_snapshot_id")}
    spec["provisioning_settings"].update({"im_stream_id": stream, "im_tag_id": tag})
    spec["customization_settings"] = {"customization_type": "NONE", "do_not_power_on_vms_after_creation": False}
    response = api.post(POOLS, json=spec)
    assert response.status_code == 201, response.text
    pool = pool_named(api, "FC-Stream")
    assert pool["provisioning_settings"]["im_tag_id"] == tag
    advance(api, 600)
    [machine] = machines_of(api, pool["id"])
    assert machine["managed_machine_data"]["image_management_tag_id"] == tag
