"""Merges the 0004 branches (forwarding and cancellations; statements and responsible workers).

Revision ID: 0005
"""

revision = "0005"
down_revision = ("0004", "0004s_statements")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
