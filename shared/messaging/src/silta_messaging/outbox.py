"""Writing to the transactional outbox, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from silta_schemas.envelope import ALL_COUNTIES, Envelope
from silta_schemas.parties import KELA, county_code_of
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from silta_messaging.topology import EVERY_COUNTY, exchange_of, routing_key
from silta_messaging.tracing import current_trace_context


class BodySeal(Protocol):
    """Seals a message body for the outbox, bound to its message id, and opens it again for
    the relay (``silta_protection.encryption.outbox_seal``)."""

    def seal(self, body: bytes, message_id: str) -> bytes: ...

    def open(self, body: bytes, message_id: str) -> bytes: ...


@dataclass(frozen=True)
class OutboxEntry:
    """An envelope, where it goes, and the trace context it was made in (captured here, in
    the request or delivery that made it: a group commit writes it from another task)."""

    envelope: Envelope
    exchange: str
    routing_key: str
    trace_context: str | None = field(default_factory=current_trace_context)

    @classmethod
    def addressed(cls, envelope: Envelope, *, child_welfare: bool = False) -> OutboxEntry:
        """``envelope`` on its sender's exchange, keyed by its kind and the county it goes
        to (Kela's messages) or comes from (a county's); ``child_welfare`` for a
        child-welfare notice and what follows it (their own queue at the county)."""
        if envelope.recipient == ALL_COUNTIES:
            county = EVERY_COUNTY
        else:
            county_org = envelope.recipient if envelope.sender == KELA else envelope.sender
            county = county_code_of(county_org) or EVERY_COUNTY
        key = routing_key(envelope.kind, county, child_welfare=child_welfare)
        return cls(envelope, exchange_of(envelope.sender), key)

    def row(self, now: datetime, seal: BodySeal | None = None) -> dict[str, Any]:
        """The outbox row; with ``seal``, its body sealed (nothing in clear at rest)."""
        message_id = str(self.envelope.message_id)
        body = self.envelope.to_bytes()
        return {
            "message_id": message_id,
            "kind": str(self.envelope.kind),
            "exchange": self.exchange,
            "routing_key": self.routing_key,
            "body": body if seal is None else seal.seal(body, message_id),
            "created_at": now,
            "next_attempt_at": now,
            "attempts": 0,
            "trace_context": self.trace_context,
        }


async def add_to_outbox(
    conn: AsyncConnection,
    outbox: Table,
    entries: Sequence[OutboxEntry],
    seal: BodySeal | None = None,
) -> None:
    """Insert ``entries`` in one statement; they are published once the caller commits.

    On PostgreSQL the outbox's trigger also notifies the relays (``silta_messaging.tables``):
    the one that publishes is woken at the commit, whichever process it runs in."""
    if entries:
        now = datetime.now(UTC)
        await conn.execute(outbox.insert(), [entry.row(now, seal) for entry in entries])
