"""Client look-up key for duplicates, the reason for a new referral, deadlines.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

OPEN_PER_CLIENT = "uq_referrals_open_per_client"
# As it was at this revision; 0004 narrows it further (forwarded referrals).
WHERE = sa.text(
    "status IN ('accepted', 'delivered', 'in_progress', 'sent') AND new_referral_reason IS NULL"
)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("client_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("new_referral_reason", sa.Text, nullable=True))
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_referrals_due", "referrals", ["due_at"])
    op.create_index(
        OPEN_PER_CLIENT,
        "referrals",
        ["client_key", "kind", "county_code"],
        unique=True,
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade() -> None:
    op.drop_index(OPEN_PER_CLIENT, table_name="referrals")
    op.drop_index("ix_referrals_due", table_name="referrals")
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("due_at")
        batch.drop_column("new_referral_reason")
        batch.drop_column("client_key")
