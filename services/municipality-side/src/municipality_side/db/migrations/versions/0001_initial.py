"""Referrals, status history, outbox and inbox.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op
from silta_messaging.migrations import create_messaging_tables, drop_messaging_tables
from silta_records.status_history import create_status_history

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "referrals",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("county_code", sa.String(2), nullable=False),
        sa.Column("sender", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_sequence", sa.Integer, nullable=False),
        sa.Column("urgency", sa.String(20), nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_referrals_county_status", "referrals", ["county_code", "status", "received_at"]
    )
    create_status_history(op)


def downgrade() -> None:
    op.drop_table("referral_status_history")
    op.drop_table("referrals")
    drop_messaging_tables(op)
