"""Table definitions. Changes here need an Alembic migration (tests compare the two)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, MetaData, String, Table
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

Json = JSON().with_variant(JSONB(), "postgresql")

# One canonical document per resource. `name` and `access_group_id` are copied out of the
# document so that the lists most clients page through filter and sort on an index.
documents = Table(
    "documents",
    metadata,
    Column("kind", String(64), primary_key=True),
    Column("id", String(255), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("name", String(1024), nullable=True),
    Column("access_group_id", String(255), nullable=True),
    Column("parent_id", String(255), nullable=True),
    Column("state", String(64), nullable=True),
    Column("doc", Json, nullable=False),
    Index("ix_documents_kind_name", "kind", "name"),
    Index("ix_documents_kind_access_group", "kind", "access_group_id"),
    Index("ix_documents_kind_parent_state", "kind", "parent_id", "state"),
)

# Per kind, the document fields copied into `parent_id` and `state` (a machine's pool and
# state, say), so that the engine's frequent "machines of this pool in this state" questions
# are answered from an index. Resource modules register their kinds.
INDEXED_FIELDS: dict[str, tuple[str, str]] = {}


def index_fields(kind: str, parent_field: str, state_field: str) -> None:
    INDEXED_FIELDS[kind] = (parent_field, state_field)

# Asynchronous work, advanced by the scheduler as the simulator's clock moves.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(128), nullable=False),
    Column("due_at", BigInteger, nullable=False),
    Column("key", String(255), nullable=True, unique=True),
    Column("payload", Json, nullable=False),
    Index("ix_jobs_due", "due_at", "id"),
)

# Small named values: the clock's state, the loaded scenario, id sequences.
meta = Table(
    "meta",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", Json, nullable=False),
)

# Refresh-token sessions ended by logout; their access tokens stop working too.
revoked_sessions = Table(
    "revoked_sessions",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("expires_at", BigInteger, nullable=False),
)
