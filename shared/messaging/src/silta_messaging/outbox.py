"""Writing to the transactional outbox, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from silta_schemas.envelope import Envelope
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class OutboxEntry:
    """An envelope and where it goes."""

    envelope: Envelope
    exchange: str
    routing_key: str

    def row(self, now: datetime) -> dict[str, Any]:
        return {
            "message_id": str(self.envelope.message_id),
            "kind": str(self.envelope.kind),
            "exchange": self.exchange,
            "routing_key": self.routing_key,
            "body": self.envelope.to_bytes(),
            "created_at": now,
            "next_attempt_at": now,
            "attempts": 0,
        }


async def add_to_outbox(
    conn: AsyncConnection, outbox: Table, entries: Sequence[OutboxEntry]
) -> None:
    """Insert ``entries`` in one statement; they are published once the caller commits."""
    if entries:
        now = datetime.now(UTC)
        await conn.execute(outbox.insert(), [entry.row(now) for entry in entries])
