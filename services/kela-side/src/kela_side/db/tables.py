"""Kela side tables: referrals as sent, their status history, the outbox and inbox."""

from __future__ import annotations

from silta_messaging.tables import add_messaging_tables
from silta_service.tracking import add_status_history
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

metadata = MetaData()
messaging = add_messaging_tables(metadata)

referrals = Table(
    "referrals",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("county_code", String(2), nullable=False),
    Column("recipient", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("status_sequence", Integer, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("idempotency_key", String(200), nullable=True, unique=True),
    Column("request_hash", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_referrals_status_created", "status", "created_at"),
    Index("ix_referrals_created", "created_at"),
)

status_history = add_status_history(metadata)
