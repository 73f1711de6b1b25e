"""The access log's two tables: the entries, and the chain head (one row)."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String

from silta_protection.chain import GENESIS_HASH, ChainTables, add_chain

__all__ = ["ENTRIES", "GENESIS_HASH", "HEAD", "AccessLogTables", "add_access_log"]

ENTRIES = "access_log"
HEAD = f"{ENTRIES}_head"
_INDEX = "ix_access_log_client"


class AccessLogTables(ChainTables):
    """The access log's entries and chain head."""


def add_access_log(metadata: MetaData) -> AccessLogTables:
    return AccessLogTables(
        *add_chain(
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
            index=(_INDEX, "client_key"),
        )
    )
