"""A county's side keeps what it told Kela of its decisions (issue 12, item 6: the facts
sealed, with the Idempotency-Key of the request that sent each) and its consultations with
Kela (item 2).

Revision ID: municipality_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "municipality_0003"
down_revision = "municipality_0001"


def upgrade() -> None:
    op.create_table(
        "decision_notices",
        sa.Column("notice_id", sa.String(36), primary_key=True),
        sa.Column("county_code", sa.String(2), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("client_key", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_decision_notices_county_sent", "decision_notices", ["county_code", "sent_at"]
    )


def downgrade() -> None:
    op.drop_table("decision_notices")
