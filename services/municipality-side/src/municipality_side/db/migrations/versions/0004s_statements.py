"""Statements of social work sent to Kela; responsible workers named per referral.

Revision ID: 0004s_statements
"""

import sqlalchemy as sa
from alembic import op
from silta_records.responsible_workers import create_responsible_workers, drop_responsible_workers

revision = "0004s_statements"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statements",
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("county_code", sa.String(2), nullable=False),
        sa.Column("referral_id", sa.String(36), nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by_kela_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(200), nullable=True, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=True),
    )
    op.create_index("ix_statements_county_sent", "statements", ["county_code", "sent_at"])
    create_responsible_workers(op)


def downgrade() -> None:
    drop_responsible_workers(op)
    op.drop_index("ix_statements_county_sent", table_name="statements")
    op.drop_table("statements")
