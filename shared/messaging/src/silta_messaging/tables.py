"""The transactional outbox and the idempotent inbox, as SQLAlchemy Core tables.

Both services add these tables to their own metadata, so the rows live in the same
database, and are written in the same transaction, as the business change they carry.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    text,
)

from silta_messaging.timestamps import UtcDateTime
from silta_messaging.triggers import add_statement_trigger

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
_Id = BigInteger().with_variant(Integer(), "sqlite")

OUTBOX = "silta_outbox"
INBOX = "silta_inbox"
RELAY_LEASE = "silta_relay_lease"
PENDING_INDEX = "ix_silta_outbox_pending"
INBOX_RECEIVED_INDEX = "ix_silta_inbox_received"
OUTBOX_CHANNEL = "silta_outbox"
"""The PostgreSQL notification channel of new outbox rows (``silta_messaging.lease``)."""


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table
    relay_lease: Table


def add_messaging_tables(metadata: MetaData) -> MessagingTables:
    """Define the outbox and inbox on a service's ``metadata``."""
    outbox = Table(
        OUTBOX,
        metadata,
        Column("id", _Id, primary_key=True, autoincrement=True),
        Column("message_id", String(36), nullable=False, unique=True),
        Column("kind", String(40), nullable=False),
        Column("exchange", String(100), nullable=False),
        Column("routing_key", String(200), nullable=False),
        Column("body", LargeBinary, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("published_at", UtcDateTime(), nullable=True),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("next_attempt_at", UtcDateTime(), nullable=False),
        Column("last_error", String(500), nullable=True),
        # The W3C trace context (JSON) of the request that wrote the row: the relay's span
        # continues its trace (silta_messaging.tracing). Ids only, never personal data.
        Column("trace_context", String(1000), nullable=True),
    )
    # Only unpublished rows are ever scanned: a partial index keeps that cheap for ever.
    pending = outbox.c.published_at.is_(None)
    Index(PENDING_INDEX, outbox.c.id, postgresql_where=pending, sqlite_where=pending)
    # Every transaction that writes outbox rows wakes the publishing relay at its commit,
    # whichever process committed (migration shared_0012).
    add_statement_trigger(outbox, "silta_outbox_notify", "AFTER", f"NOTIFY {OUTBOX_CHANNEL};")
    inbox = Table(
        INBOX,
        metadata,
        Column("message_id", String(36), primary_key=True),
        Column("kind", String(40), nullable=False),
        Column("received_at", UtcDateTime(), nullable=False),
        # SHA-256 of the body processed under the message id: a later message reusing the id
        # with another body is not a redelivery but a replay or a forgery.
        Column("body_sha256", String(64), nullable=True),
    )
    # Retention deletes the rows past the replay window by this, without scanning the inbox.
    Index(INBOX_RECEIVED_INDEX, inbox.c.received_at)
    lease = Table(
        RELAY_LEASE,
        metadata,
        Column("name", String(100), primary_key=True),
        Column("holder", String(100), nullable=False),
        Column("expires_at", UtcDateTime(), nullable=False),
    )
    return MessagingTables(outbox=outbox, inbox=inbox, relay_lease=lease)
