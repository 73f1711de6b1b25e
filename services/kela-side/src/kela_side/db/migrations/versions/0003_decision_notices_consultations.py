"""Decision notices the counties send (issue 12, item 6) and consultations (item 2).

Revision ID: kela_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "kela_0003"
down_revision = "kela_0001"


def upgrade() -> None:
    op.create_table(
        "decision_notices",
        sa.Column("notice_id", sa.String(36), primary_key=True),
        sa.Column("county_code", sa.String(2), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("client_key", sa.String(64), nullable=False),
        sa.Column("sender", sa.String(20), nullable=False),
        sa.Column("decided_on", sa.Date, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(36), nullable=False),
    )
    op.create_index("ix_decision_notices_client", "decision_notices", ["client_key", "decided_on"])


def downgrade() -> None:
    op.drop_table("decision_notices")
