"""Kela side tables for statements of social work and responsible workers."""

from __future__ import annotations

from silta_messaging.timestamps import UtcDateTime
from silta_protection.encryption import SealedColumn
from silta_records.responsible_workers import add_responsible_workers
from sqlalchemy import JSON, Column, Index, String, Table

from kela_side.db.tables import metadata

statements = Table(
    "statements",
    metadata,
    Column("statement_id", String(36), primary_key=True),
    Column("county_code", String(2), nullable=False),
    Column("sender", String(20), nullable=False),
    Column("referral_id", String(36), nullable=True),
    # A keyed hash of the client's identity code: finds a client's statements, reveals no code.
    Column("client_key", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("made_at", UtcDateTime(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("message_id", String(36), nullable=False),
    Index("ix_statements_client_made", "client_key", "made_at"),
)
"""Statements the counties sent, as received."""

responsible_workers = add_responsible_workers(metadata)
"""Every naming of a referral's responsible worker, as the county announced it."""

STATEMENT_PAYLOAD = SealedColumn(statements, "statement_id", client_key_column="client_key")
"""The statement: sealed, bound to the statement's id."""
