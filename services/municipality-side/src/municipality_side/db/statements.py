"""Municipality side tables for statements of social work and responsible workers."""

from __future__ import annotations

from silta_messaging.timestamps import UtcDateTime
from silta_protection.encryption import SealedColumn
from silta_records.record_columns import statement_columns, statements_made_index
from silta_records.responsible_workers import add_responsible_workers
from sqlalchemy import Column, Index, String, Table

from municipality_side.db.tables import events, metadata

statements = Table(
    "statements",
    metadata,
    *statement_columns(client_key_required=False),
    Column("sent_at", UtcDateTime(), nullable=False),
    Column("received_by_kela_at", UtcDateTime(), nullable=True),
    Column("idempotency_key", String(200), nullable=True, unique=True),
    Column("request_hash", String(64), nullable=True),
    Index("ix_statements_county_sent", "county_code", "sent_at"),
    statements_made_index(),
)
"""Statements this side sent to Kela, and when Kela acknowledged receipt."""

responsible_workers = add_responsible_workers(metadata, events)
"""Every naming of a referral's responsible worker."""

STATEMENT_PAYLOAD = SealedColumn(statements, "statement_id", client_key_column="client_key")
"""The statement: sealed, bound to the statement's id."""
