"""Retention's purge finds the referrals it may purge by an index: those not yet purged, by
status and last change. It read every referral (or every closed one ever) on each pass.

Revision ID: shared_0010
"""

import sqlalchemy as sa
from alembic import op

revision = "shared_0010"
down_revision = "shared_0009"
branch_labels = None
depends_on = None

PREDICATE = "purged_at IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_referrals_awaiting_purge",
        "referrals",
        ["status", "updated_at"],
        sqlite_where=sa.text(PREDICATE),
        postgresql_where=sa.text(PREDICATE),
    )


def downgrade() -> None:
    op.drop_index("ix_referrals_awaiting_purge", table_name="referrals")
