"""Deadlines: when the county's first reaction is due.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_referrals_due", "referrals", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_referrals_due", table_name="referrals")
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("due_at")
