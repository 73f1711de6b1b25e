"""Case-manager periods and cooperation cases, kept alike on both sides
(``silta_records.cooperation``): the newest snapshot of each that Kela sent, sealed, with its
dates in plain columns.

Revision ID: shared_0010
"""

import sqlalchemy as sa
from alembic import op

revision = "shared_0010"
down_revision = "shared_0004"
branch_labels = None
depends_on = None


def snapshot_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    """What every replicated record's table starts with (``silta_records.cooperation``)."""
    return [
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("county_code", sa.String(2), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("client_key", sa.String(64), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
    ]


def times() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "case_manager_periods",
        *snapshot_columns(),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date, nullable=True),
        *times(),
    )
    op.create_index("ix_case_manager_periods_client", "case_manager_periods", ["client_key"])
    op.create_index(
        "ix_case_manager_periods_county_ends", "case_manager_periods", ["county_code", "ends_on"]
    )

    op.create_table(
        "cooperation_cases",
        *snapshot_columns(),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("follow_up_on", sa.Date, nullable=True),
        sa.Column("closed_on", sa.Date, nullable=True),
        *times(),
    )
    op.create_index("ix_cooperation_cases_client", "cooperation_cases", ["client_key"])
    op.create_index(
        "ix_cooperation_cases_county_follow_up",
        "cooperation_cases",
        ["county_code", "follow_up_on"],
    )


def downgrade() -> None:
    op.drop_table("cooperation_cases")
    op.drop_table("case_manager_periods")
