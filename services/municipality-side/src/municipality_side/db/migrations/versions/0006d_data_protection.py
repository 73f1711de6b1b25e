"""Data protection: the access log (hash-chained), the keyed hash of the client on referrals
and statements, and the retention mark on referrals.

Rows stored before this get their identity code encrypted and their keyed hash filled by the
`reencrypt` command (`python -m municipality_side.protect reencrypt`): migrations have no keys.

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
    op.add_column("referrals", sa.Column("client_key", sa.String(64), nullable=True))
    op.add_column("referrals", sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_referrals_client_key", "referrals", ["client_key"])
    op.add_column("statements", sa.Column("client_key", sa.String(64), nullable=True))
    create_access_log(op)


def downgrade() -> None:
    drop_access_log(op)
    with op.batch_alter_table("statements") as batch:
        batch.drop_column("client_key")
    op.drop_index("ix_referrals_client_key", table_name="referrals")
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("purged_at")
        batch.drop_column("client_key")
