"""The message log's two tables: the entries, and the chain head (one row)."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String

from silta_protection.chain import ChainTables, HashChain, add_chain

ENTRIES = "message_log"
HEAD = f"{ENTRIES}_head"
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


class MessageLogTables(ChainTables):
    """The message log's entries and chain head."""

    @property
    def chain(self) -> HashChain:
        return HashChain(self.entries, self.head, FIELDS)


def add_message_log(metadata: MetaData) -> MessageLogTables:
    return MessageLogTables(
        *add_chain(
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
            index=(_INDEX, "referral_id"),
            prunable=True,
        )
    )
