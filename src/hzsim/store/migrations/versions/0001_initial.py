"""Initial schema: documents, jobs, meta, revoked sessions.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("kind", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name", sa.String(1024), nullable=True),
        sa.Column("access_group_id", sa.String(255), nullable=True),
        sa.Column("doc", Json, nullable=False),
    )
    op.create_index("ix_documents_kind_name", "documents", ["kind", "name"])
    op.create_index("ix_documents_kind_access_group", "documents", ["kind", "access_group_id"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(128), nullable=False),
        sa.Column("due_at", sa.BigInteger, nullable=False),
        sa.Column("key", sa.String(255), nullable=True, unique=True),
        sa.Column("payload", Json, nullable=False),
    )
    op.create_index("ix_jobs_due", "jobs", ["due_at", "id"])
    op.create_table(
        "meta",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", Json, nullable=False),
    )
    op.create_table(
        "revoked_sessions",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("revoked_sessions")
    op.drop_table("meta")
    op.drop_index("ix_jobs_due", table_name="jobs")
    op.drop_table("jobs")
    op.drop_index("ix_documents_kind_access_group", table_name="documents")
    op.drop_index("ix_documents_kind_name", table_name="documents")
    op.drop_table("documents")
