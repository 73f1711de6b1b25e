"""The outbox relay: claims unpublished rows in order, publishes them with confirms, marks them.

One relay publishes at a time per database (a PostgreSQL advisory lock, or SQLite's single
writer), holding its claim while the batch's confirms are in flight, so two replicas of a
service neither double-publish nor reorder. It is woken in-process the moment a transaction
that wrote to the outbox commits, and polls as the fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

import aio_pika
from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from silta_messaging.broker import Broker, Outgoing

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 60.0


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off for a message the broker refused (returned or nacked)."""
    return timedelta(seconds=min(2.0 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        outbox: Table,
        broker: Broker,
        *,
        lock_key: int,
        batch_size: int = 500,
        idle_poll_seconds: float = 1.0,
    ) -> None:
        self._engine = engine
        self._outbox = outbox
        self._broker = broker
        self._lock_key = lock_key
        self._batch_size = batch_size
        self._idle_poll = idle_poll_seconds
        self._wake = asyncio.Event()
        self._postgres = engine.dialect.name == "postgresql"

    def wake(self) -> None:
        """Call after committing outbox rows: the relay publishes them now."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                published = await self.relay_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay pass failed; retrying")
                published = 0
                await asyncio.sleep(self._idle_poll)
            if published < self._batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._idle_poll)

    async def relay_once(self) -> int:
        """Publish one batch; return how many messages the broker confirmed."""
        if not self._broker.ready:
            return 0
        outbox = self._outbox
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            if self._postgres:
                locked = await conn.scalar(select(func.pg_try_advisory_xact_lock(self._lock_key)))
                if not locked:
                    return 0  # another replica is publishing; it keeps the order
            claim = (
                select(
                    outbox.c.id,
                    outbox.c.message_id,
                    outbox.c.kind,
                    outbox.c.exchange,
                    outbox.c.routing_key,
                    outbox.c.body,
                    outbox.c.attempts,
                )
                .where(outbox.c.published_at.is_(None), outbox.c.next_attempt_at <= now)
                .order_by(outbox.c.id)
                .limit(self._batch_size)
            )
            if self._postgres:
                claim = claim.with_for_update(skip_locked=True)
            rows = (await conn.execute(claim)).all()
            if not rows:
                return 0
            results = await self._broker.publish_many(
                [
                    Outgoing(
                        exchange=row.exchange,
                        routing_key=row.routing_key,
                        body=row.body,
                        message_id=row.message_id,
                        kind=row.kind,
                    )
                    for row in rows
                ]
            )
            confirmed = [row.id for row, error in zip(rows, results, strict=True) if error is None]
            refused = [
                {
                    "row_id": row.id,
                    "attempts": row.attempts + 1,
                    "next_attempt_at": now + retry_delay(row.attempts + 1),
                    "last_error": f"{type(error).__name__}: {error}"[:500],
                }
                for row, error in zip(rows, results, strict=True)
                if isinstance(error, aio_pika.exceptions.DeliveryError)
            ]
            if confirmed:
                await conn.execute(
                    update(outbox).where(outbox.c.id.in_(confirmed)).values(published_at=now)
                )
            if refused:
                # Returned (unroutable) or nacked: never marked published; retried later.
                log.warning("broker refused %d outbox messages; will retry", len(refused))
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.id == bindparam("row_id"))
                    .values(
                        attempts=bindparam("attempts"),
                        next_attempt_at=bindparam("next_attempt_at"),
                        last_error=bindparam("last_error"),
                    ),
                    refused,
                )
            if len(confirmed) + len(refused) < len(rows):
                log.warning("broker connection trouble: %d messages wait for it", len(rows))
        return len(confirmed)
