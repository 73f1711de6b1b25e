"""The shared tables: outbox, inbox, relay lease, access log, status history, responsible
workers and directory entries.

Squashes what each service used to create on its own (its migrations 0001 to 0007).

Revision ID: shared_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "shared_0001"
down_revision = None
branch_labels = None
depends_on = None

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UNPUBLISHED = sa.text("published_at IS NULL")
# The access log's hash chain starts from this hash (silta_protection.access_log.GENESIS_HASH).
GENESIS_HASH = "0" * 64


def upgrade() -> None:
    op.create_table(
        "silta_outbox",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(36), nullable=False, unique=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("exchange", sa.String(100), nullable=False),
        sa.Column("routing_key", sa.String(200), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(500), nullable=True),
    )
    op.create_index(
        "ix_silta_outbox_pending",
        "silta_outbox",
        ["id"],
        postgresql_where=UNPUBLISHED,
        sqlite_where=UNPUBLISHED,
    )
    op.create_table(
        "silta_inbox",
        sa.Column("message_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=True),
    )
    op.create_table(
        "silta_relay_lease",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("holder", sa.String(100), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "access_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("organisation", sa.String(100), nullable=False),
        sa.Column("role", sa.String(200), nullable=False),
        sa.Column("purpose", sa.String(100), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("resource", sa.String(40), nullable=False),
        sa.Column("resource_id", sa.String(36), nullable=True),
        sa.Column("client_key", sa.String(64), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_access_log_client", "access_log", ["client_key", "seq"])
    head = op.create_table(
        "access_log_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "last_seq": 0, "last_hash": GENESIS_HASH}])
    op.create_table(
        "referral_status_history",
        sa.Column("id", ID, primary_key=True),
        sa.Column("referral_id", sa.String(36), sa.ForeignKey("referrals.id"), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("event", sa.String(40), nullable=True),
        sa.Column("outcome", sa.String(40), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(20), nullable=False),
        sa.Column("forwarded_to_county", sa.String(2), nullable=True),
        sa.Column("forwarded_to_municipality", sa.String(3), nullable=True),
        sa.UniqueConstraint("referral_id", "sequence", name="uq_history_referral_sequence"),
    )
    op.create_table(
        "responsible_workers",
        sa.Column("id", ID, primary_key=True),
        sa.Column("referral_id", sa.String(36), sa.ForeignKey("referrals.id"), nullable=False),
        sa.Column("named_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("change", sa.String(10), nullable=False),
        sa.Column("worker", sa.JSON, nullable=False),
        sa.Column("directory_entry_id", sa.String(36), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_responsible_workers_referral", "responsible_workers", ["referral_id", "named_at"]
    )
    op.create_table(
        "directory_entries",
        sa.Column("entry_id", sa.String(36), primary_key=True),
        sa.Column("organisation", sa.String(20), nullable=False),
        sa.Column("county_code", sa.String(2), nullable=True),
        sa.Column("services", sa.String(200), nullable=False),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.Column("entry", sa.JSON, nullable=True),
        sa.Column("removed", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_directory_entries_organisation", "directory_entries", ["organisation"])
    op.create_index("ix_directory_entries_county", "directory_entries", ["county_code"])


def downgrade() -> None:
    for table in (
        "directory_entries",
        "responsible_workers",
        "referral_status_history",
        "access_log_head",
        "access_log",
        "silta_relay_lease",
        "silta_inbox",
        "silta_outbox",
    ):
        op.drop_table(table)  # its indexes go with it
