"""Consultations between Kela and a county (issue 12, item 2), kept alike on both sides: the
question and answer sealed, the client's keyed hash (null when anonymous), the deadline.

Revision ID: shared_0009
"""

import sqlalchemy as sa
from alembic import op

revision = "shared_0009"
down_revision = "shared_0004"


def upgrade() -> None:
    op.create_table(
        "consultations",
        sa.Column("consultation_id", sa.String(36), primary_key=True),
        sa.Column("county_code", sa.String(2), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("client_key", sa.String(64), nullable=True),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("sender", sa.String(20), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("purposes", sa.String(120), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.JSON, nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(200), nullable=True, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=True),
    )
    op.create_index("ix_consultations_client", "consultations", ["client_key"])
    op.create_index("ix_consultations_status_due", "consultations", ["status", "due_at"])


def downgrade() -> None:
    op.drop_table("consultations")
