"""A referral on hold is open: the one-open-referral-per-client index counts it.

Revision ID: kela_0002
"""

import sqlalchemy as sa
from alembic import op

revision: str = "kela_0002"
down_revision: str | None = "kela_0001"
branch_labels: str | None = None
depends_on: str | None = None

_OLD = sa.text(
    "status IN ('accepted', 'delivered', 'in_progress', 'sent') AND new_referral_reason IS NULL "
    "AND forwarded_from_id IS NULL"
)
_NEW = sa.text(
    "status IN ('accepted', 'delivered', 'in_progress', 'on_hold', 'sent') "
    "AND new_referral_reason IS NULL AND forwarded_from_id IS NULL"
)
_INDEX = "uq_referrals_open_per_client"


def _recreate(where: sa.TextClause) -> None:
    op.drop_index(_INDEX, table_name="referrals")
    op.create_index(
        _INDEX,
        "referrals",
        ["client_key", "kind", "county_code"],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


def upgrade() -> None:
    _recreate(_NEW)


def downgrade() -> None:
    _recreate(_OLD)
