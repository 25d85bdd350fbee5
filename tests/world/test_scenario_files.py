"""Scenario files: round-trips, the built-in worlds, the CLI checks, group permissions."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hzsim.cli import main
from hzsim.world import scenarios
from tests.helpers import HorizonClient, assert_error_body


@pytest.mark.parametrize("name", scenarios.BUILT_IN)
def test_scenarios_round_trip(name: str) -> None:
    first = scenarios.load(name)
    again = scenarios.parse(scenarios.dump(first), "dumped")
    assert scenarios.plain(again.spec) == scenarios.plain(first.spec)


def test_default_world_has_what_the_readme_promises(api: HorizonClient) -> None:
    spec = scenarios.load("default").spec
    vcenter = spec["vcenters"][0]
    cluster = vcenter["datacenters"][0]["clusters"][0]
    assert len(spec["vcenters"]) == 1 and cluster["hosts"] == 4 and len(cluster["datastores"]) == 2
    assert all(len(vm["snapshots"]) >= 3 for vm in vcenter["datacenters"][0]["base_vms"])
    domain = spec["domains"][0]
    assert (domain["dns_name"], domain["netbios_name"], domain["user_count"], len(domain["groups"])) == (
        "example.com", "EXAMPLE", 500, 10)
    for user in ("helpdesk", "readonly", "pooladmin"):
        HorizonClient(api.client).login(username=user, password="hzsim")


def test_cli_checks_and_shows_scenarios(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["scenario", "check", "default"])
    assert result.exit_code == 0 and "OK" in result.output
    assert "server_name: vc01.example.com" in runner.invoke(main, ["scenario", "show", "default"]).output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nvcenters:\n  - server_name: vc\n    datacenters:\n      - name: DC\n"
                   "        base_vms: [{name: g, folder: Missing}]\n")
    result = runner.invoke(main, ["scenario", "check", str(bad)])
    assert result.exit_code != 0 and "line 6" in result.output and "folder" in result.output


def test_permissions_granted_to_an_ad_group_let_its_members_log_in(api: HorizonClient, tmp_path: Path) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text("""\
name: groups
domains:
  - dns_name: example.com
    netbios_name: EXAMPLE
    users: [{name: alice, password: a}, {name: bob, password: b}]
    groups:
      - {name: Support, members: [Tier2]}
      - {name: Tier2, members: [alice]}
administrators:
  - {username: administrator, domain: EXAMPLE}
  - {username: Support, domain: EXAMPLE, group: true, role: Help Desk Administrators}
""")
    assert api.client.post("/hzsim/v1/reset", json={"scenario": str(path)}).status_code == 200
    alice = HorizonClient(api.client)
    alice.login(username="alice", password="a")  # a member of Support through Tier2
    assert alice.get("/rest/inventory/v5/machines").status_code == 200
    assert_error_body(alice.get("/rest/config/v1/roles"), 403, "common.forbidden")
    response = api.post("/rest/login", auth=False, json={"domain": "EXAMPLE", "username": "bob", "password": "b"})
    assert_error_body(response, 401, "login.invalid.credentials")  # no permission, no login


def test_faults_at_the_world_boundary(api: HorizonClient) -> None:
    vc = api.get("/rest/config/v2/virtual-centers").json()[0]["id"]
    reads = f"/rest/external/v1/datacenters?vcenter_id={vc}"
    control = api.client
    for kind in ("clone_failure", "image_publish_failure", "customization_timeout", "power_operation_failure"):
        assert control.post("/hzsim/v1/faults", json={"kind": kind, "target": "any"}).status_code == 201
    fault = control.post("/hzsim/v1/faults", json={"kind": "vcenter_unreachable", "target": vc, "times": "once",
                                                   "message": "vc01 is down"}).json()
    assert fault["remaining"] == 1
    body = assert_error_body(api.get(reads), 503, "world.fault.vcenter_unreachable")
    assert body["error_message"] == "vc01 is down"
    assert api.get(reads).status_code == 200  # it fired its one time
    listed = control.get("/hzsim/v1/faults").json()
    assert sorted(f["kind"] for f in listed) == ["clone_failure", "customization_timeout", "image_publish_failure",
                                                 "power_operation_failure"]
    control.post("/hzsim/v1/faults", json={"kind": "vcenter_unreachable", "target": vc})
    monitor = api.get("/rest/monitor/v2/virtual-centers").json()[0]
    assert monitor["connection_servers"][0]["status"] == "DOWN"
    assert control.delete("/hzsim/v1/faults").json() == {"cleared": 5}
    assert api.get(reads).status_code == 200


@pytest.mark.parametrize("body", [{"kind": "meteor"}, {"kind": "clone_failure", "times": 0},
                                  {"kind": "clone_failure", "times": "twice"}, {"kind": "clone_failure", "target": 5},
                                  {"kind": "clone_failure", "message": ""}])
def test_bad_faults_are_refused(api: HorizonClient, body: dict) -> None:
    assert_error_body(api.client.post("/hzsim/v1/faults", json=body), 400, "hzsim.fault.invalid")
    assert api.client.get("/hzsim/v1/faults").json() == []
