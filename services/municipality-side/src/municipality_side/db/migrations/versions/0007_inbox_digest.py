"""The inbox keeps a digest of each processed body, to tell a replayed message id from a
redelivery.

Revision ID: 0007
"""

from alembic import op
from silta_messaging.migrations import INBOX, add_inbox_digest

revision = "0007"
down_revision = "0006d_data_protection"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_inbox_digest(op)


def downgrade() -> None:
    with op.batch_alter_table(INBOX) as batch:
        batch.drop_column("body_sha256")
