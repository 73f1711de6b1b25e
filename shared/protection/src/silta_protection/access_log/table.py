"""The access log's two tables: the entries, and the chain head (one row)."""

from __future__ import annotations

from sqlalchemy import MetaData

from silta_protection.chain import GENESIS_HASH, ChainTables, add_chain

__all__ = ["ENTRIES", "FIELDS", "GENESIS_HASH", "HEAD", "AccessLogTables", "add_access_log"]

ENTRIES = "access_log"
HEAD = f"{ENTRIES}_head"
_INDEX = "ix_access_log_client"

FIELDS = {
    "subject": 200,
    "organisation": 100,
    "role": 200,
    "purpose": 100,
    "action": 20,
    "channel": 20,
    "resource": 40,
    "resource_id": 36,
    "client_key": 64,
    "county": 2,
}
"""An entry's fields and their greatest lengths, besides ``seq``, ``at`` and the links."""


class AccessLogTables(ChainTables):
    """The access log's entries and chain head."""


def add_access_log(metadata: MetaData) -> AccessLogTables:
    return AccessLogTables(
        *add_chain(
            metadata,
            ENTRIES,
            FIELDS,
            nullable={"resource_id", "client_key", "county"},
            index=(_INDEX, "client_key"),
        )
    )
