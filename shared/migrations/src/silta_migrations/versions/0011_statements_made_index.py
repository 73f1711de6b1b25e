"""Retention deletes statements ``RETENTION_DAYS`` after they were made: an index on
``made_at`` finds them without reading every statement.

Revision ID: shared_0011
"""

from alembic import op

revision = "shared_0011"
down_revision = "shared_0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_statements_made", "statements", ["made_at"])


def downgrade() -> None:
    op.drop_index("ix_statements_made", table_name="statements")
