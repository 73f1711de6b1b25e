"""The relay lease (one publishing relay per database); merges the 0002 branches.

Revision ID: 0003
"""

from alembic import op
from silta_messaging.migrations import create_relay_lease

revision = "0003"
down_revision = ("0002", "0002d")
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_relay_lease(op)


def downgrade() -> None:
    op.drop_table("silta_relay_lease")
