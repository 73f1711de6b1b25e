"""The access log's two tables: the entries, and the chain head (one row)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, Index, MetaData, String, Table

from silta_protection.chain import GENESIS_HASH, add_chain_entries, add_chain_head

__all__ = ["ENTRIES", "GENESIS_HASH", "HEAD", "AccessLogTables", "add_access_log"]

ENTRIES = "access_log"
HEAD = "access_log_head"
_INDEX = "ix_access_log_client"


@dataclass(frozen=True)
class AccessLogTables:
    entries: Table
    head: Table


def add_access_log(metadata: MetaData) -> AccessLogTables:
    entries = add_chain_entries(
        metadata,
        ENTRIES,
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
    )
    Index(_INDEX, entries.c.client_key, entries.c.seq)
    head = add_chain_head(metadata, HEAD)
    return AccessLogTables(entries, head)
