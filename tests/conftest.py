from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from hzsim.http.app import create_app
from hzsim.settings import Settings
from hzsim.simulator import Simulator
from tests.helpers import HorizonClient

PG_URL = os.environ.get("HZSIM_TEST_PG_URL")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL:
        return
    if os.environ.get("CI", "").lower() == "true":
        # In CI the PostgreSQL half of the store tests must run, never skip.
        raise pytest.UsageError("CI=true but HZSIM_TEST_PG_URL is not set: .ci/run must start PostgreSQL")
    skip = pytest.mark.skip(reason="set HZSIM_TEST_PG_URL to run against PostgreSQL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def make_sim(tmp_path: Path | None = None, **overrides: object) -> Simulator:
    settings = Settings(data_dir=tmp_path, clock="manual", **overrides)  # type: ignore[arg-type]
    if tmp_path is None:
        settings.db_url = "sqlite:///:memory:"
    return Simulator(settings)


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
