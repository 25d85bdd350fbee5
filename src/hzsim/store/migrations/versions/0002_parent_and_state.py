"""Indexed parent and state columns on documents.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("parent_id", sa.String(255), nullable=True))
        batch.add_column(sa.Column("state", sa.String(64), nullable=True))
    op.create_index("ix_documents_kind_parent_state", "documents", ["kind", "parent_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_documents_kind_parent_state", table_name="documents")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("state")
        batch.drop_column("parent_id")
