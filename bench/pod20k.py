"""Benchmark: hzsim with the pod-20k scenario (20,000 machines, 8,000 sessions), in one run.

    .venv/bin/python bench/pod20k.py [--seconds 3]

Starts `hzsim serve --scenario pod-20k --clock manual --no-tls` on a fresh data directory,
advances the clock until every pool is provisioned (reporting how long that took), then
measures, next to a bare Starlette app answering 204 under the same uvicorn:

- latency p50/p99 of a filtered, sorted 1,000-machine page of GET /rest/inventory/v5/machines
  (target p50 <= 50 ms)
- latency p50/p99 and throughput of a single GET /rest/inventory/v5/machines/{id}
  (target throughput >= 10% of bare ASGI)
- throughput of GET /rest/inventory/v8/desktop-pools/{id}
- the server's resident memory with pod-20k loaded (target <= 400 MB)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadgen  # noqa: E402
from http_throughput import PYTHON, free_port, login, start_bare  # noqa: E402


def call(port: int, path: str, token: str, method: str = "GET", body: dict | None = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        raise SystemExit(f"{method} {path}: {error.code} {error.read().decode()}") from None
    return json.loads(raw) if raw else None


def total(port: int, token: str, path: str) -> int:
    """X-TOTAL-COUNT of a list (one item fetched)."""
    separator = "&" if "?" in path else "?"
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}{separator}page=1&size=1",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return int(response.headers["X-TOTAL-COUNT"])


def session_count(port: int, token: str) -> int:
    return total(port, token, "/rest/inventory/v1/sessions")


def busy_machines(port: int, token: str) -> int:
    """Machines still being provisioned or customized."""
    expression = quote(json.dumps({"type": "Or", "filters": [
        {"type": "Equals", "name": "state", "value": "PROVISIONING"},
        {"type": "Equals", "name": "state", "value": "CUSTOMIZING"}]}))
    return total(port, token, f"/rest/inventory/v5/machines?filter={expression}")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def serve_manual(data_dir: str, scenario: str) -> tuple[subprocess.Popen, int, str]:
    """`hzsim serve` on a manual clock with `scenario`: the process, its port and an admin token."""
    port = free_port()
    server = subprocess.Popen([PYTHON, "-m", "hzsim.cli", "serve", "--no-tls", "--port", str(port), "--data-dir",
                               data_dir, "--clock", "manual", "--scenario", scenario, "--log-level", "warning"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    token = None
    while token is None:
        token = login(port)
        time.sleep(0.05)
    return server, port, token


def provision(port: int, token: str, sessions: int, steps: int = 24) -> float:
    """Advance the clock 15 simulated minutes a step until `sessions` users are logged on and no
    machine is being provisioned; the wall seconds it took."""
    started = time.perf_counter()
    for _ in range(steps):
        call(port, "/hzsim/v1/clock/advance", token, "POST", {"seconds": 900})
        if session_count(port, token) >= sessions and busy_machines(port, token) == 0:
            break
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server, port, token = serve_manual(tmp, "pod-20k")
        bare, bare_port = start_bare()
        try:
            provisioned = provision(port, token, 8000)  # six simulated hours at most
            machine = call(port, "/rest/inventory/v5/machines?page=1&size=1", token)[0]["id"]
            pool = call(port, "/rest/inventory/v8/desktop-pools", token)[0]["id"]
            expression = quote(json.dumps({"type": "And", "filters": [
                {"type": "Equals", "name": "state", "value": "AVAILABLE"},
                {"type": "StartsWith", "name": "name", "value": "p0"}]}))
            page = f"/rest/inventory/v5/machines?filter={expression}&sort_by=name&order_by=DESC&page=1&size=1000"
            filtered = loadgen.run(port, page, seconds=args.seconds, connections=1, token=token)
            single = loadgen.run(port, f"/rest/inventory/v5/machines/{machine}", seconds=args.seconds,
                                 connections=16, token=token)
            pools = loadgen.run(port, f"/rest/inventory/v8/desktop-pools/{pool}", seconds=args.seconds,
                                connections=16, token=token)
            baseline = loadgen.run(bare_port, "/", seconds=args.seconds, connections=16)
            memory = rss_mb(server.pid)
        finally:
            for process in (server, bare):
                process.terminate()
                process.wait()
    assert set(filtered.statuses) == {200} and set(single.statuses) == {200}, (filtered.statuses, single.statuses)
    print(f"pod-20k provisioned (20,000 machines, 8,000 sessions) in {provisioned:.0f} s wall of clock advance")
    print(f"{'figure':64} {'value':>10}")
    print(f"{'filtered sorted 1000-machine page p50 / p99 (ms)':64} {filtered.p50:6.1f} / {filtered.percentile(99):.1f}"
          "   target p50 <= 50")
    print(f"{'single GET /v5/machines/{id} p50 / p99 (ms)':64} {single.p50:6.1f} / {single.percentile(99):.1f}")
    print(f"{'single GET /v5/machines/{id} (req/s), vs bare':64} {single.rps:10.0f}   "
          f"{single.rps / baseline.rps:.2f}   target >= 0.10")
    print(f"{'GET /v8/desktop-pools/{id} (req/s), vs bare':64} {pools.rps:10.0f}   {pools.rps / baseline.rps:.2f}")
    print(f"{'bare Starlette 204 (req/s)':64} {baseline.rps:10.0f}")
    print(f"{'server RSS with pod-20k loaded (MB)':64} {memory:10.0f}   target <= 400")


if __name__ == "__main__":
    main()
