"""Alembic operations creating the outbox and inbox, for each service's first migration."""

from __future__ import annotations

from typing import Any

from sqlalchemy import column

from silta_messaging.tables import (
    INBOX,
    OUTBOX,
    PENDING_INDEX,
    RELAY_LEASE,
    inbox_columns,
    inbox_digest_column,
    outbox_columns,
    relay_lease_columns,
)


def create_messaging_tables(op: Any) -> None:
    op.create_table(OUTBOX, *outbox_columns())
    pending = column("published_at").is_(None)
    op.create_index(PENDING_INDEX, OUTBOX, ["id"], postgresql_where=pending, sqlite_where=pending)
    op.create_table(INBOX, *inbox_columns(digest=False))  # as it was then; see add_inbox_digest


def add_inbox_digest(op: Any) -> None:
    """The body digest that tells a replayed message id from a redelivery."""
    op.add_column(INBOX, inbox_digest_column())


def create_relay_lease(op: Any) -> None:
    op.create_table(RELAY_LEASE, *relay_lease_columns())


def drop_messaging_tables(op: Any) -> None:
    op.drop_table(INBOX)
    op.drop_index(PENDING_INDEX, table_name=OUTBOX)
    op.drop_table(OUTBOX)
