"""The access log's two tables: the entries, and the chain head (one row)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table

GENESIS_HASH = "0" * 64
ENTRIES = "access_log"
HEAD = "access_log_head"
_INDEX = "ix_access_log_client"


@dataclass(frozen=True)
class AccessLogTables:
    entries: Table
    head: Table


def add_access_log(metadata: MetaData) -> AccessLogTables:
    entries = Table(
        ENTRIES,
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("organisation", String(100), nullable=False),
        Column("role", String(200), nullable=False),
        Column("purpose", String(100), nullable=False),
        Column("action", String(20), nullable=False),
        Column("channel", String(20), nullable=False),
        Column("resource", String(40), nullable=False),
        Column("resource_id", String(36), nullable=True),
        Column("client_key", String(64), nullable=True),
        Column("county", String(2), nullable=True),
        Column("prev_hash", String(64), nullable=False),
        Column("entry_hash", String(64), nullable=False),
    )
    Index(_INDEX, entries.c.client_key, entries.c.seq)
    # One row (id 1), inserted by the migration that creates the table: the chain's head.
    head = Table(
        HEAD,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("last_seq", Integer, nullable=False),
        Column("last_hash", String(64), nullable=False),
    )
    return AccessLogTables(entries, head)
