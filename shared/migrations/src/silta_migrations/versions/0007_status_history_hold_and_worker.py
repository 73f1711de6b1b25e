"""Status history: it records why a referral is on hold (a code of the hold reasons, never
free text), which county unit made each change and, on the county's side, which worker.

Revision ID: shared_0007
"""

import sqlalchemy as sa
from alembic import op

revision: str = "shared_0007"
down_revision: str | None = "shared_0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("referral_status_history") as batch:
        batch.add_column(sa.Column("hold_reason", sa.String(40), nullable=True))
        batch.add_column(sa.Column("changed_by_unit", sa.String(200), nullable=True))
        batch.add_column(sa.Column("changed_by_worker", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("referral_status_history") as batch:
        batch.drop_column("changed_by_worker")
        batch.drop_column("changed_by_unit")
        batch.drop_column("hold_reason")
