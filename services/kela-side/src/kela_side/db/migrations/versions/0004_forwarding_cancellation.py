"""Forwarding (the chain of counties) and Kela's cancellations.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op
from kela_side.db.tables import OPEN_PER_CLIENT
from silta_records.status_history import HISTORY, add_forwarding_columns

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_forwarding_columns(op)
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("forwarded_from_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("forwarded_to_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("cancellation_reason", sa.Text, nullable=True))
    op.drop_index(OPEN_PER_CLIENT.name, table_name="referrals")
    where = OPEN_PER_CLIENT.dialect_options["postgresql"]["where"]
    op.create_index(
        OPEN_PER_CLIENT.name,
        "referrals",
        ["client_key", "kind", "county_code"],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


def downgrade() -> None:
    op.drop_index(OPEN_PER_CLIENT.name, table_name="referrals")
    with op.batch_alter_table("referrals") as batch:
        for column in (
            "cancellation_reason",
            "cancelled_at",
            "forwarded_to_id",
            "forwarded_from_id",
        ):
            batch.drop_column(column)
    where = sa.text(
        "status IN ('accepted', 'delivered', 'in_progress', 'sent') AND new_referral_reason IS NULL"
    )
    op.create_index(
        OPEN_PER_CLIENT.name,
        "referrals",
        ["client_key", "kind", "county_code"],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )
    with op.batch_alter_table(HISTORY) as batch:
        batch.drop_column("forwarded_to_municipality")
        batch.drop_column("forwarded_to_county")
