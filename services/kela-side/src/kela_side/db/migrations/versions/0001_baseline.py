"""Kela's own tables: referrals as sent and statements as received.

Squashes migrations 0001 to 0007; the tables both services keep alike are migrated by the
shared history (silta_migrations), applied after this one.

Revision ID: kela_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "kela_0001"
down_revision = None
branch_labels = None
depends_on = None

# One open referral per client, kind and county, unless the sender gave a reason for another
# or the referral was forwarded there by another county.
OPEN_WITHOUT_REASON = sa.text(
    "status IN ('accepted', 'delivered', 'in_progress', 'sent') AND new_referral_reason IS NULL "
    "AND forwarded_from_id IS NULL"
)


def upgrade() -> None:
    op.create_table(
        "referrals",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("county_code", sa.String(2), nullable=False),
        sa.Column("recipient", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_sequence", sa.Integer, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True, unique=True),
        sa.Column("client_key", sa.String(64), nullable=True),
        sa.Column("new_referral_reason", sa.Text, nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request_hash", sa.String(64), nullable=True),
        sa.Column("forwarded_from_id", sa.String(36), nullable=True),
        sa.Column("forwarded_to_id", sa.String(36), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancellation_reason", sa.Text, nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_referrals_status_created", "referrals", ["status", "created_at"])
    op.create_index("ix_referrals_created", "referrals", ["created_at"])
    op.create_index("ix_referrals_due", "referrals", ["due_at"])
    op.create_index(
        "uq_referrals_open_per_client",
        "referrals",
        ["client_key", "kind", "county_code"],
        unique=True,
        sqlite_where=OPEN_WITHOUT_REASON,
        postgresql_where=OPEN_WITHOUT_REASON,
    )
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


def downgrade() -> None:
    op.drop_table("statements")
    op.drop_table("referrals")
