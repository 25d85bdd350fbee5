"""Durable jobs: run in due order at their own time, one transaction each, surviving restarts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from hzsim.engine import jobs
from hzsim.engine.jobs import JobContext, job_handler
from hzsim.simulator import Simulator
from hzsim.store import ConcurrentUpdate
from tests.conftest import make_sim

RUNS: list[tuple[str, int]] = []


@job_handler("test.record")
def record(ctx: JobContext, payload: dict[str, Any]) -> None:
    RUNS.append((payload["name"], ctx.clock.now()))
    counter = ctx.tx.get("counter", "c") or {"id": "c", "value": 0, "_version": None}
    counter["value"] += 1
    if counter["_version"] is None:
        ctx.tx.insert("counter", "c", counter)
    else:
        ctx.tx.update("counter", "c", counter)
    if payload.get("then"):
        ctx.schedule("test.record", ctx.now + payload["then"], {"name": payload["name"] + "+"})


@job_handler("test.explode")
def explode(ctx: JobContext, payload: dict[str, Any]) -> None:
    ctx.tx.insert("counter", "boom", {"id": "boom"})
    raise RuntimeError("job failed half-way")


LOST_RACES = {"left": 0}


@job_handler("test.racing")
def racing(ctx: JobContext, payload: dict[str, Any]) -> None:
    record(ctx, payload)
    if LOST_RACES["left"]:
        LOST_RACES["left"] -= 1
        raise ConcurrentUpdate("a request updated the same document first")


@pytest.fixture(autouse=True)
def clear_runs() -> None:
    RUNS.clear()


def schedule(sim: Simulator, kind: str, after_ms: int, payload: dict[str, Any], key: str | None = None) -> int:
    due = sim.clock.now() + after_ms
    with sim.store.transaction() as tx:
        jobs.schedule(tx, kind, due, payload, key)
    return due


def counter(sim: Simulator) -> int:
    with sim.store.transaction(write=False) as tx:
        doc = tx.get("counter", "c")
    return doc["value"] if doc else 0


def test_jobs_run_in_due_order_at_their_own_time(sim: Simulator) -> None:
    late = schedule(sim, "test.record", 5_000, {"name": "late"})
    early = schedule(sim, "test.record", 1_000, {"name": "early", "then": 2_000})
    start = sim.clock.now()
    assert sim.scheduler.advance(10_000) == 3
    assert RUNS == [("early", early), ("early+", early + 2_000), ("late", late)]
    assert sim.clock.now() == start + 10_000
    assert counter(sim) == 3


def test_nothing_runs_before_its_time(sim: Simulator) -> None:
    schedule(sim, "test.record", 60_000, {"name": "later"})
    assert sim.scheduler.advance(59_999) == 0
    assert sim.scheduler.advance(1) == 1


def test_a_keyed_job_is_replaced_and_cancellable(sim: Simulator) -> None:
    schedule(sim, "test.record", 1_000, {"name": "first"}, key="pool-1")
    schedule(sim, "test.record", 2_000, {"name": "second"}, key="pool-1")
    sim.scheduler.advance(5_000)
    assert [name for name, _ in RUNS] == ["second"]
    schedule(sim, "test.record", 1_000, {"name": "third"}, key="pool-1")
    with sim.store.transaction() as tx:
        assert jobs.cancel(tx, "pool-1")
    sim.scheduler.advance(5_000)
    assert [name for name, _ in RUNS] == ["second"]


def test_a_failing_job_is_rolled_back_and_set_aside(sim: Simulator) -> None:
    schedule(sim, "test.explode", 1_000, {})
    schedule(sim, "test.record", 2_000, {"name": "after"})
    assert sim.scheduler.advance(3_000) == 2
    with sim.store.transaction(write=False) as tx:
        assert tx.get("counter", "boom") is None
        assert [f["kind"] for f in tx.get_meta("job_failures")] == ["test.explode"]
        assert jobs.pending(tx) == []
    assert [name for name, _ in RUNS] == ["after"]


@pytest.mark.parametrize("losses,kept", [(2, True), (100, False)])
def test_a_job_that_loses_a_race_runs_again(sim: Simulator, losses: int, kept: bool) -> None:
    LOST_RACES["left"] = losses
    schedule(sim, "test.racing", 1_000, {"name": "racer"})
    assert sim.scheduler.advance(2_000) == 1
    assert counter(sim) == (1 if kept else 0)  # the lost runs were rolled back
    with sim.store.transaction(write=False) as tx:
        assert jobs.pending(tx) == []
        assert [f["kind"] for f in tx.get_meta("job_failures", [])] == ([] if kept else ["test.racing"])
    LOST_RACES["left"] = 0


def test_jobs_and_manual_time_survive_a_restart(tmp_path: Path) -> None:
    first = make_sim(tmp_path)
    schedule(first, "test.record", 10_000, {"name": "a"})
    schedule(first, "test.record", 20_000, {"name": "b"})
    first.scheduler.advance(15_000)
    stopped_at = first.clock.now()
    first.close()

    second = make_sim(tmp_path, db_url=first.settings.db_url)  # the same database (SQLite file or PostgreSQL)
    assert second.clock.now() == stopped_at
    assert [name for name, _ in RUNS] == ["a"]
    second.scheduler.advance(10_000)
    assert [name for name, _ in RUNS] == ["a", "b"]
    assert counter(second) == 2
    second.close()


def test_control_api_advance_runs_due_jobs_before_answering(sim: Simulator, client: TestClient) -> None:
    due = schedule(sim, "test.record", 90_000, {"name": "x"})
    before = client.get("/hzsim/v1/clock").json()
    assert before["mode"] == "manual"
    response = client.post("/hzsim/v1/clock/advance", json={"seconds": 120})
    assert response.status_code == 200
    assert response.json()["now"] == before["now"] + 120_000 and response.json()["jobs_run"] == 1
    assert RUNS == [("x", due)]


def test_scaled_clock_runs_jobs_as_wall_time_passes(sim: Simulator, client: TestClient) -> None:
    import time

    sim.settings.tick_seconds = 0.02
    schedule(sim, "test.record", 30_000, {"name": "soon"})
    assert client.put("/hzsim/v1/clock", json={"mode": "scaled", "rate": 600}).json()["rate"] == 600
    deadline = time.monotonic() + 5
    while not RUNS and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [name for name, _ in RUNS] == ["soon"]


@pytest.mark.parametrize("body", [{"seconds": -1}, {"seconds": "10"}, {}, {"seconds": True}])
def test_bad_advance_is_400(client: TestClient, body: dict) -> None:
    response = client.post("/hzsim/v1/clock/advance", json=body)
    assert response.status_code == 400 and response.json()["error_key"] == "hzsim.clock.invalid"


@pytest.mark.parametrize("body", [{"mode": "warp"}, {"mode": "scaled"}, {"mode": "scaled", "rate": 0}])
def test_bad_clock_settings_are_400(client: TestClient, body: dict) -> None:
    response = client.put("/hzsim/v1/clock", json=body)
    assert response.status_code == 400 and response.json()["error_key"] == "hzsim.clock.invalid"
