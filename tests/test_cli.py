"""`hzsim serve` as a user starts it: a real process, real sockets, TLS by default."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from hzsim.cli import main
from tests.helpers import ADMIN


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(tmp_path: Path, *args: str) -> Iterator[str]:
    port = free_port()
    tls = "--no-tls" not in args
    process = subprocess.Popen(
        [sys.executable, "-m", "hzsim.cli", "serve", "--port", str(port), "--data-dir", str(tmp_path / "data"),
         "--log-level", "warning", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "HZSIM_ADMIN_PASSWORD": "hzsim"},
    )
    base = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/hzsim/v1/health", verify=False, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
            assert process.poll() is None, process.stdout.read().decode()
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[str]:
    yield from serve(tmp_path, "--clock", "manual", "--scenario", "empty")


def test_serve_over_https_with_a_generated_certificate(https_server: str, tmp_path: Path) -> None:
    tokens = httpx.post(f"{https_server}/rest/login", json=ADMIN, verify=False).json()
    pools = httpx.get(f"{https_server}/rest/inventory/v1/desktop-pools", verify=False,
                      headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert pools.status_code == 200 and pools.json() == []
    cert = tmp_path / "data" / "tls-cert.pem"
    assert cert.exists()
    # The certificate is the one the server presents.
    trusted = ssl.create_default_context(cafile=str(cert))
    assert httpx.get(f"{https_server}/hzsim/v1/health", verify=trusted).status_code == 200
    assert httpx.get(f"{https_server}/hzsim/v1/clock", verify=False).json()["mode"] == "manual"


def test_serve_plain_http_with_a_database_url(tmp_path: Path) -> None:
    db = tmp_path / "elsewhere.db"
    for base in serve(tmp_path, "--no-tls", "--db", f"sqlite:///{db}"):
        assert httpx.post(f"{base}/rest/login", json=ADMIN).status_code == 200
    assert db.exists()


def test_serve_help_documents_every_flag() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for flag in ("--host", "--port", "--no-tls", "--db", "--data-dir", "--clock", "--scenario", "--admin-password",
                 "--reset", "--access-token-minutes", "--refresh-token-hours"):
        assert flag in result.output


def test_bad_clock_flag_is_refused() -> None:
    result = CliRunner().invoke(main, ["serve", "--clock", "warp", "--data-dir", "/nonexistent/never-used"])
    assert result.exit_code != 0 and "--clock" in result.output


def test_bad_scenario_is_refused_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nadministrators:\n  - user: a\n")
    result = CliRunner().invoke(main, ["serve", "--scenario", str(bad), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code != 0 and "line 3" in result.output
