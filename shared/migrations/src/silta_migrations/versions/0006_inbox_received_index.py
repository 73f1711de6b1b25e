"""Retention deletes inbox rows past the replay window: an index on ``received_at`` finds them
without scanning the inbox.

Revision ID: shared_0006
"""

from alembic import op

revision = "shared_0006"
down_revision = "shared_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_silta_inbox_received", "silta_inbox", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_silta_inbox_received", table_name="silta_inbox")
