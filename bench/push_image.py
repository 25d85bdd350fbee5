"""Benchmark: Schedule Push Image on an instant-clone pool of 4,000 machines, a quarter of them
with a user logged on, under FORCE_LOGOFF.

    .venv/bin/python bench/push_image.py [--machines 4000] [--step 60] [--limit 200]

Starts `hzsim serve --clock manual --no-tls` on a fresh data directory with a one-pool
scenario written next to it (vCenter instant-clone limit 200 as in pod-20k, or --limit), advances the
clock until the pool is provisioned and its users are logged on, then schedules the push and
advances the manual clock `--step` simulated seconds at a time until the pool's task list is
empty. Reports the wall time of the whole roll-out (schedule call to empty task list), the
simulated time it took, and, as the same-run baseline, the wall time of as many advance-and-
poll round trips on the idle pool afterwards (the cost of the HTTP calls alone).

Target: the roll-out takes <= 10 s of wall time on this machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pod20k import call, provision, serve_manual, session_count  # noqa: E402

SCENARIO = """\
name: push-{machines}
vcenters:
  - server_name: vc01.example.com
    limits: {{provisioning_limit: 200, instant_clone_engine_provisioning_limit: {limit}}}
    datacenters:
      - name: Datacenter
        vm_folders: [Gold, VDI]
        clusters:
          - {{name: Cluster01, hosts: 16, datastores: [{{name: vsan-01, capacity_gb: 65536, free_gb: 40960}}]}}
        base_vms:
          - {{name: win11-gold, folder: Gold, snapshots: [Base, 2026-11, 2026-12]}}
domains:
  - dns_name: example.com
    netbios_name: EXAMPLE
    user_count: {sessions}
    groups:
      - {{name: VDI-Users, member_count: {sessions}}}
administrators:
  - {{username: administrator, domain: EXAMPLE}}
agent_versions: ["2312.0.0"]
desktop_pools:
  - {{name: Pool-01, machines: {machines}, naming_pattern: "p01-{{n:fixed=4}}", base_vm: win11-gold, snapshot: 2026-11,
     cluster: Cluster01, datastore: vsan-01, entitled: [VDI-Users], sessions: {sessions}}}
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--machines", type=int, default=4000)
    parser.add_argument("--step", type=int, default=60, help="simulated seconds per clock advance")
    parser.add_argument("--limit", type=int, default=200, help="the vCenter's instant-clone engine limit")
    args = parser.parse_args()
    sessions = args.machines // 4
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "push.yaml"
        scenario.write_text(SCENARIO.format(machines=args.machines, sessions=sessions, limit=args.limit))
        server, port, token = serve_manual(str(Path(tmp) / "data"), str(scenario))
        try:
            provisioned = provision(port, token, sessions, steps=48)
            print(f"pool of {args.machines} provisioned with {session_count(port, token)} sessions in "
                  f"{provisioned:.1f} s wall")
            pool = call(port, "/rest/inventory/v8/desktop-pools", token)[0]
            vc = pool["vcenter_id"]
            vm = pool["provisioning_settings"]["parent_vm_id"]
            snapshots = call(port, f"/rest/external/v1/base-snapshots?vcenter_id={vc}&base_vm_id={vm}", token)
            new = next(s["id"] for s in snapshots if s["name"] == "2026-12")
            tasks = f"/rest/inventory/v1/desktop-pools/{pool['id']}/tasks"

            clock_start = call(port, "/hzsim/v1/clock", token)["now"]
            started = time.perf_counter()
            call(port, f"/rest/inventory/v1/desktop-pools/{pool['id']}/action/schedule-push-image", token, "POST",
                 {"parent_vm_id": vm, "snapshot_id": new, "logoff_policy": "FORCE_LOGOFF"})
            steps = 0
            while call(port, tasks, token):
                call(port, "/hzsim/v1/clock/advance", token, "POST", {"seconds": args.step})
                steps += 1
            wall = time.perf_counter() - started
            simulated = (call(port, "/hzsim/v1/clock", token)["now"] - clock_start) / 1000

            started = time.perf_counter()
            for _ in range(steps):
                call(port, tasks, token)
                call(port, "/hzsim/v1/clock/advance", token, "POST", {"seconds": args.step})
            baseline = time.perf_counter() - started

            image = call(port, f"/rest/inventory/v8/desktop-pools/{pool['id']}", token)["provisioning_settings"]
            assert image["base_snapshot_id"] == new, image
            print(f"push image to {args.machines} machines ({sessions} with sessions, FORCE_LOGOFF): "
                  f"{wall:.2f} s wall (target <= 10 s), {simulated / 60:.0f} simulated minutes, {steps} steps of "
                  f"{args.step} s, instant-clone limit {args.limit}")
            print(f"baseline: the same {steps} advance+poll round trips on the idle pool: {baseline:.2f} s "
                  f"(roll-out = {wall / baseline if baseline else float('nan'):.1f}x the bare round trips)")
            print(f"sessions left after the forced logoffs: {session_count(port, token)}")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
