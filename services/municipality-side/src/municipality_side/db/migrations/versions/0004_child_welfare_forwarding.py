"""Child-welfare notices are marked; forwarding is kept in the history.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op
from silta_records.status_history import HISTORY, add_forwarding_columns

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_forwarding_columns(op)
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(
            sa.Column("child_welfare", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("child_welfare")
    with op.batch_alter_table(HISTORY) as batch:
        batch.drop_column("forwarded_to_municipality")
        batch.drop_column("forwarded_to_county")
