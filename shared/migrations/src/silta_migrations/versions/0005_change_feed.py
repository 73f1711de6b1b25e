"""The change feed (events: ids, kinds, statuses, never content), webhook subscriptions (their
secrets sealed) and the webhook delivery log.

Revision ID: shared_0005
"""

import sqlalchemy as sa
from alembic import op

revision = "shared_0005"
down_revision = "shared_0004"
branch_labels = None
depends_on = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "silta_events",
        sa.Column("cursor", KEY, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("occurred_at", WHEN, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("referral_id", sa.String(36), nullable=True),
        sa.Column("statement_id", sa.String(36), nullable=True),
        sa.Column("message_kind", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=True),
        sa.Column("county_code", sa.String(2), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_silta_events_county", "silta_events", ["county_code", "cursor"])
    op.create_index("ix_silta_events_occurred", "silta_events", ["occurred_at"])
    op.create_table(
        "silta_webhooks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("organisation", sa.String(20), nullable=False),
        sa.Column("counties", sa.String(200), nullable=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("position", KEY, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", WHEN, nullable=False),
        sa.Column("last_error", sa.String(60), nullable=True),
        sa.Column("claimed_by", sa.String(36), nullable=True),
        sa.Column("claimed_until", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_silta_webhooks_organisation", "silta_webhooks", ["organisation"])
    op.create_table(
        "silta_webhook_deliveries",
        sa.Column("id", KEY, primary_key=True, autoincrement=True),
        sa.Column("webhook_id", sa.String(36), nullable=False),
        sa.Column("cursor", KEY, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("attempted_at", WHEN, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("error", sa.String(60), nullable=True),
    )
    op.create_index(
        "ix_silta_webhook_deliveries_webhook", "silta_webhook_deliveries", ["webhook_id", "id"]
    )
    op.create_index(
        "ix_silta_webhook_deliveries_attempted", "silta_webhook_deliveries", ["attempted_at"]
    )


def downgrade() -> None:
    op.drop_table("silta_webhook_deliveries")
    op.drop_table("silta_webhooks")
    op.drop_table("silta_events")
