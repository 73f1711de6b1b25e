"""The message log's two tables: the entries, and the chain head (one row)."""

from __future__ import annotations

from sqlalchemy import MetaData

from silta_protection.chain import ChainTables, HashChain, add_chain

ENTRIES = "message_log"
HEAD = f"{ENTRIES}_head"
_INDEX = "ix_message_log_referral"

_LENGTHS = {
    "direction": 10,
    "message_id": 36,
    "kind": 40,
    "referral_id": 36,
    "sender": 20,
    "recipient": 20,
    "body_sha256": 64,
    "statement": 1000,
    "signature": 100,
    "key_id": 64,
    "public_key": 64,
}
FIELDS = tuple(_LENGTHS)
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
            _LENGTHS,
            nullable={"referral_id"},
            index=(_INDEX, "referral_id"),
            prunable=True,
        )
    )
