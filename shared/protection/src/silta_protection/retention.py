"""Retention: the content of closed referrals is purged after ``retention_days``.

A referral that reached a terminal status (completed, rejected, forwarded, cancelled) keeps its
tracking record (id, kind, county, statuses, history, dates) for ever; its payload (the
notice as sent, the identity code in it) becomes JSON ``null`` and ``purged_at`` records when.
Published outbox rows are deleted at the same time: the broker has them, nothing reads a
published row again (the message log keeps the evidence), and the outbox stays as small as
what is waiting. Inbox rows older than the replay window (``MESSAGE_MAX_AGE_SECONDS`` plus
``MESSAGE_MAX_FUTURE_SECONDS``) are deleted too: a message whose id is no longer in the inbox
is checked against the window, and one received that long ago is outside it now
(``message.outside_window``: parked, never applied twice). Both keep each table's size, and
the cost of the queries on the hot path, flat however many referrals went through (the
README's *Growth*).
The other records about a client (``ClosedRecords``: case-manager periods, cooperation
cases, consultations, decision notices) are deleted whole ``retention_days`` after they
closed, each by its own rule: nothing refers to them, so their tracking data has no use
without their content, and deleting the row leaves no keyed hash of the client behind.
The message log (``silta_protection.evidence``: digests,
signatures, key ids, never a payload) is not touched by either: it keeps its entries for
``message_log_retention_days`` (ten years by default), then drops the oldest from the start of
its chain. The change feed's events and the webhook delivery log (ids, kinds and statuses,
never content) are dropped after ``events_retention_days``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from silta_platform.settings import ServiceSettings
from silta_schemas.lifecycle import TERMINAL_STATUSES
from sqlalchemy import ColumnElement, Delete, Table, Update, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from silta_protection.access_log import Access, AccessLogTables, Actor, record_access
from silta_protection.encryption import PURGED, checkpoint
from silta_protection.evidence import MessageLogTables

log = logging.getLogger(__name__)

RETENTION_ACTOR = Actor(subject="silta-retention", organisation="silta", role="maintenance")
RETENTION_PURPOSE = "retention"


@dataclass(frozen=True)
class ClosedRecords:
    """A kind of record about a client, deleted whole once it closed more than
    ``retention_days`` ago. Its table has one primary-key column, ``client_key`` and
    ``county_code`` (for the access log)."""

    resource: str
    """Its name in the access log, e.g. ``case_manager_period``."""
    table: Table
    closed_before: Callable[[datetime], ColumnElement[bool]]
    """SQL: the record closed before this instant (UTC; a record kept in dates compares
    the day in Finland)."""


@dataclass(frozen=True)
class RetentionTables:
    """What the purge touches on one side: its referrals (with ``closed_column``: when the
    referral last changed, i.e. when it closed), its outbox, its access log (where purges are
    logged) and its message log (pruned after its own retention)."""

    referrals: Table
    outbox: Table
    inbox: Table
    access_log: AccessLogTables
    message_log: MessageLogTables
    closed_column: str = "updated_at"
    events: tuple[tuple[Table, str], ...] = ()
    """The change feed's tables, each with the column saying when a row was written: rows
    older than ``events_retention_days`` are dropped."""
    closed_records: tuple[ClosedRecords, ...] = ()
    """The other records about a client, deleted ``retention_days`` after they closed."""


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
    referrals = tables.referrals
    expired = (
        referrals.c.status.in_(sorted(TERMINAL_STATUSES)),
        referrals.c[tables.closed_column] < now - timedelta(days=settings.retention_days),
        referrals.c.purged_at.is_(None),
    )
    change = update(referrals).values(payload=PURGED, purged_at=now)
    return await _in_batches(engine, tables, "referral", referrals, expired, change, batch_size)


async def purge_closed_records(
    engine: AsyncEngine, tables: RetentionTables, cutoff: datetime, *, batch_size: int = 500
) -> dict[str, int]:
    """Delete the ``closed_records`` closed before ``cutoff``; return how many of each
    resource. Each deletion is logged in the access log as a purge."""
    counts: dict[str, int] = {}
    for records in tables.closed_records:
        closed = (records.closed_before(cutoff),)
        change = delete(records.table)
        counts[records.resource] = await _in_batches(
            engine, tables, records.resource, records.table, closed, change, batch_size
        )
    return counts


async def _in_batches(
    engine: AsyncEngine,
    tables: RetentionTables,
    resource: str,
    table: Table,
    where: tuple[ColumnElement[bool], ...],
    change: Update | Delete,
    batch_size: int,
) -> int:
    """Apply ``change`` (on ``table``) to the rows ``where`` selects, a batch a transaction,
    each row's purge in the access log in the same transaction; return how many rows."""
    (key,) = table.primary_key.columns
    query = select(key, table.c.client_key, table.c.county_code).where(*where)

    async def one_batch() -> int:
        async with engine.begin() as conn:
            # No order: sorted by the key, SQLite's planner walked the primary key (every
            # referral) to find a few; each batch leaves the selection, so any order ends.
            rows = (await conn.execute(query.limit(batch_size))).all()
            if rows:
                await conn.execute(change.where(key.in_([row[0] for row in rows])))
                await record_access(
                    conn,
                    tables.access_log,
                    [
                        Access(
                            RETENTION_ACTOR,
                            "purge",
                            resource,
                            row[0],
                            row.client_key,
                            RETENTION_PURPOSE,
                            "maintenance",
                            county=row.county_code,
                        )
                        for row in rows
                    ],
                )
        return len(rows)

    return await _chunk_by_chunk(one_batch, batch_size)


DELETE_CHUNK = 1_000
"""Rows the maintenance pass deletes per transaction. A backlog deleted in one statement (five
minutes of inbox rows, a day of change-feed rows) held the database's write lock, and on SQLite
the event loop, which runs its statements, for the whole of it: requests and deliveries
waited. In chunks they get their turn in between."""


async def _chunk_by_chunk(step: Callable[[], Awaitable[int]], chunk: int) -> int:
    """Run ``step`` (one transaction over at most ``chunk`` rows, returning how many) until it
    finds fewer; return the total. Between two steps what waits for the loop and the write
    lock goes first."""
    total = 0
    while True:
        done = await step()
        total += done
        if done < chunk:
            return total
        await asyncio.sleep(0)


async def _delete_in_chunks(
    engine: AsyncEngine, table: Table, *where: ColumnElement[bool], chunk: int = DELETE_CHUNK
) -> int:
    """Delete the rows of ``table`` that ``where`` selects, ``chunk`` at a time, each chunk a
    transaction of its own; return how many."""
    (key,) = table.primary_key.columns
    statement = delete(table).where(key.in_(select(key).where(*where).limit(chunk)))

    async def one_chunk() -> int:
        async with engine.begin() as conn:
            return int((await conn.execute(statement)).rowcount or 0)

    return await _chunk_by_chunk(one_chunk, chunk)


async def delete_published_outbox(
    engine: AsyncEngine, outbox: Table, *, chunk: int = DELETE_CHUNK
) -> int:
    """Delete the rows of messages the broker confirmed (their bodies carry personal data,
    and only the unpublished rows are ever read)."""
    return await _delete_in_chunks(engine, outbox, outbox.c.published_at.is_not(None), chunk=chunk)


async def forget_old_inbox(
    engine: AsyncEngine,
    settings: ServiceSettings,
    inbox: Table,
    *,
    now: datetime | None = None,
    chunk: int = DELETE_CHUNK,
) -> int:
    """Delete inbox rows past the replay window: the window refuses their messages now."""
    window = settings.message_max_age_seconds + settings.message_max_future_seconds
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=window)
    return await _delete_in_chunks(engine, inbox, inbox.c.received_at < cutoff, chunk=chunk)


async def prune_message_log(
    engine: AsyncEngine,
    settings: ServiceSettings,
    tables: RetentionTables,
    *,
    now: datetime | None = None,
) -> int:
    """Drop message-log entries older than ``message_log_retention_days``; return how many."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=settings.message_log_retention_days)

    async def one_chunk() -> int:  # the chain's head moves with each
        async with engine.begin() as conn:
            return await tables.message_log.chain.prune(conn, cutoff, limit=DELETE_CHUNK)

    return await _chunk_by_chunk(one_chunk, DELETE_CHUNK)


async def prune_events(engine: AsyncEngine, tables: RetentionTables, cutoff: datetime) -> int:
    """Drop change-feed rows written before ``cutoff``; return how many."""
    dropped = 0
    for table, column in tables.events:
        dropped += await _delete_in_chunks(engine, table, table.c[column] < cutoff)
    return dropped


async def apply_retention(
    engine: AsyncEngine, settings: ServiceSettings, tables: RetentionTables
) -> dict[str, int]:
    """Everything retention does, once (the maintenance pass and ``protect purge``): how
    many of what, by what was done (``referrals purged``, ``consultations deleted``, ...)."""
    now = datetime.now(UTC)
    cutoff = now - timedelta(days=settings.retention_days)
    done = {"referrals purged": await purge_expired(engine, settings, tables, now=now)}
    for resource, count in (await purge_closed_records(engine, tables, cutoff)).items():
        done[f"{resource}s deleted"] = count
    done["sent messages deleted"] = await delete_published_outbox(engine, tables.outbox)
    forgotten = await forget_old_inbox(engine, settings, tables.inbox, now=now)
    done["inbox rows past the replay window deleted"] = forgotten
    pruned = await prune_message_log(engine, settings, tables, now=now)
    done["message-log entries past their retention dropped"] = pruned
    events_cutoff = now - timedelta(days=settings.events_retention_days)
    done["change-feed rows dropped"] = await prune_events(engine, tables, events_cutoff)
    if any(done.values()):
        # Nothing of what was purged or deleted left in SQLite's WAL (``checkpoint``).
        await checkpoint(engine)
    return done


def summary(done: Mapping[str, int]) -> str:
    """``apply_retention``'s counts in one line."""
    return ", ".join(f"{count} {what}" for what, count in done.items())


async def maintain(engine: AsyncEngine, settings: ServiceSettings, tables: RetentionTables) -> None:
    """One pass of the periodic data-protection maintenance."""
    done = await apply_retention(engine, settings, tables)
    if any(done.values()):
        log.info("retention: %s", summary(done))
