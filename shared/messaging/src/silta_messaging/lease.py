"""Which replica publishes the outbox, and waking it when another process adds to it.

One relay per database publishes at a time, so two replicas neither double-publish nor
reorder. The lease is released when a relay stops, and a dead holder's is taken over within
about a second (the standby relays try at every pass):

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a dedicated
  connection. It dies with that connection, so with the process however it ends (``kill -9``
  included: the server ends the session as the socket closes). The same connection
  ``LISTEN``\\ s on ``silta_outbox``; every transaction that writes outbox rows sends
  ``NOTIFY silta_outbox`` (by a trigger on the outbox: ``silta_messaging.tables``), delivered
  at its commit, so a relay is woken whichever process committed. The holder checks its
  connection at most once a second.
- SQLite (embedded, one process): a row in ``silta_relay_lease`` with a short expiry,
  renewed while publishing and released on stop.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Table, exc, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from silta_messaging.tables import OUTBOX_CHANNEL

log = logging.getLogger(__name__)

TABLE_LEASE_SECONDS = 5.0
"""How long a relay's lease row lasts without renewal (SQLite)."""
CHECK_SECONDS = 1.0
"""The holder makes sure it still holds the lease at most this often."""


class RelayLease(Protocol):
    @property
    def holding(self) -> bool:
        """This relay publishes (as far as it knows now)."""

    async def hold(self) -> bool:
        """Take or keep the lease; True while this relay holds it."""

    async def release(self) -> None:
        """Let another replica publish (this one goes on listening)."""

    async def close(self) -> None:
        """Release the lease and stop listening (the relay stops)."""


def relay_lease(
    engine: AsyncEngine,
    table: Table,
    name: str,
    *,
    wake: Callable[[], None],
    lease_seconds: float = TABLE_LEASE_SECONDS,
) -> RelayLease:
    """The lease ``name`` on ``engine``'s database; ``wake`` is called on a notification."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLease(engine, name, wake)
    return TableLease(engine, table, name, timedelta(seconds=lease_seconds))


def lock_key(name: str) -> int:
    """The advisory lock's 64-bit key for lease ``name`` (advisory locks are per database)."""
    digest = hashlib.sha256(f"silta_relay_lease:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AdvisoryLease:
    """PostgreSQL: an advisory lock on a connection of its own, which also listens."""

    def __init__(self, engine: AsyncEngine, name: str, wake: Callable[[], None]) -> None:
        self._engine = engine
        self._key = lock_key(name)
        self._wake = wake
        self._conn: AsyncConnection | None = None
        self._driver: Any = None  # asyncpg's connection (it ships no type information)
        self._holding = False
        self._checked = 0.0

    @property
    def holding(self) -> bool:
        return self._holding and self._driver is not None and not self._driver.is_closed()

    async def hold(self) -> bool:
        try:
            driver = await self._connection()
            if self._holding:
                if time.monotonic() - self._checked >= CHECK_SECONDS:
                    await driver.fetchval("SELECT 1")  # the session, and so the lock, lives
                    self._checked = time.monotonic()
                return True
            self._holding = bool(
                await driver.fetchval("SELECT pg_try_advisory_lock($1)", self._key)
            )
        except Exception as error:
            await self._drop()
            if connection_broke(error):
                raise ConnectionResetError("the relay lease's connection broke") from error
            raise
        except BaseException:
            await self._drop()
            raise
        if self._holding:
            self._checked = time.monotonic()
            log.info("this replica publishes the outbox now (relay lock taken)")
        return self._holding

    async def release(self) -> None:
        if not self._holding:
            return
        self._holding = False
        try:
            await self._driver.fetchval("SELECT pg_advisory_unlock($1)", self._key)
        except Exception:
            await self._drop()  # closing the session releases it as well
        log.info("this replica no longer publishes the outbox (relay lock released)")

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.release()
        await self._drop()

    async def _connection(self) -> Any:
        if self._driver is not None and self._driver.is_closed():
            await self._drop()
        if self._driver is None:
            conn = await self._engine.connect()
            try:
                # Through SQLAlchemy first: a pooled connection the server dropped fails here
                # as a disconnect (and the pool renews itself). Committed, so that the driver
                # calls below run outside any transaction (LISTEN would wait for its commit).
                await conn.exec_driver_sql("SELECT 1")
                await conn.commit()
                raw = await conn.get_raw_connection()
                driver: Any = raw.driver_connection
                await driver.add_listener(OUTBOX_CHANNEL, self._notified)
                driver.add_termination_listener(self._terminated)
            except BaseException:
                await _discard(conn)
                raise
            self._conn, self._driver = conn, driver
        return self._driver

    def _notified(self, *_: object) -> None:
        self._wake()

    def _terminated(self, *_: object) -> None:
        if self._holding:
            log.warning("lost the connection holding the relay lock; another replica may publish")
        self._holding = False

    async def _drop(self) -> None:
        conn, self._conn, self._driver, self._holding = self._conn, None, None, False
        if conn is not None:
            await _discard(conn)


def connection_broke(error: BaseException) -> bool:
    """Whether asyncpg refused a call on the lease's connection because the connection was
    no longer in a usable state: closed, or still taking in the error with which the server
    ended the session (it was stopping). The lease calls the driver directly, where
    SQLAlchemy would have wrapped these as a lost connection; the relay treats them as the
    database being unavailable (one log line per outage, no traceback)."""
    import asyncpg  # type: ignore[import-untyped]  # only the PostgreSQL lease calls it

    return isinstance(error, asyncpg.InterfaceError | asyncpg.exceptions.InternalClientError)


async def _discard(conn: AsyncConnection) -> None:
    """Close ``conn`` for good: never back into the pool still listening (or locked)."""
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()


class TableLease:
    """A row in ``silta_relay_lease``: holder and expiry, renewed while publishing."""

    def __init__(self, engine: AsyncEngine, table: Table, name: str, duration: timedelta) -> None:
        self._engine = engine
        self._table = table
        self._name = name
        self._time = duration
        self._holder = uuid.uuid4().hex[:12]
        self._renewed: float | None = None
        """When this relay last took or renewed the lease (monotonic); None: not held."""

    def _held_within(self, seconds: float) -> bool:
        return self._renewed is not None and time.monotonic() - self._renewed < seconds

    @property
    def holding(self) -> bool:
        return self._held_within(self._time.total_seconds())

    async def hold(self) -> bool:
        if self._held_within(CHECK_SECONDS):
            return True
        started = time.monotonic()
        async with self._engine.begin() as conn:
            held = await self._take(conn, datetime.now(UTC))
        self._renewed = started if held else None
        return held

    async def _take(self, conn: AsyncConnection, now: datetime) -> bool:
        lease = self._table
        renewed = await conn.execute(
            update(lease)
            .where(
                lease.c.name == self._name,
                (lease.c.holder == self._holder) | (lease.c.expires_at < now),
            )
            .values(holder=self._holder, expires_at=now + self._time)
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
                        name=self._name, holder=self._holder, expires_at=now + self._time
                    )
                )
        except exc.IntegrityError:
            return False  # another replica created it first
        return True

    async def release(self) -> None:
        if self._renewed is None:
            return
        self._renewed = None
        lease = self._table
        async with self._engine.begin() as conn:
            await conn.execute(
                update(lease)
                .where(lease.c.name == self._name, lease.c.holder == self._holder)
                .values(expires_at=datetime.now(UTC) - self._time)
            )

    async def close(self) -> None:
        await self.release()
