"""The outbox relay: publishes unpublished rows in order, in batches, with confirms.

Only the holder of the relay lease publishes (``silta_messaging.lease``: an advisory lock
on PostgreSQL, a short row lease on SQLite), so two replicas of a service neither
double-publish nor reorder; it is released on stop, and if the holder dies another replica
takes over within about a second and republishes from the oldest unconfirmed row (the
receivers' inbox absorbs a repeat). The database is never locked
while confirms are awaited: a pass reads a batch in one short transaction, publishes it
with every confirm in flight, and marks what was confirmed in another; the running relay
reads and publishes the next pass while earlier ones await their confirms. The relay is woken
the moment a transaction that wrote to the outbox commits (in-process, and across processes
by PostgreSQL's ``NOTIFY``), and polls as the
fallback. With a ``signer`` every message is signed as it is published: the signature
covers a statement of the SHA-256 of exactly the bytes published and the envelope's facts,
and travels in AMQP headers (``silta_messaging.signing``, ``silta_messaging.statement``); a
republished row is signed again with the current key. The outbox stores bodies sealed at rest
(``seal``); the relay opens them just before publishing.
With a ``sealer`` the body is first encrypted to the recipient organisation
(``silta_messaging.sealing``) and the signature covers the encrypted document; a row whose
recipient has no encryption key in the registry is not sent, and is retried with back-off.
With a ``message_log`` every confirmed message is recorded as sent evidence (its signed
statement) in the transaction that marks it published.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
from sqlalchemy import Select, Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from silta_messaging.availability import Outage, database_unavailable, describe
from silta_messaging.broker import Broker, Outgoing
from silta_messaging.lease import TABLE_LEASE_SECONDS, relay_lease
from silta_messaging.message_log import LoggedMessage, MessageLog
from silta_messaging.metrics import count_published
from silta_messaging.outbox import BodySeal
from silta_messaging.sealing import NoEncryptionKey, Sealer
from silta_messaging.signing import Signer
from silta_messaging.statement import MessageFacts
from silta_messaging.tables import MessagingTables
from silta_messaging.tracing import PublishSpans

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 60.0
MAX_PASSES_IN_FLIGHT = 2
"""Relay passes published and awaiting their confirms at once. Two is enough for a low load
(the next row need not wait for the previous pass's confirms); more would, under a high
load, split what arrives during a confirm into many small passes, each with its own read
and mark transactions, where waiting lets it gather into one."""


def _pending(outbox: Table, batch_size: int) -> Select[Any]:
    """The oldest rows due for publishing (``now`` bound at each pass)."""
    return (
        select(
            outbox.c.id,
            outbox.c.message_id,
            outbox.c.kind,
            outbox.c.exchange,
            outbox.c.routing_key,
            outbox.c.body,
            outbox.c.attempts,
            outbox.c.trace_context,
        )
        .where(outbox.c.published_at.is_(None), outbox.c.next_attempt_at <= bindparam("now"))
        .order_by(outbox.c.id)
        .limit(batch_size)
    )


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
        message_log: MessageLog | None = None,
        seal: BodySeal | None = None,
        sealer: Sealer | None = None,
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
        self._message_log = message_log
        self._seal = seal
        self._sealer = sealer
        self._outage = Outage(log, "the outbox relay")
        self._stopping = False
        self._in_flight: set[asyncio.Task[int]] = set()
        """Passes published whose confirms are awaited (then they mark their rows)."""
        self._cursor: int | None = None
        """The last row id claimed: a pass while others are in flight reads after it."""
        self._redo = False
        """A pass left rows unconfirmed: the next one reads from the oldest pending row."""
        # Built once: a statement reused keeps its SQLAlchemy cache key, and building and
        # keying one anew cost more than SQLite running it (2.5 times, measured).
        self._read_pending = _pending(self._outbox, batch_size)
        self._read_pending_after = self._read_pending.where(self._outbox.c.id > bindparam("after"))
        self._mark_published = (
            update(self._outbox)
            .where(self._outbox.c.id.in_(bindparam("ids", expanding=True)))
            .values(published_at=bindparam("published_at"), body=b"")
        )

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
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    started = await self._start_pass()
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    self._failed(error)
                    started = 0
                    await self._settle_all()
                    await asyncio.sleep(self._idle_poll)
                else:
                    self._outage.recovered()
                if started < self._batch_size:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._idle_poll)
        finally:
            await self._settle_all()

    def _failed(self, error: Exception) -> None:
        if database_unavailable(error):
            self._outage.failed(error)  # one line per outage, not one per pass
        else:
            log.error("outbox relay pass failed; retrying", exc_info=error)

    async def relay_once(self) -> int:
        """Publish one batch; return how many messages the broker confirmed (once marked)."""
        claimed = await self._claim_and_publish(after=None)
        return 0 if claimed is None else await claimed[1]

    async def _start_pass(self) -> int:
        """Publish the next batch while earlier passes still await their confirms; return
        how many rows it started publishing.

        Waiting for the confirms of one pass before reading the next would hold every row
        committed meanwhile for a broker round trip (a quorum queue's confirm follows its
        disk write): at a steady low load that was most of the relay's latency. Passes are
        published in order on the one channel, each marked as its confirms come back. Rows
        of passes still in flight are skipped by id; once a pass leaves rows unconfirmed
        (refused, or no answer), the next starts only after every pass in flight is marked,
        from the oldest pending row, exactly as a single pass would.
        """
        while len(self._in_flight) >= MAX_PASSES_IN_FLIGHT or (self._redo and self._in_flight):
            await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
        self._redo = False
        after = self._cursor if self._in_flight else None
        claimed = await self._claim_and_publish(after=after)
        if claimed is None:
            return 0
        count, marking = claimed
        task = asyncio.create_task(marking, name="outbox-relay-confirms")
        self._in_flight.add(task)
        task.add_done_callback(self._pass_done)
        return count

    def _pass_done(self, task: asyncio.Task[int]) -> None:
        self._in_flight.discard(task)
        if task.cancelled():
            self._redo = True
            return
        error = task.exception()
        if error is not None:
            self._redo = True
            self._failed(error if isinstance(error, Exception) else RuntimeError(str(error)))

    async def _settle_all(self) -> None:
        """Wait until every pass in flight has marked what the broker confirmed."""
        if self._in_flight:
            await asyncio.wait(set(self._in_flight))

    async def _claim_and_publish(
        self, *, after: int | None
    ) -> tuple[int, Coroutine[Any, Any, int]] | None:
        """Read a batch (rows after id ``after``), start publishing it, and return how many
        rows it has and what awaits their confirms and marks them; None when there is
        nothing to publish."""
        if not self._broker.ready:
            await self._settle_all()
            await self._lease.release()  # a replica that reaches the broker may publish
            return None
        if not await self._lease.hold():
            return None  # another replica publishes; it keeps the order
        now = datetime.now(UTC)
        bound: dict[str, Any]
        query, bound = self._read_pending, {"now": now}
        if after is not None:
            query, bound = self._read_pending_after, {"now": now, "after": after}
        async with self._reading() as conn:
            rows = (await conn.execute(query, bound)).all()
        if not rows:
            return None
        self._cursor = rows[-1].id
        prepared = [self._outgoing(row) for row in rows]
        outgoing = [item for item in prepared if isinstance(item, Outgoing)]
        traced = PublishSpans(outgoing)
        try:
            confirms = self._broker.start_publishing(traced.messages)
        except BaseException as error:
            traced.abandon(error)
            raise
        return len(rows), self._mark(rows, prepared, traced, confirms, now)

    @contextlib.asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for the pass's one read. On PostgreSQL outside a transaction: one
        statement needs none (the lease keeps other relays out), and ``BEGIN`` and ``COMMIT``
        were two of its three round trips, on the path of every message. SQLite's read
        begins as every transaction there does (its one connection is taken in turn)."""
        async with self._engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    async def _mark(
        self,
        rows: Sequence[Any],
        prepared: Sequence[Outgoing | NoEncryptionKey],
        traced: PublishSpans,
        confirms: Awaitable[list[BaseException | None]],
        now: datetime,
    ) -> int:
        """Await the confirms of one pass, then mark what the broker confirmed."""
        outbox = self._outbox
        try:
            published = await confirms
        except BaseException as error:
            traced.abandon(error)
            raise
        traced.finish(published)
        sent = iter(published)
        results = [next(sent) if isinstance(item, Outgoing) else item for item in prepared]
        confirmed = [row.id for row, error in zip(rows, results, strict=True) if error is None]
        refused = [
            {
                "row_id": row.id,
                "attempts": row.attempts + 1,
                "next_attempt_at": now + retry_delay(row.attempts + 1),
                "last_error": f"{type(error).__name__}: {error}"[:500],
            }
            for row, error in zip(rows, results, strict=True)
            if isinstance(error, aio_pika.exceptions.DeliveryError | NoEncryptionKey)
        ]
        if len(confirmed) < len(rows):
            self._redo = True  # the next pass starts again from the oldest pending row
        async with self._engine.begin() as conn:
            if confirmed:
                # The body carries personal data: once the broker has it, the outbox keeps
                # only the tracking columns.
                await conn.execute(
                    self._mark_published, {"ids": confirmed, "published_at": datetime.now(UTC)}
                )
                sent_now = zip(prepared, results, strict=True)
                await self._log_sent(
                    conn, [m for m, e in sent_now if e is None and isinstance(m, Outgoing)]
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
        count_published(row.kind for row, error in zip(rows, results, strict=True) if error is None)
        if len(confirmed) + len(refused) < len(rows):
            log.warning("broker connection trouble: %d messages wait for it", len(rows))
        return len(confirmed)

    async def _log_sent(self, conn: AsyncConnection, published: list[Outgoing]) -> None:
        """The evidence of what the broker confirmed: each message's signed statement."""
        if self._message_log is not None and self._signer is not None:
            key = self._signer.public_key
            await self._message_log(conn, [LoggedMessage.sent(m.headers, key) for m in published])

    def _outgoing(self, row: Any) -> Outgoing | NoEncryptionKey:
        """The row as published: opened (the outbox keeps it sealed at rest), encrypted to its
        recipient, then signed (a statement of the bytes published and the envelope's facts),
        or why it cannot be sent yet."""
        plain = row.body if self._seal is None else self._seal.open(row.body, row.message_id)
        body = plain
        if self._sealer is not None:
            try:
                body = self._sealer.seal_envelope(plain)
            except NoEncryptionKey as error:
                return error
        headers = self._signer.headers(body, MessageFacts.of_body(plain)) if self._signer else {}
        return Outgoing(
            exchange=row.exchange,
            routing_key=row.routing_key,
            body=body,
            message_id=row.message_id,
            kind=row.kind,
            headers=headers,
            trace_context=row.trace_context,
        )
