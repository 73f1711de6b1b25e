"""Retention: the content of closed referrals is purged after ``retention_days``.

A referral that reached a terminal status (completed, rejected, forwarded, cancelled) keeps its
tracking record (id, kind, county, statuses, history, dates) for ever; its payload (the
notice as sent, the identity code in it) becomes JSON ``null`` and ``purged_at`` records when.
Published outbox messages are emptied at the same time: the broker has them, and a published
message is never read again. The message log (``silta_protection.evidence``: digests,
signatures, key ids, never a payload) is not touched by either: it keeps its entries for
``message_log_retention_days`` (ten years by default), then drops the oldest from the start of
its chain. The change feed's events and the webhook delivery log (ids, kinds and statuses,
never content) are dropped after ``events_retention_days``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from silta_platform.settings import ServiceSettings
from silta_schemas.lifecycle import TERMINAL_STATUSES
from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from silta_protection.access_log import Access, AccessLogTables, Actor, record_access
from silta_protection.encryption import PURGED
from silta_protection.evidence import MessageLogTables

log = logging.getLogger(__name__)

RETENTION_ACTOR = Actor(subject="silta-retention", organisation="silta", role="maintenance")
RETENTION_PURPOSE = "retention"


@dataclass(frozen=True)
class RetentionTables:
    """What the purge touches on one side: its referrals (with ``closed_column``: when the
    referral last changed, i.e. when it closed), its outbox, its access log (where purges are
    logged) and its message log (pruned after its own retention)."""

    referrals: Table
    outbox: Table
    access_log: AccessLogTables
    message_log: MessageLogTables
    closed_column: str = "updated_at"
    events: tuple[tuple[Table, str], ...] = ()
    """The change feed's tables, each with the column saying when a row was written: rows
    older than ``events_retention_days`` are dropped."""


async def purge_expired(
    engine: AsyncEngine,
    settings: ServiceSettings,
    tables: RetentionTables,
    *,
    now: datetime | None = None,
    batch_size: int = 500,
) -> int:
    """Purge the payloads of referrals closed more than ``retention_days`` ago; return how
    many. Each purge is logged in the access log."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=settings.retention_days)
    referrals = tables.referrals
    closed = referrals.c[tables.closed_column]
    total = 0
    while True:
        async with engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(referrals.c.id, referrals.c.client_key, referrals.c.county_code)
                    .where(
                        referrals.c.status.in_(sorted(TERMINAL_STATUSES)),
                        closed < cutoff,
                        referrals.c.purged_at.is_(None),
                    )
                    .order_by(referrals.c.id)
                    .limit(batch_size)
                )
            ).all()
            if rows:
                await conn.execute(
                    update(referrals)
                    .where(referrals.c.id.in_([row.id for row in rows]))
                    .values(payload=PURGED, purged_at=now)
                )
                await record_access(
                    conn,
                    tables.access_log,
                    [
                        Access(
                            RETENTION_ACTOR,
                            "purge",
                            "referral",
                            row.id,
                            row.client_key,
                            RETENTION_PURPOSE,
                            "maintenance",
                            county=row.county_code,
                        )
                        for row in rows
                    ],
                )
        total += len(rows)
        if len(rows) < batch_size:
            break
    return total


async def empty_published_outbox(engine: AsyncEngine, outbox: Table) -> int:
    """Empty the bodies of messages the broker confirmed (they carry personal data)."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(outbox)
            .where(outbox.c.published_at.is_not(None), func.length(outbox.c.body) > 0)
            .values(body=b"")
        )
    return int(result.rowcount or 0)


async def prune_message_log(
    engine: AsyncEngine,
    settings: ServiceSettings,
    tables: RetentionTables,
    *,
    now: datetime | None = None,
) -> int:
    """Drop message-log entries older than ``message_log_retention_days``; return how many."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=settings.message_log_retention_days)
    async with engine.begin() as conn:
        return await tables.message_log.chain.prune(conn, cutoff)


async def prune_events(engine: AsyncEngine, tables: RetentionTables, cutoff: datetime) -> int:
    """Drop change-feed rows written before ``cutoff``; return how many."""
    dropped = 0
    async with engine.begin() as conn:
        for table, column in tables.events:
            result = await conn.execute(delete(table).where(table.c[column] < cutoff))
            dropped += int(result.rowcount or 0)
    return dropped


async def maintain(engine: AsyncEngine, settings: ServiceSettings, tables: RetentionTables) -> None:
    """One pass of the periodic data-protection maintenance."""
    purged = await purge_expired(engine, settings, tables)
    emptied = await empty_published_outbox(engine, tables.outbox)
    pruned = await prune_message_log(engine, settings, tables)
    events_cutoff = datetime.now(UTC) - timedelta(days=settings.events_retention_days)
    events = await prune_events(engine, tables, events_cutoff)
    if purged or emptied or pruned or events:
        log.info(
            "retention: %d referrals purged, %d sent messages emptied, %d message-log "
            "entries past their retention dropped, %d change-feed rows dropped",
            purged,
            emptied,
            pruned,
            events,
        )
