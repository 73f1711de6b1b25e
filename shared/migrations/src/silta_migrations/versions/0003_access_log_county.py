"""The access log records whose client record each entry concerns (``county``): a county's
access-log search answers only its own counties' entries.

Revision ID: shared_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "shared_0003"
down_revision = "shared_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("access_log") as batch:
        batch.add_column(sa.Column("county", sa.String(2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("access_log") as batch:
        batch.drop_column("county")
