"""Worklists: the worker a referral is assigned to (their token's subject), since when, and
their entry in the county's part of the contact directory.

Revision ID: municipality_0002
"""

import sqlalchemy as sa
from alembic import op

revision: str = "municipality_0002"
down_revision: str | None = "municipality_0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    for column in (
        sa.Column("assigned_to", sa.String(200), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_entry_id", sa.String(36), nullable=True),
    ):
        op.add_column("referrals", column)
    op.create_index(
        "ix_referrals_county_assigned", "referrals", ["county_code", "assigned_to", "received_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_referrals_county_assigned", table_name="referrals")
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("assigned_entry_id")
        batch.drop_column("assigned_at")
        batch.drop_column("assigned_to")
