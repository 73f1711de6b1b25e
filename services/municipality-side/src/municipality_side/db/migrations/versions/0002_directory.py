"""The contact directory: named cooperation contacts of both sides.

Revision ID: 0002d
"""

from alembic import op
from silta_records.directory import create_directory_entries, drop_directory_entries

revision = "0002d"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_directory_entries(op)


def downgrade() -> None:
    drop_directory_entries(op)
