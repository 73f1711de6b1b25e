"""Recording messages in the message log, and reading one referral's evidence from it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from silta_messaging.message_log import LoggedMessage
from silta_messaging.signing import KeyRegistry, public_key_text
from silta_platform.db import as_utc
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from silta_protection.evidence.table import FIELDS, MessageLogTables

FORMAT = "silta-evidence/1"


async def record_messages(
    conn: AsyncConnection, tables: MessageLogTables, messages: Sequence[LoggedMessage]
) -> None:
    """Append ``messages`` to the message log, in the caller's transaction (the relay's, when
    it marks them published; the consumer's, with their inbox rows)."""
    rows = []
    for message in messages:
        facts = message.facts
        rows.append(
            {
                "direction": message.direction,
                "message_id": facts["message_id"] or "",
                "kind": facts["kind"] or "",
                "referral_id": facts["referral_id"],
                "sender": facts["sender"] or "",
                "recipient": facts["recipient"] or "",
                "body_sha256": facts["body_sha256"] or "",
                "statement": message.statement,
                "signature": message.signature,
                "key_id": message.key_id,
                "public_key": message.public_key,
            }
        )
    await tables.chain.append(conn, rows)


def _entry(row: Any) -> dict[str, Any]:
    values = dict(row._mapping)
    values["at"] = as_utc(values["at"]).isoformat(timespec="microseconds")
    return values


async def export_referral(
    conn: AsyncConnection,
    tables: MessageLogTables,
    referral_id: str,
    *,
    organisation: str,
    registry: KeyRegistry,
    now: datetime,
) -> dict[str, Any]:
    """The evidence of one referral, as JSON: every message sent and received about it (its
    signed statement, signature, key id, public key and chain link), the public keys as the
    registry knows them now, and the state of the whole chain when exported."""
    entries = tables.entries
    rows = (
        await conn.execute(
            select(entries).where(entries.c.referral_id == referral_id).order_by(entries.c.seq)
        )
    ).all()
    messages = [_entry(row) for row in rows]
    chain = await tables.chain.verify(conn)
    head = (await conn.execute(select(tables.head.c.last_seq, tables.head.c.last_hash))).first()
    keys: dict[str, Any] = {}
    for message in messages:
        known = registry.get(message["key_id"])
        same = known is not None and public_key_text(known.public_key) == message["public_key"]
        keys[message["key_id"]] = {
            "public_key": message["public_key"],
            "organisations": sorted(known.organisations) if known and same else None,
            "in_registry_now": same,
        }
    return {
        "format": FORMAT,
        "organisation": organisation,
        "referral_id": referral_id,
        "exported_at": now.isoformat(timespec="seconds"),
        "chained_fields": ["seq", "at", *FIELDS, "prev_hash"],
        "messages": messages,
        "keys": keys,
        "chain": {
            "entries": chain.entries,
            "intact": chain.ok,
            "head_seq": head.last_seq if head else 0,
            "head_hash": head.last_hash if head else None,
        },
    }
