"""The message log's two tables: the entries, and the chain head (one row)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, Index, MetaData, String, Table

from silta_protection.chain import HashChain, add_chain_entries, add_chain_head

ENTRIES = "message_log"
HEAD = "message_log_head"
_INDEX = "ix_message_log_referral"

FIELDS = (
    "direction",
    "message_id",
    "kind",
    "referral_id",
    "sender",
    "recipient",
    "body_sha256",
    "statement",
    "signature",
    "key_id",
    "public_key",
)
"""The chained fields of an entry, besides ``seq``, ``at`` and ``prev_hash``."""


@dataclass(frozen=True)
class MessageLogTables:
    entries: Table
    head: Table

    @property
    def chain(self) -> HashChain:
        return HashChain(self.entries, self.head, FIELDS)


def add_message_log(metadata: MetaData) -> MessageLogTables:
    entries = add_chain_entries(
        metadata,
        ENTRIES,
        Column("direction", String(10), nullable=False),
        Column("message_id", String(36), nullable=False),
        Column("kind", String(40), nullable=False),
        Column("referral_id", String(36), nullable=True),
        Column("sender", String(20), nullable=False),
        Column("recipient", String(20), nullable=False),
        Column("body_sha256", String(64), nullable=False),
        Column("statement", String(1000), nullable=False),
        Column("signature", String(100), nullable=False),
        Column("key_id", String(64), nullable=False),
        Column("public_key", String(64), nullable=False),
    )
    Index(_INDEX, entries.c.referral_id, entries.c.seq)
    head = add_chain_head(metadata, HEAD, prunable=True)
    return MessageLogTables(entries, head)
