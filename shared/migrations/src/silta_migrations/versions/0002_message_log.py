"""The message log: evidence of every message sent and received, hash-chained like the access
log, with a head that remembers the last entry pruned.

Revision ID: shared_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "shared_0002"
down_revision = "shared_0001"
branch_labels = None
depends_on = None

# The chain starts from this hash (silta_protection.chain.GENESIS_HASH).
GENESIS_HASH = "0" * 64


def upgrade() -> None:
    op.create_table(
        "message_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("referral_id", sa.String(36), nullable=True),
        sa.Column("sender", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(20), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("statement", sa.String(1000), nullable=False),
        sa.Column("signature", sa.String(100), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_message_log_referral", "message_log", ["referral_id", "seq"])
    head = op.create_table(
        "message_log_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("pruned_seq", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("pruned_hash", sa.String(64), nullable=False, server_default=GENESIS_HASH),
    )
    op.bulk_insert(head, [{"id": 1, "last_seq": 0, "last_hash": GENESIS_HASH}])


def downgrade() -> None:
    op.drop_table("message_log_head")
    op.drop_table("message_log")
