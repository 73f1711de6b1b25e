"""The outbox keeps the W3C trace context of the request that wrote each row, so the
relay's publish continues that request's trace.

Revision ID: shared_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "shared_0004"
down_revision = "shared_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("silta_outbox") as batch:
        batch.add_column(sa.Column("trace_context", sa.String(1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("silta_outbox") as batch:
        batch.drop_column("trace_context")
