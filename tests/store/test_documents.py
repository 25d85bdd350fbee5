"""Documents: transactions, optimistic versions, and concurrent updates that never both win."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hzsim.store import ConcurrentUpdate, Store
from hzsim.store.tables import metadata


def test_insert_get_update_delete(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert("desktop_pool", "p1", {"id": "p1", "name": "IC-Win11", "access_group_id": "root"})
    with store.transaction() as tx:
        doc = tx.get("desktop_pool", "p1")
        assert doc["name"] == "IC-Win11" and doc["_version"] == 1
        doc["name"] = "IC-Win11-b"
        tx.update("desktop_pool", "p1", doc)
        assert doc["_version"] == 2
    with store.transaction(write=False) as tx:
        assert tx.get("desktop_pool", "p1")["name"] == "IC-Win11-b"
        assert tx.get("desktop_pool", "nope") is None
    with store.transaction() as tx:
        assert tx.delete("desktop_pool", "p1")
        assert not tx.delete("desktop_pool", "p1")


def test_a_failed_transaction_changes_nothing(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert("machine", "m1", {"id": "m1", "state": "AVAILABLE"})
    with pytest.raises(RuntimeError), store.transaction() as tx:
        doc = tx.get("machine", "m1")
        doc["state"] = "MAINTENANCE"
        tx.update("machine", "m1", doc)
        raise RuntimeError("handler failed half-way")
    with store.transaction(write=False) as tx:
        assert tx.get("machine", "m1")["state"] == "AVAILABLE"


def test_stale_version_is_refused(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert("machine", "m1", {"id": "m1", "state": "AVAILABLE"})
    with store.transaction(write=False) as tx:
        first = tx.get("machine", "m1")
        second = tx.get("machine", "m1")
    with store.transaction() as tx:
        first["state"] = "MAINTENANCE"
        tx.update("machine", "m1", first)
    with pytest.raises(ConcurrentUpdate), store.transaction() as tx:
        second["state"] = "DISCONNECTED"
        tx.update("machine", "m1", second)
    with store.transaction(write=False) as tx:
        assert tx.get("machine", "m1")["state"] == "MAINTENANCE"


def test_concurrent_increments_never_lose_an_update(store: Store) -> None:
    """Many threads read-modify-write one counter, retrying on conflict: no increment is lost."""
    with store.transaction() as tx:
        tx.insert("counter", "c", {"id": "c", "value": 0})
    threads, per_thread = 8, 10
    conflicts = []

    def bump() -> None:
        for _ in range(per_thread):
            while True:
                try:
                    with store.transaction() as tx:
                        doc = tx.get("counter", "c")
                        doc["value"] += 1
                        tx.update("counter", "c", doc)
                    break
                except ConcurrentUpdate:
                    conflicts.append(1)

    workers = [threading.Thread(target=bump) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    with store.transaction(write=False) as tx:
        assert tx.get("counter", "c")["value"] == threads * per_thread


def test_two_updates_from_the_same_read_cannot_both_win(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert("counter", "c", {"id": "c", "value": 0})
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def write(value: int) -> None:
        with store.transaction(write=False) as tx:
            doc = tx.get("counter", "c")
        barrier.wait()
        try:
            with store.transaction() as tx:
                doc["value"] = value
                tx.update("counter", "c", doc)
            outcomes.append("won")
        except ConcurrentUpdate:
            outcomes.append("lost")

    workers = [threading.Thread(target=write, args=(n,)) for n in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(outcomes) == ["lost", "won"]


def test_meta_values_and_sequences(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.get_meta("missing", 7) == 7
        tx.set_meta("clock", {"now": 1})
        tx.set_meta("clock", {"now": 2})
        assert [tx.next_sequence("vm", 100) for _ in range(3)] == [100, 101, 102]
    with store.transaction(write=False) as tx:
        assert tx.get_meta("clock") == {"now": 2}


def test_migrations_match_the_table_definitions(store: Store) -> None:
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []


def test_wipe_keeps_the_schema(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert("machine", "m1", {"id": "m1"})
        tx.set_meta("k", 1)
    store.wipe()
    with store.transaction(write=False) as tx:
        assert tx.list("machine")[1] == 0
        assert tx.get_meta("k") is None
