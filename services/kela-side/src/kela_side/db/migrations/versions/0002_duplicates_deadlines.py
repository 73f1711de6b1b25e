"""Client look-up key for duplicates, the reason for a new referral, deadlines.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op
from kela_side.db.tables import OPEN_PER_CLIENT

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
    where = OPEN_PER_CLIENT.dialect_options["postgresql"]["where"]
    op.create_index(
        OPEN_PER_CLIENT.name,
        "referrals",
        ["client_key", "kind", "county_code"],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


def downgrade() -> None:
    op.drop_index(OPEN_PER_CLIENT.name, table_name="referrals")
    op.drop_index("ix_referrals_due", table_name="referrals")
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("due_at")
        batch.drop_column("new_referral_reason")
        batch.drop_column("client_key")
