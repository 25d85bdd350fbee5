"""An index on (kind, lower(name)) for case-insensitive name prefixes.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_documents_kind_lower_name", "documents", ["kind", sa.text("lower(name)")])


def downgrade() -> None:
    op.drop_index("ix_documents_kind_lower_name", table_name="documents")
