"""Statements of social work from the counties; responsible workers named per referral.

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
        sa.Column("sender", sa.String(20), nullable=False),
        sa.Column("referral_id", sa.String(36), nullable=True),
        sa.Column("client_key", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(36), nullable=False),
    )
    op.create_index("ix_statements_client_made", "statements", ["client_key", "made_at"])
    create_responsible_workers(op)


def downgrade() -> None:
    drop_responsible_workers(op)
    op.drop_index("ix_statements_client_made", table_name="statements")
    op.drop_table("statements")
