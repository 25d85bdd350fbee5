"""Durable jobs: rows in the `jobs` table run by the scheduler when their time comes.

A job kind is a function registered with `@job_handler("kind")`. It runs inside its own
transaction at its due time (the clock reads that time while it runs) and may schedule
further jobs through `JobContext.schedule`. Nothing about pending work lives in memory,
so a restarted server resumes every job where it was.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import bindparam, delete, insert, select

from hzsim.engine.clock import Clock
from hzsim.store import ConcurrentUpdate, Store, Transaction
from hzsim.store.tables import jobs

log = logging.getLogger(__name__)

JobHandler = Callable[["JobContext", dict[str, Any]], None]
_HANDLERS: dict[str, JobHandler] = {}


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    def register(fn: JobHandler) -> JobHandler:
        _HANDLERS[kind] = fn
        return fn

    return register


def schedule(tx: Transaction, kind: str, due_at: int, payload: dict[str, Any] | None = None,
             key: str | None = None) -> None:
    """Add a job in the caller's transaction; a `key` makes it replaceable and cancellable."""
    if key is not None:
        cancel(tx, key)
    tx.connection.execute(_INSERT, {"kind": kind, "due_at": int(due_at), "key": key, "payload": payload or {}})


def cancel(tx: Transaction, key: str) -> bool:
    return tx.connection.execute(_CANCEL, {"b_key": key}).rowcount > 0


_INSERT = insert(jobs)
_CANCEL = delete(jobs).where(jobs.c.key == bindparam("b_key"))
_NEXT = select(jobs).where(jobs.c.due_at <= bindparam("b_until")).order_by(jobs.c.due_at, jobs.c.id).limit(1)
_DONE = delete(jobs).where(jobs.c.id == bindparam("b_id"))


def pending(tx: Transaction) -> list[dict[str, Any]]:
    rows = tx.connection.execute(select(jobs).order_by(jobs.c.due_at, jobs.c.id))
    return [dict(row._mapping) for row in rows]


@dataclass
class JobContext:
    tx: Transaction
    clock: Clock
    now: int

    def schedule(self, kind: str, due_at: int, payload: dict[str, Any] | None = None,
                 key: str | None = None) -> None:
        schedule(self.tx, kind, due_at, payload, key)


CLOCK_META_KEY = "clock"
RACE_RETRIES = 8  # a job that keeps losing races with requests is set aside after this many runs


class Scheduler:
    """Runs due jobs in order of due time, each in its own transaction."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()

    def run_due(self, until: int | None = None) -> int:
        """Run every job due at or before `until` (default: now); return how many ran."""
        with self._lock:
            until = self.clock.now() if until is None else until
            ran = 0
            while self._run_next(until):
                ran += 1
            return ran

    def advance(self, milliseconds: int) -> int:
        """Move the clock forward, running each job at its own due time on the way."""
        with self._lock:
            target = self.clock.now() + max(0, int(milliseconds))
            ran = 0
            while self._run_next(target):
                ran += 1
            self.clock.set_time(target)
            self.save_clock()
            return ran

    def save_clock(self) -> None:
        with self.store.transaction() as tx:
            tx.set_meta(CLOCK_META_KEY, self.clock.state())

    def _run_next(self, until: int) -> bool:
        for _attempt in range(RACE_RETRIES):
            try:
                return self._run_one(until)
            except ConcurrentUpdate:
                continue  # a request changed the same documents: run the job again on fresh state
        return self._run_one(until, last_attempt=True)

    def _run_one(self, until: int, last_attempt: bool = False) -> bool:
        row = None
        try:
            with self.store.transaction() as tx:
                row = tx.connection.execute(_NEXT, {"b_until": until}).first()
                if row is None:
                    return False
                tx.connection.execute(_DONE, {"b_id": row.id})
                if row.due_at > self.clock.now():
                    self.clock.set_time(row.due_at)
                handler = _HANDLERS.get(row.kind)
                if handler is None:
                    log.error("dropping job %s of unknown kind %s", row.id, row.kind)
                else:
                    handler(JobContext(tx, self.clock, self.clock.now()), dict(row.payload))
                tx.set_meta(CLOCK_META_KEY, self.clock.state())
            return True
        except ConcurrentUpdate:
            if not last_attempt or row is None:
                raise
            log.error("job %s (%s) kept losing races; set aside", row.id, row.kind)
            self._set_aside(row)
            return True
        except Exception:
            if row is None:
                raise
            # A job that fails is rolled back and set aside, never retried forever; the failure
            # stays visible through the control API.
            log.exception("job %s (%s) failed", row.id, row.kind)
            self._set_aside(row)
            return True

    def _set_aside(self, row: Any) -> None:
        with self.store.transaction() as tx:
            tx.connection.execute(delete(jobs).where(jobs.c.id == row.id))
            failures = tx.get_meta("job_failures", [])
            failures.append({"id": row.id, "kind": row.kind, "due_at": row.due_at})
            tx.set_meta("job_failures", failures[-100:])
