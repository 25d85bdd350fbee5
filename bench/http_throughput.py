"""Benchmark: hzsim's HTTP throughput and start-up against a bare-ASGI baseline, in one run.

    .venv/bin/python bench/http_throughput.py [--rounds 3] [--seconds 3]

Starts a bare Starlette app (204 on every path) and `hzsim serve --no-tls` side by side
under the same uvicorn, then alternates load between them round by round so that machine
drift affects both alike. Reports requests per second and their ratio to the baseline:

- authenticated GET /rest/inventory/v1/desktop-pools     target >= 10% of bare ASGI
- control GET /hzsim/v1/health
- process start to first successful login                target <= 2 s
- contract load (parse + index), in process              target < 300 ms
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadgen  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
LOGIN = json.dumps({"domain": "EXAMPLE", "username": "administrator", "password": "hzsim"}).encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def login(port: int) -> str | None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/rest/login", data=LOGIN, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return json.loads(response.read())["access_token"]
    except OSError:
        return None


def start_hzsim(data_dir: Path) -> tuple[subprocess.Popen, int, str, float]:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen([PYTHON, "-m", "hzsim.cli", "serve", "--no-tls", "--port", str(port),
                                "--data-dir", str(data_dir), "--clock", "manual", "--log-level", "warning"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = started + 30
    token = None
    while token is None and time.perf_counter() < deadline:
        token = login(port)
        if token is None:
            time.sleep(0.01)
    if token is None:
        process.kill()
        raise SystemExit("hzsim did not start")
    return process, port, token, time.perf_counter() - started


def start_bare() -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen([PYTHON, "-m", "uvicorn", "bare_app:app", "--port", str(port), "--log-level",
                                "warning", "--no-access-log", "--app-dir", str(Path(__file__).parent)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(500):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                return process, port
        except OSError:
            time.sleep(0.01)
    raise SystemExit("bare app did not start")


def contract_load_ms(runs: int = 5) -> float:
    code = ("import time; t=time.perf_counter(); from hzsim.contract import load_contract; load_contract(); "
            "print((time.perf_counter()-t)*1000)")
    times = [float(subprocess.check_output([PYTHON, "-c", code], text=True)) for _ in range(runs)]
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()

    startups = []
    with tempfile.TemporaryDirectory() as tmp:
        for attempt in range(3):  # start-up: fresh data directory each time (migration, scenario load)
            process, _, _, seconds = start_hzsim(Path(tmp) / f"startup-{attempt}")
            startups.append(seconds)
            process.terminate()
            process.wait()
        hzsim, hz_port, token, _ = start_hzsim(Path(tmp) / "load")
        bare, bare_port = start_bare()
        try:
            rows: dict[str, list[float]] = {"bare": [], "pools": [], "health": []}
            for _ in range(args.rounds):
                run = lambda port, path, tok=None: loadgen.run(  # noqa: E731
                    port, path, seconds=args.seconds, connections=args.connections, token=tok)
                bare_result = run(bare_port, "/")
                pools = run(hz_port, "/rest/inventory/v1/desktop-pools", token)
                health = run(hz_port, "/hzsim/v1/health")
                assert set(pools.statuses) == {200}, pools.statuses
                assert set(health.statuses) == {200}, health.statuses
                rows["bare"].append(bare_result.rps)
                rows["pools"].append(pools.rps)
                rows["health"].append(health.rps)
        finally:
            for process in (hzsim, bare):
                process.terminate()
                process.wait()

    bare_rps = statistics.median(rows["bare"])
    print(f"machine: {os.cpu_count()} cores; {args.rounds} rounds x {args.seconds}s, "
          f"{args.connections} connections, plain HTTP on loopback")
    print(f"{'figure':58} {'median':>10} {'vs bare':>8}")
    print(f"{'bare Starlette 204 (req/s)':58} {bare_rps:10.0f} {'1.00':>8}")
    for key, label, target in (("pools", "hzsim authenticated GET /rest/inventory/v1/desktop-pools", "   target >= 0.10"),
                               ("health", "hzsim GET /hzsim/v1/health", "")):
        value = statistics.median(rows[key])
        ratios = [a / b for a, b in zip(rows[key], rows["bare"], strict=True)]  # pair by pair, same round
        print(f"{label + ' (req/s)':58} {value:10.0f} {statistics.median(ratios):8.2f}{target}")
    print(f"{'process start to first login (s), median of 3':58} {statistics.median(startups):10.2f}"
          f"   target <= 2.0")
    print(f"{'contract load (ms), median of 5':58} {contract_load_ms():10.1f}   target < 300")


if __name__ == "__main__":
    main()
