"""A scenario's activity profile drives logons and logoffs over the clock, the same way every time."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import HorizonClient

PROFILE = """\
name: busy
vcenters:
  - server_name: vc01.example.com
    datacenters:
      - name: DC
        vm_folders: [VDI]
        clusters: [{name: C1, hosts: 2, datastores: [{name: ds1}]}]
        base_vms: [{name: gold, snapshots: [s1]}]
domains:
  - {dns_name: example.com, netbios_name: EXAMPLE, user_count: 40, groups: [{name: Staff, member_count: 40}]}
administrators: [{username: administrator, domain: EXAMPLE}]
desktop_pools:
  - {name: Busy, machines: 15, naming_pattern: "busy-{n}", base_vm: gold, snapshot: s1, cluster: C1,
     datastore: ds1, entitled: [Staff]}
activity: {seed: 7, logons_per_hour: 120, session_minutes: {mean: 20, stddev: 5}, disconnect_ratio: 0.5}
"""


def run(api: HorizonClient, path: Path) -> list[tuple[str, str]]:
    assert api.client.post("/hzsim/v1/reset", json={"scenario": str(path)}).status_code == 200
    counts = []
    for _ in range(6):
        api.client.post("/hzsim/v1/clock/advance", json={"seconds": 15 * 60})
        counts.append(len(api.get("/rest/inventory/v1/sessions").json()))
    sessions = api.get("/rest/inventory/v1/sessions?sort_by=start_time").json()
    return counts, sorted((s["user_id"], s["session_state"]) for s in sessions)


def test_activity_drives_sessions_and_replays_with_its_seed(api: HorizonClient, tmp_path: Path) -> None:
    path = tmp_path / "busy.yaml"
    path.write_text(PROFILE)
    counts, first = run(api, path)
    assert max(counts) > 0, counts  # users logged on once machines were ready
    states = {state for _, state in first}
    assert states <= {"CONNECTED", "DISCONNECTED"}
    assert run(api, path) == (counts, first)


def test_sessions_end_as_well_as_begin(api: HorizonClient, tmp_path: Path) -> None:
    path = tmp_path / "busy.yaml"
    path.write_text(PROFILE)
    api.client.post("/hzsim/v1/reset", json={"scenario": str(path)})
    seen: list[set[str]] = []
    for _ in range(8):
        api.client.post("/hzsim/v1/clock/advance", json={"seconds": 15 * 60})
        seen.append({s["id"] for s in api.get("/rest/inventory/v1/sessions").json()})
    assert all(len(ids) <= 15 for ids in seen)  # never more sessions than machines
    ended = set().union(*seen[:-1]) - seen[-1]
    started_late = seen[-1] - set().union(*seen[:4])
    assert ended and started_late  # 20-minute sessions end, and new users take their place
