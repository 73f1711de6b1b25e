"""Async engines for the embedded default (SQLite) and production (PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, event, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from silta_platform.sqlite_connection import in_memory, inline_connector

Query = TypeVar("Query", bound=Select[Any])

SQLITE_POOL_TIMEOUT_S = 60.0
"""How long a caller waits for the one SQLite connection before giving up."""

SQLITE_BUSY_TIMEOUT_S = 30.0
"""How long a statement waits for another process's write lock on the file (an operator's
command), retrying without holding up the event loop, before it fails."""


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    return _postgres_engine(url, **kwargs)


def _postgres_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # Concurrent HTTP writes share transactions (group commit), so the pool serves mostly
    # reads. No pre-ping: it is a round trip on every checkout, and a connection the server
    # dropped is detected on use anyway (SQLAlchemy then invalidates the whole pool; the
    # relay and the consumer retry).
    options: dict[str, Any] = {"pool_size": 10, "max_overflow": 10, "pool_recycle": 3600}
    options.update(kwargs)
    return create_async_engine(url, **options)


def _sqlite_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # One connection: SQLite has one writer anyway (and every transaction here begins
    # IMMEDIATE), so waiting for it in the pool's FIFO queue is immediate and fair, where
    # pooled connections would poll SQLite's busy handler (which sleeps up to 100 ms a try)
    # and starve under load. Nothing may hold a connection while it waits for another.
    # Statements run on the loop's thread (``silta_platform.sqlite_connection``): the URL's
    # connection arguments are read here, as SQLAlchemy's own dialect would read them.
    parsed = make_url(url)
    args, connect_args = parsed.get_dialect()().create_connect_args(parsed)
    connect_args.update({"timeout": SQLITE_BUSY_TIMEOUT_S, **kwargs.pop("connect_args", {})})
    options: dict[str, Any] = {"async_creator": inline_connector(args[0], connect_args)}
    if in_memory(args[0]):  # one connection, kept: a second would see another database
        options.update(poolclass=StaticPool)
    else:
        options.update(pool_size=1, max_overflow=0, pool_timeout=SQLITE_POOL_TIMEOUT_S)
    options.update(kwargs)
    engine = create_async_engine(url, **options)
    # What is deleted or overwritten is zeroed, not left in free space (values are sealed
    # before they are written; secure_delete covers what was stored before sealing). Every
    # transaction takes the write lock at BEGIN: a deferred one that later writes can fail
    # with SQLITE_BUSY that no timeout helps; an immediate one just waits its turn.
    pragmas = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "secure_delete=ON")
    _sqlite_sessions(engine, pragmas, "BEGIN IMMEDIATE")
    return engine


def _sqlite_sessions(engine: AsyncEngine, pragmas: Sequence[str], begin: str) -> None:
    """Each new connection of ``engine`` set with ``pragmas``, and each transaction begun by
    ``begin``: the driver's own transaction control is taken over, so that ``begin`` holds."""

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)


LONG_READ_CONNECTIONS = 2
"""SQLite connections for long reads (each on a thread of its own): more such reads wait."""


def long_read_engine(engine: AsyncEngine) -> AsyncEngine:
    """Where reads that may take long run: statistics over every referral, the metrics'
    counts, the list views, the evidence export's walk of the message log (hundreds of
    milliseconds to seconds at 100,000 referrals on SQLite).

    On SQLite ``engine``'s one connection runs its statements on the event loop's thread
    (``silta_platform.sqlite_connection``), so such a read would stop every request, relay
    pass and consumer batch of the service until it ended. These reads get connections of
    their own, read-only, each on a worker thread (plain aiosqlite): SQLite runs the query
    without the GIL and, in WAL mode, without blocking the writer or being blocked by it.
    A transaction begins at its first read and sees one snapshot. On PostgreSQL (and an
    in-memory SQLite database, which a second connection could not see) it is ``engine``.
    """
    url = engine.url
    if engine.dialect.name != "sqlite":
        return engine
    args, _ = engine.dialect.create_connect_args(url)  # the file name as sqlite3 gets it
    if in_memory(args[0]):
        return engine
    reader = create_async_engine(
        url,
        pool_size=LONG_READ_CONNECTIONS,
        max_overflow=0,
        pool_timeout=SQLITE_POOL_TIMEOUT_S,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S},
    )
    # A deferred transaction: its snapshot is taken at its first read and kept to the end.
    _sqlite_sessions(reader, ("query_only=ON",), "BEGIN")
    return reader


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; everything Silta stores is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def locking(query: Query, conn: AsyncConnection) -> Query:
    """``query`` locking the rows it reads until the transaction ends (``FOR UPDATE``).

    On PostgreSQL concurrent transactions must queue on the rows they are about to change
    (one status change at a time per referral); SQLite's transactions begin IMMEDIATE and so
    are already serialised, and it has no ``FOR UPDATE``.
    """
    return query.with_for_update() if conn.dialect.name == "postgresql" else query


@asynccontextmanager
async def one_snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection whose reads all see the database as of one moment: a view read in
    several statements never mixes states (PostgreSQL's READ COMMITTED takes a new snapshot
    per statement, so a row read first and rows read after it could be from either side of
    a commit; REPEATABLE READ keeps one). SQLite's transaction already does."""
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        yield conn
