"""Case-manager periods and cooperation cases, kept alike on both sides
(``silta_records.cooperation``): the newest snapshot of each that Kela sent, sealed, with its
dates in plain columns.

Revision ID: shared_0008
"""

import sqlalchemy as sa
from alembic import op

revision = "shared_0008"
down_revision = "shared_0007"
branch_labels = None
depends_on = None

TABLES = {
    # table: ({date column: required}, the date its lists filter on)
    "case_manager_periods": (
        {"starts_on": True, "ends_on": True, "ended_on": False},
        "ends_on",
    ),
    "cooperation_cases": (
        {"opened_on": True, "follow_up_on": False, "closed_on": False},
        "follow_up_on",
    ),
}


def upgrade() -> None:
    for name, (dates, listed_by) in TABLES.items():
        op.create_table(
            name,
            sa.Column("id", sa.String(36), primary_key=True),
            sa.Column("county_code", sa.String(2), nullable=False),
            sa.Column("payload", sa.JSON, nullable=False),
            sa.Column("client_key", sa.String(64), nullable=False),
            sa.Column("action", sa.String(20), nullable=False),
            *[
                sa.Column(column, sa.Date, nullable=not required)
                for column, required in dates.items()
            ],
            sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        )
        op.create_index(f"ix_{name}_client", name, ["client_key"])
        op.create_index(f"ix_{name}_county_{listed_by}", name, ["county_code", listed_by])


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
