"""Engine set-up, transactions and the document operations every resource module uses.

SQLite (the embedded default) serializes writers with a process lock and runs in WAL
mode; PostgreSQL runs transactions concurrently. On both, each document carries a version
and an update only succeeds against the version it read, so two concurrent updates of one
document can never both win: the loser gets `ConcurrentUpdate` and is retried or refused.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import bindparam, create_engine, delete, event, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from hzsim.contract.listing import ListQuery
from hzsim.store import queries
from hzsim.store.tables import INDEXED_FIELDS, documents, meta, metadata, revoked_sessions


def _kind_columns(kind: str) -> dict[tuple[str, ...], str]:
    parent_field, state_field = INDEXED_FIELDS.get(kind, (None, None))
    return {(parent_field,): "parent_id", (state_field,): "state"} if parent_field else {}


def _split_where(kind: str, where: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Conditions on fields with an indexed column become column conditions; the rest stay JSON."""
    if not where:
        return {}, {}
    parent_field, state_field = INDEXED_FIELDS.get(kind, (None, None))
    columns = {}
    if parent_field in where:
        columns["parent_id"] = where[parent_field]
    if state_field in where:
        columns["state"] = where[state_field]
    return {k: v for k, v in where.items() if k not in (parent_field, state_field)}, columns

MIGRATIONS = Path(__file__).parent / "migrations"


class ConcurrentUpdate(Exception):
    """A document changed between this transaction's read and its write."""


# The document statements every transaction runs, built once (building them is most of their cost).
_BY_KEY = (documents.c.kind == bindparam("b_kind"), documents.c.id == bindparam("b_id"))
_GET = select(documents.c.doc, documents.c.version).where(*_BY_KEY)
_INSERT = insert(documents)
_UPDATE = (update(documents).where(*_BY_KEY, documents.c.version == bindparam("b_version"))
           .values(version=documents.c.version + 1, doc=bindparam("b_doc"), name=bindparam("b_name"),
                   access_group_id=bindparam("b_access_group_id"), parent_id=bindparam("b_parent_id"),
                   state=bindparam("b_state")))
_DELETE = delete(documents).where(*_BY_KEY)
_META_GET = select(meta.c.value).where(meta.c.key == bindparam("b_key"))
_META_SET = update(meta).where(meta.c.key == bindparam("b_key")).values(value=bindparam("b_value"))
_META_ADD = insert(meta)


def _columns(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """The indexed columns copied out of a document."""
    parent_field, state_field = INDEXED_FIELDS.get(kind, (None, None))
    return {"name": body.get("name"), "access_group_id": body.get("access_group_id"),
            "parent_id": body.get(parent_field) if parent_field else None,
            "state": body.get(state_field) if state_field else None}


class Transaction:
    """One database transaction with the document operations resource modules need."""

    def __init__(self, connection: Connection, dialect: str, generations: dict[str, int]) -> None:
        self.connection = connection
        self.dialect = dialect
        self._generations = generations

    def _changed(self, kind: str) -> None:
        self._generations[kind] = self._generations.get(kind, 0) + 1

    # -- documents ----------------------------------------------------------------------

    def get(self, kind: str, id_: str) -> dict[str, Any] | None:
        row = self.connection.execute(_GET, {"b_kind": kind, "b_id": id_}).first()
        if row is None:
            return None
        doc = dict(row.doc)
        doc["_version"] = row.version
        return doc

    def insert(self, kind: str, id_: str, doc: dict[str, Any]) -> None:
        body = {k: v for k, v in doc.items() if k != "_version"}
        self._changed(kind)
        self.connection.execute(_INSERT, {"kind": kind, "id": id_, "version": 1, "doc": body, **_columns(kind, body)})
        doc["_version"] = 1  # the caller may update what it inserted

    def update(self, kind: str, id_: str, doc: dict[str, Any]) -> None:
        """Write `doc` back; it must carry the `_version` it was read at."""
        body = {k: v for k, v in doc.items() if k != "_version"}
        columns = {f"b_{name}": value for name, value in _columns(kind, body).items()}
        result = self.connection.execute(_UPDATE, {"b_kind": kind, "b_id": id_, "b_version": doc["_version"],
                                                   "b_doc": body, **columns})
        if result.rowcount != 1:
            raise ConcurrentUpdate(f"{kind} {id_} changed concurrently")
        self._changed(kind)
        doc["_version"] = doc["_version"] + 1

    def delete(self, kind: str, id_: str) -> bool:
        result = self.connection.execute(_DELETE, {"b_kind": kind, "b_id": id_})
        self._changed(kind)
        return result.rowcount == 1

    def list(self, kind: str, query: ListQuery | None = None, *, access_groups: set[str] | None = None,
             where: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], int]:
        """One page of documents of `kind` and the total count, filtered and sorted in SQL.

        `where` adds equality conditions on top-level document fields (a parent's id, say)
        to the client's own filter.
        """
        query = query or ListQuery()
        where, columns = _split_where(kind, where)
        if where:
            query = queries.with_conditions(query, where)
        query = queries.on_columns(query, _kind_columns(kind))
        params: dict[str, Any] = {"kind": kind}
        if access_groups is not None:
            params["groups"] = sorted(access_groups)
        if query.size:
            params["limit"], params["offset"] = query.size, query.offset
        params.update(columns)
        if query.filter is None:
            page, count = queries.list_statements(access_groups is not None, query.sort, bool(query.size),
                                                  self.dialect, tuple(sorted(columns)))
        else:
            page, count = queries.filtered_statements(query.filter, access_groups is not None, query.sort,
                                                      bool(query.size), self.dialect, tuple(sorted(columns)))
        # Listed documents carry their version too, so they can be updated in place.
        items = [{**row[0], "_version": row[1]} for row in self.connection.execute(page, params)]
        if not query.size:
            return items, len(items)
        if items and len(items) < query.size:
            return items, query.offset + len(items)  # the last page tells the total by itself
        return items, self.connection.execute(count, params).scalar_one()

    def count(self, kind: str, where: dict[str, Any] | None = None) -> int:
        """How many documents of `kind` match `where`, without reading them."""
        where, columns = _split_where(kind, where)
        query = queries.with_conditions(ListQuery(), where) if where else ListQuery()
        statement = queries.count_statement(query.filter, self.dialect, tuple(sorted(columns)))
        return self.connection.execute(statement, {"kind": kind, **columns}).scalar_one()

    def names(self, kind: str, where: dict[str, Any] | None = None) -> set[str]:
        """The names of the documents of `kind` matching `where`, from the indexed column."""
        where, columns = _split_where(kind, where)
        query = queries.with_conditions(ListQuery(), where) if where else ListQuery()
        statement = queries.names_statement(query.filter, self.dialect, tuple(sorted(columns)))
        return {row[0] for row in self.connection.execute(statement, {"kind": kind, **columns})}

    # -- meta values --------------------------------------------------------------------

    def get_meta(self, key: str, default: Any = None) -> Any:
        value = self.connection.execute(_META_GET, {"b_key": key}).scalar()
        return default if value is None else value

    def set_meta(self, key: str, value: Any) -> None:
        if self.connection.execute(_META_SET, {"b_key": key, "b_value": value}).rowcount == 0:
            self.connection.execute(_META_ADD, {"key": key, "value": value})

    def next_sequence(self, name: str, start: int = 1) -> int:
        """The next number of a named sequence (`vm-123`, `snapshot-4`), durable."""
        current = self.get_meta(f"seq:{name}", start - 1)
        self.set_meta(f"seq:{name}", current + 1)
        return current + 1


class Store:
    """The database behind one hzsim instance."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = _create_engine(url)
        self.dialect = self.engine.dialect.name
        self._serialize = self.dialect == "sqlite"
        self._write_lock = threading.RLock()
        # Per-kind change counters, for in-memory caches of rarely changing documents.
        self.generations: dict[str, int] = {}
        # An in-memory SQLite database is one shared connection: readers must queue too.
        self._read_lock = self._write_lock if url.startswith("sqlite") and ":memory:" in url else None

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        import logging

        logging.getLogger("alembic").setLevel(logging.WARNING)  # before the import: it logs its plugins

        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self._write_lock, self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        lock = self._write_lock if (write and self._serialize) else self._read_lock
        if lock is None:
            with self.engine.begin() as connection:
                yield Transaction(connection, self.dialect, self.generations)
            return
        with lock, self.engine.begin() as connection:
            yield Transaction(connection, self.dialect, self.generations)

    def wipe(self, tx: Transaction | None = None) -> None:
        """Remove all state (documents, jobs, meta), keeping the schema; in `tx` when given."""
        if tx is None:
            with self.transaction() as own:
                return self.wipe(own)
        for table in reversed(metadata.sorted_tables):
            # Logged-out sessions stay logged out across a reset.
            if table is not revoked_sessions:
                tx.connection.execute(delete(table))
        for kind in list(self.generations):
            self.generations[kind] += 1

    def dispose(self) -> None:
        self.engine.dispose()


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
            engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False},
                                   **_JSON_CODEC)
        else:
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **_JSON_CODEC)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, **_JSON_CODEC)


_JSON_CODEC: dict[str, Any] = {
    "json_serializer": lambda value: orjson.dumps(value).decode(),
    # SQLite gives a JSON column numeric affinity: a stored scalar may come back as a number.
    "json_deserializer": lambda value: orjson.loads(value) if isinstance(value, (str, bytes)) else value,
}
