"""An index of referrals by client, for the officer's view of a client's cooperation.

Revision ID: kela_0005
"""

from alembic import op

revision = "kela_0005"
down_revision = "kela_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_referrals_client", "referrals", ["client_key", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_referrals_client", table_name="referrals")
