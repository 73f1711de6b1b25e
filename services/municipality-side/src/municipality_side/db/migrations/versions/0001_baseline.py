"""The county's own tables: referrals as received and statements as sent.

Squashes migrations 0001 to 0007; the tables both services keep alike are migrated by the
shared history (silta_migrations), applied after this one.

Revision ID: municipality_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "municipality_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
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
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("child_welfare", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("client_key", sa.String(64), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_referrals_county_status", "referrals", ["county_code", "status", "received_at"]
    )
    op.create_index("ix_referrals_due", "referrals", ["due_at"])
    op.create_index("ix_referrals_client_key", "referrals", ["client_key"])
    op.create_table(
        "statements",
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("county_code", sa.String(2), nullable=False),
        sa.Column("referral_id", sa.String(36), nullable=True),
        sa.Column("client_key", sa.String(64), nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by_kela_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(200), nullable=True, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=True),
    )
    op.create_index("ix_statements_county_sent", "statements", ["county_code", "sent_at"])


def downgrade() -> None:
    op.drop_table("statements")
    op.drop_table("referrals")
