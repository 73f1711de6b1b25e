"""The outbox relay: publishes unpublished rows in order, in batches, with confirms.

Only the holder of the relay lease publishes (a row in ``silta_relay_lease``, renewed on
every pass), so two replicas of a service neither double-publish nor reorder; if the holder
dies, another replica takes over when the lease expires and republishes from the oldest
unconfirmed row (the receivers' inbox absorbs a repeat). The database is never locked
while confirms are awaited: a pass reads a batch in one short transaction, publishes it
with every confirm in flight, and marks what was confirmed in another. The relay is woken
in-process the moment a transaction that wrote to the outbox commits, and polls as the
fallback. With a ``signer`` every message is signed as it is published: the signature
covers exactly the body bytes stored in the outbox and travels in AMQP headers
(``silta_messaging.signing``); a republished row is signed again with the current key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import UTC, datetime, timedelta

import aio_pika
from sqlalchemy import Table, bindparam, exc, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from silta_messaging.availability import Outage, database_unavailable
from silta_messaging.broker import Broker, Outgoing
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
        lease_seconds: float = 30.0,
        signer: Signer | None = None,
    ) -> None:
        self._engine = engine
        self._outbox: Table = tables.outbox
        self._lease: Table = tables.relay_lease
        self._broker = broker
        self._name = name
        self._holder = f"{uuid.uuid4().hex[:12]}"
        self._batch_size = batch_size
        self._idle_poll = idle_poll_seconds
        self._lease_time = timedelta(seconds=lease_seconds)
        self._wake = asyncio.Event()
        self._signer = signer
        self._outage = Outage(log, "the outbox waits")

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
            return 0
        outbox = self._outbox
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            if not await self._hold_lease(conn, now):
                return 0  # another replica publishes; it keeps the order
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

    async def _hold_lease(self, conn: AsyncConnection, now: datetime) -> bool:
        """Take or renew the relay lease; True while this relay holds it."""
        lease = self._lease
        renewed = await conn.execute(
            update(lease)
            .where(
                lease.c.name == self._name,
                (lease.c.holder == self._holder) | (lease.c.expires_at < now),
            )
            .values(holder=self._holder, expires_at=now + self._lease_time)
        )
        if renewed.rowcount == 1:
            return True
        exists = await conn.scalar(select(lease.c.name).where(lease.c.name == self._name))
        if exists is not None:
            return False
        try:
            async with conn.begin_nested():
                await conn.execute(
                    lease.insert().values(
                        name=self._name, holder=self._holder, expires_at=now + self._lease_time
                    )
                )
        except exc.IntegrityError:
            return False  # another replica created it first
        return True
