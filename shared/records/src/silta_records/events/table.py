"""The change feed's tables, the same on both sides, and recording events.

An event says that something happened to a referral or a statement: its ids, the kind of
event, the message kind, the status and the county. Never content, never an identity code:
what a client system needs to know that it should read the resource (with its own
access-logged read) or update its own records.

Events are written by the transaction that makes the change (``record_events`` over that
transaction's connection), so an event exists exactly when its change does. The ``cursor``
is the table's integer key, and keys must become visible in their order: a reader at cursor
10 must never skip a 9 that commits later. On PostgreSQL, where two transactions could
commit out of key order, a transaction takes a transaction-level advisory lock before its
first event (held until it commits), so the transactions that record events commit one
after the other, each with keys above the last; SQLite has one writer at a time anyway.
The lock is taken by a trigger before each insert into the table (``silta_events_in_order``,
migration shared_0012), in the same round trip as the insert itself. It is taken before the
access log's head (which every such transaction appends to last), always in that order, so
the two never wait on each other in a circle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from silta_messaging.timestamps import UtcDateTime
from silta_messaging.triggers import add_statement_trigger
from silta_schemas.ids import new_id
from sqlalchemy import Column, Index, MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, Integer, String, Text

EVENTS = "silta_events"
WEBHOOKS = "silta_webhooks"
DELIVERIES = "silta_webhook_deliveries"

# What happened (``kind``).
REFERRAL_SENT = "referral.sent"
REFERRAL_DELIVERED = "referral.delivered"
STATUS_CHANGED = "referral.status_changed"
ACKNOWLEDGEMENT_APPLIED = "acknowledgement.applied"
WORKER_NAMED = "responsible_worker.named"
STATEMENT_SENT = "statement.sent"
STATEMENT_RECEIVED = "statement.received"
STATEMENT_RECEIPT = "statement.receipt"
STATEMENT_KIND = "statement"
"""The message kind of a statement's events."""

EVENTS_LOCK = 0x5111A_E7E
"""The advisory lock key that orders the transactions recording events (PostgreSQL)."""

_KEY = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class EventTables:
    events: Table
    webhooks: Table
    deliveries: Table


def add_events(metadata: MetaData) -> EventTables:
    events = Table(
        EVENTS,
        metadata,
        Column("cursor", _KEY, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("occurred_at", UtcDateTime(), nullable=False),
        Column("kind", String(40), nullable=False),
        Column("referral_id", String(36), nullable=True),
        Column("statement_id", String(36), nullable=True),
        Column("message_kind", String(40), nullable=False),
        Column("status", String(20), nullable=True),
        Column("county_code", String(2), nullable=False),
        Index("ix_silta_events_county", "county_code", "cursor"),
        Index("ix_silta_events_occurred", "occurred_at"),
        # Never reuse a cursor, even once retention emptied the table (SQLite).
        sqlite_autoincrement=True,
    )
    add_statement_trigger(
        events, "silta_events_in_order", "BEFORE", f"PERFORM pg_advisory_xact_lock({EVENTS_LOCK});"
    )
    webhooks = Table(
        WEBHOOKS,
        metadata,
        Column("id", String(36), primary_key=True),
        Column("organisation", String(20), nullable=False),
        # The counties whose events it receives, comma-separated; NULL: every county (Kela).
        Column("counties", String(200), nullable=True),
        Column("url", Text, nullable=False),
        Column("secret", Text, nullable=False),
        Column("status", String(10), nullable=False),
        Column("position", _KEY, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("next_attempt_at", UtcDateTime(), nullable=False),
        Column("last_error", String(60), nullable=True),
        Column("claimed_by", String(36), nullable=True),
        Column("claimed_until", UtcDateTime(), nullable=True),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("created_by", String(200), nullable=False),
        Index("ix_silta_webhooks_organisation", "organisation"),
    )
    deliveries = Table(
        DELIVERIES,
        metadata,
        Column("id", _KEY, primary_key=True, autoincrement=True),
        Column("webhook_id", String(36), nullable=False),
        Column("cursor", _KEY, nullable=False),
        Column("event_id", String(36), nullable=False),
        Column("attempt", Integer, nullable=False),
        Column("attempted_at", UtcDateTime(), nullable=False),
        Column("outcome", String(20), nullable=False),
        Column("status_code", Integer, nullable=True),
        Column("error", String(60), nullable=True),
        Index("ix_silta_webhook_deliveries_webhook", "webhook_id", "id"),
        Index("ix_silta_webhook_deliveries_attempted", "attempted_at"),
    )
    return EventTables(events, webhooks, deliveries)


Event = dict[str, Any]
"""One event to record (``event``)."""


def event(
    kind: str, when: datetime, county_code: str, message_kind: str, **ids_and_status: str | None
) -> Event:
    """An event of ``kind`` at ``when``; ``ids_and_status``: ``referral_id``,
    ``statement_id`` and ``status``, where known."""
    return {
        "kind": kind,
        "occurred_at": when,
        "county_code": county_code,
        "message_kind": message_kind,
        "referral_id": ids_and_status.get("referral_id"),
        "statement_id": ids_and_status.get("statement_id"),
        "status": ids_and_status.get("status"),
    }


async def record_events(conn: AsyncConnection, events: Table, items: Sequence[Event]) -> None:
    """Append ``items`` inside the caller's transaction, in order (on PostgreSQL the table's
    trigger first queues the transaction behind any other that recorded events)."""
    if not items:
        return
    rows = [{"event_id": str(new_id()), **item} for item in items]
    await conn.execute(insert(events), rows)


async def record_referral_events(
    conn: AsyncConnection,
    events: Table,
    referrals: Table,
    changes: Sequence[tuple[str, str, str | None, datetime]],
    known: Mapping[str, tuple[str, str]] | None = None,
) -> None:
    """Events of referrals by id: ``(referral id, kind, status, when)``, each with the
    referral's county and message kind: from ``known`` (id → (county code, message kind),
    what a caller that has just written the referrals holds), else as stored (the
    referral's row is in this transaction already)."""
    if not changes:
        return
    stored = dict(known or {})
    missing = sorted({referral_id for referral_id, *_ in changes} - stored.keys())
    if missing:
        query = select(referrals.c.id, referrals.c.county_code, referrals.c.kind)
        for row in await conn.execute(query.where(referrals.c.id.in_(missing))):
            stored[row.id] = (row.county_code, row.kind)
    await record_events(
        conn,
        events,
        [
            event(
                kind,
                when,
                stored[referral_id][0],
                stored[referral_id][1],
                referral_id=referral_id,
                status=status,
            )
            for referral_id, kind, status, when in changes
            if referral_id in stored
        ],
    )


def status_event_kind(row: Mapping[str, Any], acknowledged_from: str | None) -> str:
    """The kind of event of a status-history row: on Kela's side (``acknowledged_from``:
    ``county-``) a county's change is an applied acknowledgement."""
    if acknowledged_from is not None and str(row["changed_by"]).startswith(acknowledged_from):
        return ACKNOWLEDGEMENT_APPLIED
    status = str(row["status"])
    if status == "sent":
        return REFERRAL_SENT
    return REFERRAL_DELIVERED if status == "delivered" else STATUS_CHANGED


def statement_event(kind: str, when: datetime, statement: Mapping[Any, Any]) -> Event:
    """An event of a statement (a row of either side's ``statements``: its id, county and
    the referral it answers, if any)."""
    referral_id = statement["referral_id"]
    referral = None if referral_id is None else str(referral_id)
    statement_id = str(statement["statement_id"])
    county = statement["county_code"]
    return event(
        kind, when, county, STATEMENT_KIND, referral_id=referral, statement_id=statement_id
    )
