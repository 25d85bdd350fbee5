from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from hzsim.http.app import create_app
from hzsim.settings import Settings
from hzsim.simulator import Simulator
from tests.helpers import HorizonClient

PG_URL = os.environ.get("HZSIM_TEST_PG_URL")
ROOT = Path(__file__).resolve().parent.parent
_started_pg: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Without HZSIM_TEST_PG_URL, start a throw-away PostgreSQL when its server is installed."""
    global PG_URL, _started_pg
    if PG_URL or not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        _check_backend()
        return
    directory = Path(tempfile.mkdtemp(prefix="hzsim-pg-"))
    env = {**os.environ, "HZSIM_PG_PORT": str(_free_port())}
    result = subprocess.run(["bash", str(ROOT / ".ci" / "start-postgres"), str(directory)], env=env,
                            capture_output=True, text=True)
    if result.returncode == 0:
        PG_URL, _started_pg = result.stdout.strip().splitlines()[-1], directory
        os.environ["HZSIM_TEST_PG_URL"] = PG_URL
    _check_backend()


def _check_backend() -> None:
    if os.environ.get("HZSIM_TEST_BACKEND", "sqlite") not in ("sqlite", "postgresql"):
        raise pytest.UsageError("HZSIM_TEST_BACKEND must be sqlite or postgresql")
    if os.environ.get("HZSIM_TEST_BACKEND") == "postgresql" and not PG_URL:
        raise pytest.UsageError("HZSIM_TEST_BACKEND=postgresql needs HZSIM_TEST_PG_URL or PostgreSQL installed")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _started_pg is not None:
        bin_dir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
        command = [f"{bin_dir}/pg_ctl", "-D", str(_started_pg / "data"), "-m", "immediate", "stop"]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, capture_output=True)
        shutil.rmtree(_started_pg, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("HZSIM_TEST_PG_URL"):
        return
    if os.environ.get("CI", "").lower() == "true":
        # In CI the PostgreSQL half of the store tests must run, never skip.
        raise pytest.UsageError("CI=true but HZSIM_TEST_PG_URL is not set: .ci/run must start PostgreSQL")
    skip = pytest.mark.skip(reason="set HZSIM_TEST_PG_URL to run against PostgreSQL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


WORLD = str(Path(__file__).parent / "fixtures" / "world.yaml")  # the default scenario without its pools


def make_sim(tmp_path: Path | None = None, **overrides: object) -> Simulator:
    """A simulator on the test world with a manual clock: SQLite in memory (or a file in `tmp_path`),
    or, with HZSIM_TEST_BACKEND=postgresql, a freshly wiped PostgreSQL database for every simulator."""
    overrides.setdefault("scenario", WORLD)
    if os.environ.get("HZSIM_TEST_BACKEND") == "postgresql" and "db_url" not in overrides:
        overrides["db_url"] = wiped_postgres()
    settings = Settings(data_dir=tmp_path, clock="manual", **overrides)  # type: ignore[arg-type]
    if tmp_path is None and settings.db_url is None:
        settings.db_url = "sqlite:///:memory:"
    return Simulator(settings)


def wiped_postgres() -> str:
    """The test PostgreSQL database, emptied (HZSIM_TEST_PG_URL or the one this run started)."""
    from sqlalchemy import create_engine, text

    url = os.environ["HZSIM_TEST_PG_URL"]
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = make_sim()
    yield simulator
    simulator.close()


@pytest.fixture
def client(sim: Simulator) -> Iterator[TestClient]:
    with TestClient(create_app(sim)) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient) -> HorizonClient:
    """A client logged on as EXAMPLE\\administrator."""
    horizon = HorizonClient(client)
    horizon.login()
    return horizon


@pytest.fixture
def anonymous(client: TestClient) -> HorizonClient:
    return HorizonClient(client)
