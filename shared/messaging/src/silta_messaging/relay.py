"""The outbox relay: publishes unpublished rows in order, in batches, with confirms.

Only the holder of the relay lease publishes (``silta_messaging.lease``: an advisory lock
on PostgreSQL, a short row lease on SQLite), so two replicas of a service neither
double-publish nor reorder; it is released on stop, and if the holder dies another replica
takes over within about a second and republishes from the oldest unconfirmed row (the
receivers' inbox absorbs a repeat). The database is never locked
while confirms are awaited: a pass reads a batch in one short transaction, publishes it
with every confirm in flight, and marks what was confirmed in another. The relay is woken
the moment a transaction that wrote to the outbox commits (in-process, and across processes
by PostgreSQL's ``NOTIFY``), and polls as the
fallback. With a ``signer`` every message is signed as it is published: the signature
covers exactly the body bytes stored in the outbox and travels in AMQP headers
(``silta_messaging.signing``); a republished row is signed again with the current key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

import aio_pika
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from silta_messaging.availability import Outage, database_unavailable, describe
from silta_messaging.broker import Broker, Outgoing
from silta_messaging.lease import TABLE_LEASE_SECONDS, relay_lease
from silta_messaging.signing import Signer
from silta_messaging.tables import MessagingTables

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 60.0


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off for a message the broker refused (returned or nacked)."""
    return timedelta(seconds=min(2.0 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        tables: MessagingTables,
        broker: Broker,
        *,
        name: str = "outbox",
        batch_size: int = 500,
        idle_poll_seconds: float = 1.0,
        lease_seconds: float = TABLE_LEASE_SECONDS,
        signer: Signer | None = None,
    ) -> None:
        self._engine = engine
        self._outbox: Table = tables.outbox
        self._broker = broker
        self._batch_size = batch_size
        self._idle_poll = idle_poll_seconds
        self._wake = asyncio.Event()
        self._lease = relay_lease(
            engine, tables.relay_lease, name, wake=self.wake, lease_seconds=lease_seconds
        )
        self._signer = signer
        self._outage = Outage(log, "the outbox relay")
        self._stopping = False

    def wake(self) -> None:
        """Call after committing outbox rows: the relay publishes them now."""
        self._wake.set()

    @property
    def publishing(self) -> bool:
        """This replica holds the relay lease: it is the one that publishes."""
        return self._lease.holding

    async def close(self) -> None:
        """Release the lease (another replica, or this service restarted, takes over at
        once) and stop listening for notifications."""
        try:
            await self._lease.close()
        except Exception as error:  # it expires or dies with the connection anyway
            log.warning("could not release the relay lease (%s)", describe(error))

    def stop(self) -> None:
        """Let ``run`` finish the pass under way (so what it published is marked and not
        published again by the next holder), then release the lease and return."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        try:
            await self._run()
        finally:
            await self.close()

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                published = await self.relay_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if database_unavailable(error):
                    self._outage.failed(error)  # one line per outage, not one per pass
                else:
                    log.exception("outbox relay pass failed; retrying")
                published = 0
                await asyncio.sleep(self._idle_poll)
            else:
                self._outage.recovered()
            if published < self._batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._idle_poll)

    async def relay_once(self) -> int:
        """Publish one batch; return how many messages the broker confirmed."""
        if not self._broker.ready:
            await self._lease.release()  # a replica that reaches the broker may publish
            return 0
        if not await self._lease.hold():
            return 0  # another replica publishes; it keeps the order
        outbox = self._outbox
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            rows = (
                await conn.execute(
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
            ).all()
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
                    headers=self._signer.headers(row.body) if self._signer else {},
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
        async with self._engine.begin() as conn:
            if confirmed:
                # The body carries personal data: once the broker has it, the outbox keeps
                # only the tracking columns.
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(confirmed))
                    .values(published_at=datetime.now(UTC), body=b"")
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
