"""Pool policies and per-user overrides resolve INHERIT from user to pool to the global default."""

from __future__ import annotations

from tests.helpers import HorizonClient
from tests.inventory.pools import provisioned_pool

POLICIES = {"allow_multimedia_redirection": "DENY", "allow_pcoip_hardware_acceleration": "INHERIT",
            "allow_remote_mode": "INHERIT", "allow_usb_access": "DENY"}


def test_pool_policies_and_user_overrides(api: HorizonClient) -> None:
    pool = provisioned_pool(api, 1, "pol-{n}")
    url = f"/rest/inventory/v1/desktop-pools/{pool['id']}/policies"
    before = api.get(url).json()
    assert before["resource_policies"]["allow_usb_access"] == "INHERIT"
    assert before["effective_policies"]["allow_usb_access"] == "ALLOW"
    assert api.put(url, json=POLICIES).status_code == 204
    after = api.get(url).json()
    assert after["effective_policies"]["allow_usb_access"] == "DENY"
    assert after["effective_policies"]["allow_remote_mode"] == "ALLOW"
    users = api.get("/rest/external/v1/ad-users-or-groups?page=1&size=2").json()
    override = {"user_id": users[0]["id"], "user_policies": {"allow_usb_access": "ALLOW"}}
    created = api.post(f"{url}/overrides", json=[override, {"user_id": "S-1-5-21-0-0-0-9", "user_policies": {}}])
    assert [r["status_code"] for r in created.json()] == [200, 404]
    assert api.post(f"{url}/overrides", json=[override]).json()[0]["status_code"] == 409
    listed = api.get(f"/rest/inventory/v1/desktop-pools/policies/overrides?desktop_pool_id={pool['id']}").json()
    assert len(listed) == 1 and listed[0]["effective_policies"]["allow_usb_access"] == "ALLOW"
    assert listed[0]["effective_policies"]["allow_multimedia_redirection"] == "DENY"
    updated = api.put(f"{url}/overrides", json=[{"user_id": users[0]["id"],
                                                 "user_policies": {**POLICIES, "allow_usb_access": "INHERIT"}}])
    assert updated.json()[0]["status_code"] == 200
    listed = api.get(f"/rest/inventory/v1/desktop-pools/policies/overrides?desktop_pool_id={pool['id']}").json()
    assert listed[0]["effective_policies"]["allow_usb_access"] == "DENY"
    assert api.delete(f"{url}/overrides", json=[users[0]["id"], users[1]["id"]]).json()[1]["status_code"] == 404
    assert api.get("/rest/inventory/v1/desktop-pools/policies/overrides").json() == []


def test_installed_applications_of_the_pools_image(api: HorizonClient) -> None:
    pool = provisioned_pool(api, 2, "apps-{n}")
    url = f"/rest/inventory/v1/desktop-pools/{pool['id']}"
    apps = api.get(f"{url}/installed-applications").json()
    assert "Notepad" in {a["name"] for a in apps}
    notepad = next(a["executable_path"] for a in apps if a["name"] == "Notepad")
    checked = api.post(f"{url}/action/validate-installed-applications", json=[notepad, "C:\\\\nope.exe"]).json()
    assert checked[0] == {"application_exe_path": notepad, "status": "SUCCESS", "machine_or_rds_server_ids": []}
    assert checked[1]["status"] == "NOT_INSTALLED" and len(checked[1]["machine_or_rds_server_ids"]) == 2
    machine = api.get("/rest/inventory/v5/machines").json()[0]["id"]
    archived = api.post("/rest/inventory/v1/machines/action/archive", json=[machine]).json()
    assert archived[0]["errors"][0]["error_key"] == "inventory.machine.not.held"
