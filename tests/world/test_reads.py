"""The read APIs over the default scenario's world, as automation calls them before it
creates a pool or pushes an image. Every 2xx body is checked against the contract by the client."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.helpers import HorizonClient, assert_error_body


@pytest.fixture
def vc(api: HorizonClient) -> str:
    return api.get("/rest/config/v2/virtual-centers").json()[0]["id"]


def test_vcenter_names_as_scripts_expect(api: HorizonClient, vc: str) -> None:
    monitor = api.get("/rest/monitor/v2/virtual-centers").json()[0]
    assert monitor["name"] == "https://vc01.example.com:443/sdk" and monitor["id"] == vc
    assert len(monitor["hosts"]) == 4 and all(h["status"] == "CONNECTED" for h in monitor["hosts"])
    assert len(monitor["datastores"]) == 2
    assert api.get("/rest/monitor/virtual-centers").status_code == 200
    for version in range(1, 7):
        config = api.get(f"/rest/config/v{version}/virtual-centers").json()[0]
        assert config["server_name"] == "vc01.example.com"
    limits = api.get(f"/rest/config/v5/virtual-centers/{vc}").json()["limits"]
    assert limits == {"provisioning_limit": 20, "power_operations_limit": 50,
                      "instant_clone_engine_provisioning_limit": 20, "instant_clone_maintenance_limit": 12}
    assert_error_body(api.get("/rest/config/v5/virtual-centers/nope"), 404, "config.virtual.center.not.found")


def test_walk_the_vcenter_inventory(api: HorizonClient, vc: str) -> None:
    datacenters = api.get(f"/rest/external/v1/datacenters?vcenter_id={vc}").json()
    assert [d["name"] for d in datacenters] == ["Datacenter"] and datacenters[0]["id"].startswith("datacenter-")
    dc = datacenters[0]["id"]
    clusters = api.get(f"/rest/external/v1/hosts-or-clusters?vcenter_id={vc}&datacenter_id={dc}").json()
    assert clusters[0]["id"].startswith("domain-c") and clusters[0]["details"]["cluster"] is True
    cluster = clusters[0]["id"]
    pools = api.get(f"/rest/external/v1/resource-pools?vcenter_id={vc}&host_or_cluster_id={cluster}").json()
    assert pools[0]["id"].startswith("resgroup-") and [c["name"] for c in pools[0]["children"]] == ["VDI"]
    stores = api.get(f"/rest/external/v1/datastores?vcenter_id={vc}&host_or_cluster_id={cluster}").json()
    assert {s["name"] for s in stores} == {"vsanDatastore", "nfs-vdi-01"}
    assert all(s["id"].startswith("datastore-") and s["free_space_mb"] <= s["capacity_mb"] for s in stores)
    networks = api.get(f"/rest/external/v1/network-labels?vcenter_id={vc}&host_or_cluster_id={cluster}").json()
    assert {n["name"] for n in networks} == {"VM Network", "VDI-VLAN100"}
    folders = api.get(f"/rest/external/v1/vm-folders?vcenter_id={vc}&datacenter_id={dc}").json()
    assert folders[0]["type"] == "DATACENTER" and folders[0]["id"].startswith("group-v")
    assert {c["name"] for c in folders[0]["children"]} == {"Gold", "VDI", "Templates"}
    assert api.get(f"/rest/external/v1/customization-specifications?vcenter_id={vc}").json()[0]["name"] == \
        "Win11-Sysprep"
    for version in (1, 2):
        templates = api.get(f"/rest/external/v{version}/vm-templates?vcenter_id={vc}").json()
        assert [t["name"] for t in templates] == ["win11-template"]


def test_base_vms_and_snapshot_chains(api: HorizonClient, vc: str) -> None:
    for version in (1, 2, 3):
        vms = api.get(f"/rest/external/v{version}/base-vms?vcenter_id={vc}").json()
        assert {v["name"] for v in vms} == {"win11-gold", "win10-gold"}
    gold = next(v for v in api.get(f"/rest/external/v3/base-vms?vcenter_id={vc}").json() if v["name"] == "win11-gold")
    assert gold["id"].startswith("vm-") and gold["path"] == "/Datacenter/vm/Gold/win11-gold"
    assert gold["datacenter_id"].startswith("datacenter-") and gold["vcenter_id"] == vc
    snapshots = api.get(f"/rest/external/v2/base-snapshots?vcenter_id={vc}&base_vm_id={gold['id']}").json()
    assert len(snapshots) == 4
    by_name = {s["name"]: s for s in snapshots}
    assert by_name["2026-12"]["path"] == "/Base/2026-10/2026-11/2026-12"
    assert by_name["Base"]["created_timestamp"] < by_name["2026-12"]["created_timestamp"]
    assert all(s["id"].startswith("snapshot-") for s in snapshots)
    assert api.get(f"/rest/external/v2/base-vms/{gold['id']}?vcenter_id={vc}").json()["name"] == "win11-gold"
    assert_error_body(api.get(f"/rest/external/v2/base-vms/vm-999?vcenter_id={vc}"), 404,
                      "external.base.vm.not.found")


def test_equals_filters_really_filter_base_vms_and_snapshots(api: HorizonClient, vc: str) -> None:
    by_name = quote(json.dumps({"type": "Equals", "name": "name", "value": "win10-gold"}))
    vms = api.get(f"/rest/external/v2/base-vms?vcenter_id={vc}&filter={by_name}").json()
    assert [v["name"] for v in vms] == ["win10-gold"]
    by_id = quote(json.dumps({"type": "Equals", "name": "id", "value": vms[0]["id"]}))
    assert [v["id"] for v in api.get(f"/rest/external/v3/base-vms?vcenter_id={vc}&filter={by_id}").json()] == [
        vms[0]["id"]]
    snapshots = api.get(f"/rest/external/v2/base-snapshots?vcenter_id={vc}&base_vm_id={vms[0]['id']}").json()
    one = quote(json.dumps({"type": "Equals", "name": "name", "value": "2026-11"}))
    found = api.get(f"/rest/external/v2/base-snapshots?vcenter_id={vc}&base_vm_id={vms[0]['id']}&filter={one}")
    assert [s["name"] for s in found.json()] == ["2026-11"] and len(snapshots) == 3
    paged = api.get(f"/rest/external/v2/base-snapshots?vcenter_id={vc}&base_vm_id={vms[0]['id']}&page=1&size=2")
    assert len(paged.json()) == 2 and paged.headers["HAS_MORE_RECORDS"] == "TRUE"


def test_filter_incompatible_vms(api: HorizonClient, tmp_path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text("""\
name: incompatible
vcenters:
  - server_name: vc.example.com
    datacenters:
      - name: DC
        base_vms:
          - {name: good, snapshots: [s1]}
          - {name: old-os, incompatible_reasons: [UNSUPPORTED_OS], snapshots: [s1]}
          - {name: no-snapshots}
domains: [{dns_name: example.com, netbios_name: EXAMPLE}]
administrators: [{username: administrator, domain: EXAMPLE}]
""")
    api.client.post("/hzsim/v1/reset", json={"scenario": str(path)})
    vc = api.get("/rest/config/v2/virtual-centers").json()[0]["id"]
    every = api.get(f"/rest/external/v2/base-vms?vcenter_id={vc}").json()
    assert {v["name"] for v in every} == {"good", "old-os", "no-snapshots"}
    reasons = {v["name"]: v.get("incompatible_reasons") for v in every}
    assert reasons == {"good": None, "old-os": ["UNSUPPORTED_OS"], "no-snapshots": ["NO_SNAPSHOTS"]} or reasons == {
        "good": [], "old-os": ["UNSUPPORTED_OS"], "no-snapshots": ["NO_SNAPSHOTS"]}
    kept = api.get(f"/rest/external/v2/base-vms?vcenter_id={vc}&filter_incompatible_vms=true&page=1&size=10")
    assert [v["name"] for v in kept.json()] == ["good"] and kept.headers["X-TOTAL-COUNT"] == "1"


@pytest.mark.parametrize("path,key", [
    ("/rest/external/v1/datacenters", "common.query.param.required"),
    ("/rest/external/v1/datacenters?vcenter_id=nope", "external.vcenter.id.invalid"),
    ("/rest/external/v1/hosts-or-clusters?vcenter_id={vc}", "common.query.param.required"),
    ("/rest/external/v1/hosts-or-clusters?vcenter_id={vc}&datacenter_id=datacenter-999",
     "external.datacenter.id.invalid"),
    ("/rest/external/v1/datastores?vcenter_id={vc}&host_or_cluster_id=domain-c999",
     "external.host.or.cluster.id.invalid"),
    ("/rest/external/v1/base-snapshots?vcenter_id={vc}", "common.query.param.required"),
    ("/rest/external/v1/base-snapshots?vcenter_id={vc}&base_vm_id=vm-999", "external.base.vm.id.invalid"),
    ("/rest/config/v1/im-tags", "common.query.param.required"),
    ("/rest/config/v1/im-versions?im_stream_id=nope", "config.im.stream.id.invalid"),
])
def test_required_parameters_are_checked(api: HorizonClient, vc: str, path: str, key: str) -> None:
    body = assert_error_body(api.get(path.format(vc=vc)), 400, key)
    assert any(name in body["error_message"] for name in ("vcenter_id", "datacenter_id", "host_or_cluster_id",
                                                          "base_vm_id", "im_stream_id"))


def test_active_directory(api: HorizonClient) -> None:
    for version in (1, 2, 3):
        domains = api.get(f"/rest/external/v{version}/ad-domains").json()
        assert [(d["dns_name"], d["netbios_name"]) for d in domains] == [("example.com", "EXAMPLE")]
    response = api.get("/rest/external/v1/ad-users-or-groups?page=1&size=100")
    assert response.headers["HAS_MORE_RECORDS"] == "TRUE"
    assert int(response.headers["X-TOTAL-COUNT"]) == 500 + 10 + 4  # users, groups, administrators
    users = response.json()
    assert all(u["id"].startswith("S-1-5-21-") for u in users)
    starts = quote(json.dumps({"type": "StartsWith", "name": "login_name", "value": "user04"}))
    assert len(api.get(f"/rest/external/v1/ad-users-or-groups?filter={starts}").json()) == 10
    groups = api.get("/rest/external/v1/ad-users-or-groups?group_only=true").json()
    assert len(groups) == 10 and all(g["group"] for g in groups)
    vdi = next(g for g in groups if g["login_name"] == "VDI-Users")
    info = api.get(f"/rest/external/v2/ad-users-or-groups/{vdi['id']}").json()
    assert info["user_count"] == 500
    user = api.get(f"/rest/external/v2/ad-users-or-groups/{users[0]['id']}").json()
    assert vdi["id"] in user["group_membership_ids"]
    assert_error_body(api.get("/rest/external/v1/ad-users-or-groups/S-1-5-21-0-0-0-1"), 404,
                      "external.ad.user.or.group.not.found")
    domain = domains[0]["id"]
    containers = api.get(f"/rest/external/v1/ad-domains/{domain}/ad-containers").json()
    assert {"CN=Users", "CN=Computers"} <= {c["rdn"] for c in containers}
    assert api.get(f"/rest/external/v1/ad-domains/{domain}/ad-containers/default").json() == {"rdn": "CN=Computers"}


def test_roles_privileges_permissions_and_access_groups(api: HorizonClient) -> None:
    roles = api.get("/rest/config/v1/roles").json()
    built_in = {r["name"]: r for r in roles if "built_in_role_type" in r}
    assert len(built_in) == 11
    assert built_in["Administrators"]["built_in_role_type"] == "ADMINISTRATOR"
    assert "POOL_SVI_IMAGE_MANAGEMENT" in built_in["Inventory Administrators"]["privileges"]
    assert "GLOBAL_CONFIG_MANAGEMENT" not in built_in["Administrators (Read only)"]["privileges"]
    assert built_in["Administrators"]["permission_ids"]
    privileges = {p["name"]: p for p in api.get("/rest/config/v1/privileges").json()}
    assert "ADMINISTRATOR" not in privileges and "POOL_MANAGEMENT" in privileges
    assert {"POOL_ENABLE", "POOL_VIEW"} <= set(privileges["POOL_MANAGEMENT"]["sub_privileges"])
    permissions = api.get("/rest/config/v2/permissions").json()
    assert len(permissions) == 4
    one = permissions[0]
    assert api.get(f"/rest/config/v1/permissions/{one['id']}").json()["role_id"] == one["role_id"]
    assert len(api.get(f"/rest/config/v1/permissions?ids={one['id']}").json()) == 1
    groups = {g["name"]: g for g in api.get("/rest/config/v1/local-access-groups").json()}
    assert set(groups) == {"Root", "Finance-Pools"}
    assert api.get(f"/rest/config/v2/local-access-groups/{groups['Root']['id']}").json()["name"] == "Root"


def test_image_management_streams_tags_versions(api: HorizonClient) -> None:
    streams = api.get("/rest/config/v1/im-streams").json()
    assert [s["name"] for s in streams] == ["Win11-Stream"]
    stream = streams[0]["id"]
    tags = api.get(f"/rest/config/v1/im-tags?im_stream_id={stream}&sort_by=name").json()
    assert [t["name"] for t in tags] == ["pilot", "production"]
    versions = api.get(f"/rest/config/v1/im-versions?im_stream_id={stream}").json()
    assert {v["name"] for v in versions} == {"1.0", "1.1"}
    assert tags[1]["im_version_id"] == next(v["id"] for v in versions if v["name"] == "1.0")
    assert api.get(f"/rest/config/v1/im-tags/{tags[0]['id']}").json()["im_stream_id"] == stream


def test_forced_logoff_settings_can_be_changed(api: HorizonClient) -> None:
    before = api.get("/rest/config/v5/settings/general").json()
    assert before["forced_logoff_timeout_minutes"] == 5
    spec = {key: before[key] for key in ("application_sso_timeout_policy", "client_idle_session_timeout_policy",
                                         "client_max_session_timeout_policy", "client_session_timeout_minutes",
                                         "machine_sso_timeout_policy", "store_cal_on_client",
                                         "store_cal_on_connection_server", "display_pre_login_admin_banner")}
    spec |= {"client_max_session_timeout_minutes": 600, "machine_sso_timeout_minutes": 15,
             "forced_logoff_timeout_minutes": 2, "forced_logoff_message": "Update in 2 minutes"}
    assert api.put("/rest/config/v5/settings/general", json=spec).status_code == 204
    for version in range(1, 6):
        after = api.get(f"/rest/config/v{version}/settings/general").json()
        assert after["forced_logoff_timeout_minutes"] == 2 and after["forced_logoff_message"] == "Update in 2 minutes"
    assert api.get("/rest/config/v6/settings").json()["general_settings"]["forced_logoff_timeout_minutes"] == 2


def test_a_broken_settings_rule_changes_nothing(api: HorizonClient) -> None:
    spec = {"application_sso_timeout_policy": "ENABLED", "client_idle_session_timeout_policy": "NEVER",
            "client_max_session_timeout_policy": "TIMEOUT_AFTER", "client_session_timeout_minutes": 1200,
            "machine_sso_timeout_policy": "DISABLED", "store_cal_on_client": False,
            "store_cal_on_connection_server": False, "display_pre_login_message": True,
            "forced_logoff_timeout_minutes": 9}
    body = assert_error_body(api.put("/rest/config/v1/settings/general", json=spec), 400, "config.settings.invalid")
    assert "pre_login_message" in body["error_message"]
    assert api.get("/rest/config/v1/settings/general").json()["forced_logoff_timeout_minutes"] == 5


def test_pods(api: HorizonClient) -> None:
    pods = api.get("/rest/monitor/v2/pods").json()
    assert len(pods) == 1 and pods[0]["endpoints"][0]["status"] == "ONLINE"
    assert api.get("/rest/monitor/v1/pods").status_code == 200
    assert api.get(f"/rest/monitor/v1/pods/{pods[0]['id']}").json()["name"] == pods[0]["name"]
    assert_error_body(api.get("/rest/monitor/v1/pods/nope"), 404, "monitor.pod.not.found")
