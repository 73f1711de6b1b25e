"""Kela side tables for statements of social work and responsible workers."""

from __future__ import annotations

from silta_messaging.timestamps import UtcDateTime
from silta_protection.encryption import SealedColumn
from silta_records.record_columns import statement_columns, statements_made_index
from silta_records.responsible_workers import add_responsible_workers
from sqlalchemy import Column, Index, String, Table

from kela_side.db.tables import events, metadata

statements = Table(
    "statements",
    metadata,
    *statement_columns(client_key_required=True),
    Column("sender", String(20), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("message_id", String(36), nullable=False),
    Index("ix_statements_client_made", "client_key", "made_at"),
    statements_made_index(),
)
"""Statements the counties sent, as received."""

responsible_workers = add_responsible_workers(metadata, events)
"""Every naming of a referral's responsible worker, as the county announced it."""

STATEMENT_PAYLOAD = SealedColumn(statements, "statement_id", client_key_column="client_key")
"""The statement: sealed, bound to the statement's id."""
