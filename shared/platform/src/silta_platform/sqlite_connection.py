"""The embedded database's connection: SQLite statements run on the event loop's own thread.

aiosqlite runs every call (cursor, execute, fetch, close: four per statement) on a worker
thread and hands the result back through the loop: about 0.4 ms of CPU a statement on the
development machine, against 0.1 ms for the statement itself, which SQLite answers from its
page cache in microseconds. Worse, under load each hop waits for the GIL (up to the 5 ms
switch interval, twice) while the service's one connection is held: at 50 referrals/s the
queue behind that connection made the p99 from sent to ``delivered`` 230 ms. So
``InlineConnection`` runs statements, ``COMMIT`` included, directly: in WAL mode with
``synchronous=NORMAL`` a commit only appends to the WAL and never waits for the disk.

What does wait for the disk is the WAL checkpoint (two ``fsync``), which SQLite would run
inside a commit every 1,000 pages. Here automatic checkpoints are off; after a commit that
leaves the WAL at ``CHECKPOINT_BYTES`` or more, a passive checkpoint starts on a connection
and a thread of its own (``WalCheckpointer``) and the commit returns at once: in WAL mode the
service's connection goes on writing while another copies the WAL into the database. Until
2026-12-05 the committing caller awaited the checkpoint while it held the service's one
connection, so every request, relay pass and consumer batch waited for two ``fsync``; at 50
referrals/s that stall, every second or so, was most of the p99 (README, *Speed*). A
checkpoint a caller asks for (the maintenance pass's ``TRUNCATE``) waits for the automatic one
to end, then runs on the worker thread.
The WAL file is truncated when SQLite restarts it (``journal_size_limit``), so its size is
what waits to be checkpointed.

What would make an inline call wait is another process holding the write lock (an operator's
command on the same file): SQLite's busy handler would then sleep *on the loop*, stopping
every request of the service. So the connection's own busy timeout is zero, and a statement
SQLite refuses as busy is retried here after an ``asyncio.sleep`` (backing off up to 50 ms),
until the connection's ``timeout`` has passed: the loop keeps serving while it waits.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

BUSY_RETRY_FIRST_S = 0.001
BUSY_RETRY_MAX_S = 0.05
CHECKPOINT_BYTES = 4 * 1024 * 1024
"""About SQLite's own automatic checkpoint (1,000 pages of 4 KiB)."""


def _busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose statements run on the caller's thread (see the module)."""

    def __init__(
        self, connector: Callable[[], sqlite3.Connection], timeout: float, wal: str | None
    ) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._busy_timeout = timeout
        self._wal = wal
        self.checkpointer = WalCheckpointer(connector) if wal else None
        self._thread.daemon = True  # as SQLAlchemy makes aiosqlite's: never holds up exit

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        connection = self._connection
        if not self._running or connection is None:
            raise ValueError("Connection closed")
        # Bound methods compare equal when they are the same method of the same object.
        if fn == connection.close or (args and str(args[0]).startswith(CHECKPOINT_PRAGMA)):
            if self.checkpointer:
                # One checkpointer at a time: SQLite answers a second one "busy" and leaves
                # the WAL as it was, and the maintenance pass's TRUNCATE must empty it (the
                # WAL holds the pages as they were before a purge or a re-encryption).
                await self.checkpointer.settled()
            return await self._threaded(fn, *args, **kwargs)
        result = await self._inline(fn, *args, **kwargs)
        if self.checkpointer and fn == connection.commit and self._wal_bytes() >= CHECKPOINT_BYTES:
            self.checkpointer.start()
        return result

    async def close(self) -> None:
        if self.checkpointer:
            await self.checkpointer.close()
        await super().close()

    async def _threaded(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn`` on the worker thread, as aiosqlite runs everything."""
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    def _wal_bytes(self) -> int:
        try:
            return os.stat(self._wal).st_size if self._wal else 0
        except FileNotFoundError:
            return 0

    async def _inline(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn`` (awaited if it is a coroutine function), retried while SQLite is busy."""
        deadline = None
        pause = BUSY_RETRY_FIRST_S
        while True:
            try:
                result = fn(*args, **kwargs)
                return await result if inspect.isawaitable(result) else result
            except sqlite3.OperationalError as error:
                if not _busy(error):
                    raise
                now = time.monotonic()
                deadline = deadline or now + self._busy_timeout
                if now >= deadline:
                    raise
                await asyncio.sleep(pause)
                pause = min(pause * 2, BUSY_RETRY_MAX_S)


CHECKPOINT_PRAGMA = "PRAGMA wal_checkpoint"
"""A statement that waits for the disk: run on the worker thread, whoever sends it (the
maintenance pass ends with a ``TRUNCATE`` checkpoint of its own)."""


def _checkpoint(connection: sqlite3.Connection) -> None:
    # Passive: copies what no reader still needs, never waits for one.
    connection.execute(f"{CHECKPOINT_PRAGMA}(PASSIVE)").fetchall()


class WalCheckpointer:
    """Passive checkpoints of one database's WAL, one at a time, on a connection of their own
    in a thread of the loop's default executor: the service's connection is never held while
    the disk syncs. The connection is opened at the first checkpoint and kept."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        self._connector = connector
        self._connection: sqlite3.Connection | None = None
        self._running: asyncio.Future[None] | None = None

    def start(self) -> None:
        """Begin a checkpoint unless one is under way (the WAL is checked again at the next
        commit after it ends)."""
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(asyncio.to_thread(self._checkpoint))
            self._running.add_done_callback(_report_failure)

    def _checkpoint(self) -> None:
        if self._connection is None:
            self._connection = self._connector()
        _checkpoint(self._connection)

    async def settled(self) -> None:
        """Return once no checkpoint is under way."""
        if self._running is not None:
            await asyncio.gather(self._running, return_exceptions=True)

    async def close(self) -> None:
        """Wait for a checkpoint under way, then close the connection."""
        await self.settled()
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _report_failure(done: asyncio.Future[None]) -> None:
    # A failed checkpoint loses nothing (the WAL keeps every commit); the next commit past
    # the threshold tries again.
    if not done.cancelled() and done.exception() is not None:
        log.warning("WAL checkpoint failed: %s", type(done.exception()).__name__)


def _connect(database: str, options: dict[str, Any]) -> sqlite3.Connection:
    # The service's connection is used from the loop's thread and, for a checkpoint a caller
    # asks for, from the worker thread (never both at once: the engine's pool lends it to one
    # caller at a time); the checkpointer's from one executor thread at a time.
    connection: sqlite3.Connection = sqlite3.connect(
        database, **{**options, "check_same_thread": False}
    )
    connection.execute("PRAGMA busy_timeout=0")
    connection.execute("PRAGMA wal_autocheckpoint=0")
    connection.execute("PRAGMA journal_size_limit=0")
    return connection


def in_memory(database: str | None) -> bool:
    """Whether ``database`` (a file name or URI as ``sqlite3.connect`` takes it) names an
    in-memory database: one no second connection can see."""
    return database in (None, "", ":memory:") or "mode=memory" in str(database)


def inline_connector(database: str, options: Mapping[str, Any]) -> Callable[[], Any]:
    """An ``async_creator`` for SQLAlchemy: a new ``InlineConnection`` to ``database``, opened
    with the ``sqlite3.connect`` ``options`` (its ``timeout`` becomes the busy retry's)."""
    timeout = float(options.get("timeout", 5.0))
    sqlite_options = {**options, "timeout": 0}

    wal = None if in_memory(database) else f"{database.removeprefix('file:').split('?')[0]}-wal"

    async def open_connection() -> aiosqlite.Connection:
        connector = partial(_connect, database, sqlite_options)
        return await InlineConnection(connector, timeout, wal)

    return open_connection
