"""The unit of work: one transaction, the messages it announces and the accesses it makes.

Every handler of both services changes state through one. What a handler announces is
written to the outbox, and what personal data it touched to the access log, in the same
transaction as the change itself, so that none of the three happens without the others. The
relay is woken after a commit that announced something; no route or handler wakes it.

Two ways in: :meth:`Transactions.begin` owns a transaction (an HTTP command), and
:meth:`Transactions.joining` works inside one somebody else owns (the consumer's batch with
its inbox rows, a group commit); that owner commits and wakes the relay. A view read in
several statements uses :meth:`Transactions.view`: one snapshot for its reads, then its
accesses in a transaction of their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

from silta_messaging.incoming import BatchHandler, Incoming, Rejection, dispatch
from silta_messaging.outbox import BodySeal, OutboxEntry, add_to_outbox
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from silta_platform.db import one_snapshot

AccessRecorder = Callable[[AsyncConnection, Sequence[Any]], Awaitable[None]]
"""Appends access-log entries inside a transaction (``silta_protection.access_log``)."""


class UnitOfWork:
    """The open transaction (``conn``) and what it collects until it is flushed."""

    def __init__(
        self,
        conn: AsyncConnection,
        outbox: Table,
        record_accesses: AccessRecorder,
        seal: BodySeal | None = None,
    ):
        self.conn = conn
        self._outbox = outbox
        self._seal = seal
        self._record_accesses = record_accesses
        self._messages: list[OutboxEntry] = []
        self._accesses: list[Any] = []
        self.announced = False
        """Whether anything was written to the outbox: the relay has work after the commit."""

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    def announce(self, *messages: OutboxEntry) -> None:
        """Send ``messages`` once this unit of work commits (the transactional outbox)."""
        self._messages.extend(messages)

    def account(self, *accesses: Any) -> None:
        """Record these accesses to personal data in the access log, with the change."""
        self._accesses.extend(accesses)

    def take_accesses(self) -> list[Any]:
        """The accesses collected so far, to be written elsewhere (``Transactions.view``); a
        unit of work that announced messages must flush instead."""
        if self._messages:
            raise RuntimeError("a view announces no messages: use Transactions.begin")
        accesses, self._accesses = self._accesses, []
        return accesses

    async def flush(self) -> None:
        """Write what was collected into the open transaction (the owner commits it)."""
        if self._messages:
            await add_to_outbox(self.conn, self._outbox, self._messages, self._seal)
            self.announced = True
        if self._accesses:
            await self._record_accesses(self.conn, self._accesses)
        self._messages, self._accesses = [], []


class Transactions:
    """Makes units of work for one service: its engine, outbox, access log and relay."""

    def __init__(
        self,
        engine: AsyncEngine,
        outbox: Table,
        record_accesses: AccessRecorder,
        wake_relay: Callable[[], None] = lambda: None,
        seal: BodySeal | None = None,
    ) -> None:
        self.engine = engine
        self._outbox = outbox
        self._seal = seal
        """Seals each outbox body (``silta_protection.encryption.outbox_seal``)."""
        self._record_accesses = record_accesses
        self.wake_relay = wake_relay
        """Tells the relay the outbox has work: for the owner of a transaction that units of
        work joined (a group commit), after it committed."""
        self._announced = False

    def note_announced(self) -> None:
        """A joined unit of work wrote outbox rows: its owner's commit must wake the relay."""
        self._announced = True

    def take_announced(self) -> bool:
        """Whether a joined unit of work announced messages since the last call. On SQLite
        the transactions run one at a time, so the flag belongs to the commit that just
        ended (or an earlier one: an extra wake costs one empty read); on PostgreSQL a
        transaction that writes outbox rows also sends ``NOTIFY``, which wakes the relay at
        its commit whatever this says."""
        announced, self._announced = self._announced, False
        return announced

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work in a transaction of its own: committed when the block ends without
        an exception (rolled back otherwise), then the relay is woken if it announced."""
        async with self.engine.begin() as conn:
            work = self.joining(conn)
            yield work
            await work.flush()
        if work.announced:
            self.wake_relay()

    @asynccontextmanager
    async def view(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work that only reads: every read sees the database as of one moment
        (``one_snapshot``), and the accesses it accounts for are written once the block ends
        without an exception, in a transaction of their own, before the caller answers with
        what it read.

        On PostgreSQL a view read in several statements under READ COMMITTED could show a
        referral's status from before a commit beside its history from after it. The
        accesses cannot join the snapshot: each one moves the access log's chain head, which
        a REPEATABLE READ transaction may not update after a concurrent writer did (it would
        fail to serialise under load). A view announces nothing."""
        async with one_snapshot(self.engine) as conn:
            work = self.joining(conn)
            yield work
            accesses = work.take_accesses()
        if accesses:
            async with self.begin() as accounting:
                accounting.account(*accesses)

    def joining(self, conn: AsyncConnection) -> UnitOfWork:
        """A unit of work inside ``conn``'s transaction; call ``flush`` before its owner
        commits. The owner wakes the relay (the consumer does after every batch)."""
        return UnitOfWork(conn, self._outbox, self._record_accesses, self._seal)


MessageHandler = Callable[[UnitOfWork, Sequence[Incoming]], Awaitable[Mapping[UUID, Rejection]]]
"""Applies a batch of one message kind in a unit of work; returns the messages it rejects."""


def message_handlers(
    transactions: Transactions, handlers: Mapping[str, MessageHandler], *, unhandled_rule: str
) -> BatchHandler:
    """The consumer's batch handler: one unit of work per batch, inside the consumer's
    transaction (with its inbox rows), each kind to its handler. What the handlers announce
    and account for is written once, after the last of them; the consumer commits and then
    wakes the relay."""
    by_kind = dispatch(handlers, unhandled_rule=unhandled_rule)

    async def handle(
        conn: AsyncConnection, messages: Sequence[Incoming]
    ) -> Mapping[UUID, Rejection]:
        work = transactions.joining(conn)
        rejections = await by_kind(work, messages)
        await work.flush()
        if work.announced:
            transactions.note_announced()
        return rejections

    return handle
