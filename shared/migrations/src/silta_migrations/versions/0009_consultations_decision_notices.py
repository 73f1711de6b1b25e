"""Consultations between Kela and a county (issue 12, item 2) and the counties' decision
notices (item 6), each kept alike on both sides: the content sealed, the client's keyed hash
(null for an anonymous consultation), a consultation's deadline, a decision's date.

Revision ID: shared_0009
"""

import sqlalchemy as sa
from alembic import op

revision = "shared_0009"
down_revision = "shared_0008"


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
    op.create_table(
        "decision_notices",
        sa.Column("notice_id", sa.String(36), primary_key=True),
        sa.Column("county_code", sa.String(2), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("client_key", sa.String(64), nullable=False),
        sa.Column("sender", sa.String(20), nullable=False),
        sa.Column("decided_on", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(36), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(200), nullable=True, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=True),
    )
    op.create_index("ix_decision_notices_client", "decision_notices", ["client_key", "decided_on"])
    op.create_index(
        "ix_decision_notices_county", "decision_notices", ["county_code", "recorded_at"]
    )


def downgrade() -> None:
    op.drop_table("decision_notices")
    op.drop_table("consultations")
