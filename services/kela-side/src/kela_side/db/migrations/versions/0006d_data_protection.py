"""Data protection: the access log (hash-chained) and the retention mark on referrals.

Identity codes already stored in clear are encrypted by the `reencrypt` command
(`python -m kela_side.protect reencrypt`): migrations have no keys.

Revision ID: 0006d_data_protection
"""

import sqlalchemy as sa
from alembic import op
from silta_protection.access_log import create_access_log, drop_access_log

revision = "0006d_data_protection"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("referrals", sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
    create_access_log(op)


def downgrade() -> None:
    drop_access_log(op)
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("purged_at")
