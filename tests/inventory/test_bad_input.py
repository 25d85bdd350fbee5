"""A bad-input catalogue for the pool, machine and session operations: each case gets the right
status and error key, and the whole store (every document and job) is unchanged afterwards."""

from __future__ import annotations

import pytest
from tests.auth.test_privileges import grant
from tests.helpers import HorizonClient, assert_error_body
from tests.inventory.pools import dump, instant_clone_spec


def spec_with(ids: dict, **changes) -> dict:
    spec = instant_clone_spec(ids, name="Other-Pool")
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(spec.get(key), dict):
            spec[key] = {**spec[key], **value}
        else:
            spec[key] = value
    return spec


# (name, method, path, body builder, status, error key)
CASES = [
    ("create: missing name", "POST", "/rest/inventory/v8/desktop-pools",
     lambda w: {k: v for k, v in spec_with(w["ids"]).items() if k != "name"}, 400, "common.field.required"),
    ("create: wrong enum", "POST", "/rest/inventory/v8/desktop-pools",
     lambda w: spec_with(w["ids"], type="SOMETIMES"), 400, "common.field.invalid.value"),
    ("create: bad name pattern", "POST", "/rest/inventory/v8/desktop-pools",
     lambda w: spec_with(w["ids"], name="no spaces!"), 400, "common.field.invalid.format"),
    ("create: sizing", "POST", "/rest/inventory/v8/desktop-pools",
     lambda w: spec_with(w["ids"], pattern_naming_settings={"number_of_spare_machines": 9}), 400,
     "inventory.desktop.pool.sizing.invalid"),
    ("create: duplicate name", "POST", "/rest/inventory/v8/desktop-pools",
     lambda w: spec_with(w["ids"], name="IC-Win11"), 409, "inventory.desktop.pool.name.in.use"),
    ("create v1: unknown snapshot", "POST", "/rest/inventory/v1/desktop-pools",
     lambda w: spec_with(w["ids"], provisioning_settings={"base_snapshot_id": "snapshot-9999"}), 400,
     "inventory.desktop.pool.invalid.reference"),
    ("get: unknown pool", "GET", "/rest/inventory/v8/desktop-pools/nope", None, 404,
     "inventory.desktop.pool.not.found"),
    ("update: unknown pool", "PUT", "/rest/inventory/v8/desktop-pools/nope",
     lambda w: {"cloud_assigned": False, "cloud_managed": False, "display_assigned_machine_name": False,
                "display_machine_alias": False, "display_name": "x", "enable_client_restrictions": False,
                "enabled": True}, 404, "inventory.desktop.pool.not.found"),
    ("update: missing required", "PUT", "/rest/inventory/v8/desktop-pools/{pool}", lambda w: {"enabled": True},
     400, "common.field.required"),
    ("delete: unknown pool", "DELETE", "/rest/inventory/v8/desktop-pools/nope", None, 404,
     "inventory.desktop.pool.not.found"),
    ("name availability: missing name", "POST", "/rest/inventory/v1/desktop-pools/action/check-name-availability",
     lambda w: {}, 400, "common.field.required"),
    ("enable: not a list", "POST", "/rest/inventory/v1/desktop-pools/action/enable", lambda w: {"id": "x"}, 400,
     "common.field.invalid.type"),
    ("machine: unknown", "GET", "/rest/inventory/v5/machines/nope", None, 404, "inventory.machine.not.found"),
    ("machines: bad filter", "GET", "/rest/inventory/v5/machines?filter=%7B", None, 400, "common.filter.invalid"),
    ("assign users: floating pool", "POST", "/rest/inventory/v1/machines/{machine}/action/assign-users",
     lambda w: ["S-1-5-21-1-2-3-1104"], 400, "inventory.machine.floating.assignment"),
    ("delete machines: missing ids", "DELETE", "/rest/inventory/v1/machines", lambda w: {}, 400,
     "common.field.required"),
    ("logoff: wrong type", "POST", "/rest/inventory/v1/sessions/action/logoff?forced=perhaps", lambda w: [], 400,
     "common.query.param.invalid"),
    ("session: unknown", "GET", "/rest/inventory/v1/sessions/nope", None, 404, "inventory.session.not.found"),
    ("send message: wrong enum", "POST", "/rest/inventory/v1/sessions/action/send-message",
     lambda w: {"session_ids": [], "message": "m", "message_type": "SHOUT"}, 400, "common.field.invalid.value"),
    ("entitle: missing ids", "POST", "/rest/entitlements/v1/desktop-pools", lambda w: [{"id": w["pool"]}], 400,
     "common.field.required"),
    ("create: category folder five levels deep", "POST", "/rest/inventory/v8/desktop-pools",
     lambda w: spec_with(w["ids"], category_folder_name="a\\b\\c\\d\\e", shortcut_locations_v2=["START_MENU"]),
     400, "common.field.invalid.format"),
    ("create: category folder with a reserved name", "POST", "/rest/inventory/v8/desktop-pools",
     lambda w: spec_with(w["ids"], category_folder_name="Apps\\COM1", shortcut_locations_v2=["START_MENU"]),
     400, "common.field.invalid.format"),
    ("create: nic not on the image", "POST", "/rest/inventory/v8/desktop-pools",
     lambda w: spec_with(w["ids"], nics=[{"network_interface_card_id": "nope"}]), 400,
     "inventory.desktop.pool.nics.invalid"),
    ("create: cloud managed without restriction tags", "POST", "/rest/inventory/v8/desktop-pools",
     lambda w: spec_with(w["ids"], cloud_managed=True), 400, "inventory.desktop.pool.cloud.invalid"),
    ("maintenance: not a list", "POST", "/rest/inventory/v1/machines/action/enter-maintenance",
     lambda w: {"id": w["machine"]}, 400, "common.field.invalid.type"),
    ("assign users: missing body", "POST", "/rest/inventory/v1/machines/{machine}/action/assign-users", None, 400,
     "common.body.required"),
    ("disconnect: ids not strings", "POST", "/rest/inventory/v1/sessions/action/disconnect", lambda w: [1, 2], 400,
     "common.field.invalid.type"),
    ("global sessions logoff: wrong shape", "POST", "/rest/inventory/v1/global-sessions/action/logoff",
     lambda w: {"pod_id": "x"}, 400, "common.field.invalid.type"),
    ("agent upgrade: missing package", "POST", "/rest/inventory/v1/machines/action/schedule-agent-upgrade",
     lambda w: {"machine_ids": [w["machine"]]}, 400, "common.field.required"),
    ("policies: wrong enum", "PUT", "/rest/inventory/v1/desktop-pools/{pool}/policies",
     lambda w: {"allow_multimedia_redirection": "MAYBE", "allow_pcoip_hardware_acceleration": "ALLOW",
                "allow_remote_mode": "ALLOW", "allow_usb_access": "ALLOW"}, 400, "common.field.invalid.value"),
]


@pytest.mark.parametrize("name,method,path,body,status,key", CASES, ids=[case[0] for case in CASES])
def test_bad_input_changes_nothing(api: HorizonClient, world: dict, name: str, method: str, path: str, body,
                                   status: int, key: str) -> None:
    before = dump(api)
    kwargs = {"json": body(world)} if body else {}
    response = api.request(method, path.format(**world), **kwargs)
    assert_error_body(response, status, key)
    assert dump(api) == before, f"{name} changed the store"


PRIVILEGED = [
    ("POST", "/rest/inventory/v8/desktop-pools", lambda w: spec_with(w["ids"])),
    ("PUT", "/rest/inventory/v1/desktop-pools/{pool}/policies",
     lambda w: {"allow_multimedia_redirection": "ALLOW", "allow_pcoip_hardware_acceleration": "ALLOW",
                "allow_remote_mode": "ALLOW", "allow_usb_access": "ALLOW"}),
    ("DELETE", "/rest/inventory/v8/desktop-pools/{pool}", None),
    ("POST", "/rest/inventory/v1/machines/action/enter-maintenance", lambda w: [w["machine"]]),
]


@pytest.mark.parametrize("method,path,body", PRIVILEGED, ids=[f"{m} {p}" for m, p, _ in PRIVILEGED])
def test_no_privilege_is_403_and_changes_nothing(api: HorizonClient, world: dict, method: str, path: str,
                                                 body) -> None:
    sim = api.client.app.sim
    grant(sim, "viewer", ["POOL_VIEW", "MACHINE_VIEW"])
    viewer = HorizonClient(api.client)
    viewer.login(username="viewer", password="pw")
    before = dump(api)
    kwargs = {"json": body(world)} if body else {}
    response = viewer.request(method, path.format(**world), **kwargs)
    if response.status_code == 200:  # a bulk action answers per item
        assert [item["status_code"] for item in response.json()] == [403]
    else:
        assert_error_body(response, 403, "common.forbidden")
    assert dump(api) == before


POLICY = {"allow_multimedia_redirection": "ALLOW", "allow_pcoip_hardware_acceleration": "ALLOW",
          "allow_remote_mode": "ALLOW", "allow_usb_access": "ALLOW"}
# Operations on one resource by id: an unknown id is 404 with the resource's key.
UNKNOWN_IDS = [
    ("GET", "/rest/inventory/v1/desktop-pools/nope", None, "inventory.desktop.pool.not.found"),
    ("GET", "/rest/inventory/v5/desktop-pools/nope", None, "inventory.desktop.pool.not.found"),
    ("DELETE", "/rest/inventory/v1/desktop-pools/nope", None, "inventory.desktop.pool.not.found"),
    ("POST", "/rest/inventory/v1/desktop-pools/nope/action/add-machines", ["vm-1"], "inventory.desktop.pool.not.found"),
    ("POST", "/rest/inventory/v1/desktop-pools/nope/action/add-machines-by-name", [{"name": "x1"}],
     "inventory.desktop.pool.not.found"),
    ("POST", "/rest/inventory/v1/desktop-pools/nope/action/remove-machines", ["m"], "inventory.desktop.pool.not.found"),
    ("GET", "/rest/inventory/v1/desktop-pools/nope/installed-applications", None, "inventory.desktop.pool.not.found"),
    ("POST", "/rest/inventory/v1/desktop-pools/nope/action/validate-installed-applications", ["a.exe"],
     "inventory.desktop.pool.not.found"),
    ("GET", "/rest/inventory/v1/desktop-pools/nope/policies", None, "inventory.desktop.pool.not.found"),
    ("PUT", "/rest/inventory/v1/desktop-pools/nope/policies", POLICY, "inventory.desktop.pool.not.found"),
    ("POST", "/rest/inventory/v1/desktop-pools/nope/policies/overrides", [], "inventory.desktop.pool.not.found"),
    ("GET", "/rest/inventory/v1/machines/nope", None, "inventory.machine.not.found"),
    ("DELETE", "/rest/inventory/v1/machines/nope", {}, "inventory.machine.not.found"),
    ("POST", "/rest/inventory/v1/machines/nope/action/assign-users", ["S-1"], "inventory.machine.not.found"),
    ("POST", "/rest/inventory/v1/machines/nope/action/unassign-users", ["S-1"], "inventory.machine.not.found"),
    ("POST", "/rest/inventory/v1/machines/nope/action/assign-aliases", [{"ad_user_id": "S-1", "alias_name": "a"}],
     "inventory.machine.not.found"),
    ("POST", "/rest/inventory/v1/machines/nope/action/attach-persistent-disk", {"persistent_disk_id": "d"},
     "inventory.machine.not.found"),
    ("GET", "/rest/inventory/v1/sessions/nope", None, "inventory.session.not.found"),
    ("GET", "/rest/inventory/v1/persistent-disks/nope", None, "inventory.persistent.disk.not.found"),
    ("GET", "/rest/inventory/v1/machines/agent-upgrade-tasks/nope", None, "inventory.agent.upgrade.task.not.found"),
    ("GET", "/rest/entitlements/v1/desktop-pools/nope", None, "inventory.desktop.pool.not.found"),
]


@pytest.mark.parametrize("method,path,body,key", UNKNOWN_IDS, ids=[f"{m} {p}" for m, p, _, _ in UNKNOWN_IDS])
def test_unknown_ids_are_404_and_change_nothing(api: HorizonClient, world: dict, method: str, path: str, body,
                                                key: str) -> None:
    before = dump(api)
    response = api.request(method, path, **({"json": body} if body is not None else {}))
    assert_error_body(response, 404, key)
    assert dump(api) == before


# Bulk operations: an unknown id is a 404 item, the others still succeed.
BULK = [
    ("POST", "/rest/inventory/v1/desktop-pools/action/disable", lambda w: [w["pool"], "nope"]),
    ("POST", "/rest/inventory/v1/desktop-pools/action/disable-provisioning", lambda w: [w["pool"], "nope"]),
    ("POST", "/rest/inventory/v1/machines/action/enter-maintenance", lambda w: [w["machine"], "nope"]),
    ("POST", "/rest/inventory/v1/machines/action/restart", lambda w: [w["machine"], "nope"]),
]


@pytest.mark.parametrize("method,path,body", BULK, ids=[p for _, p, _ in BULK])
def test_one_bad_id_never_undoes_the_others(api: HorizonClient, world: dict, method: str, path: str, body) -> None:
    response = api.request(method, path, json=body(world))
    assert response.status_code == 200
    items = response.json()
    assert [item["status_code"] for item in items] == [200, 404]
    assert items[1]["errors"][0]["error_key"].endswith("not.found")
