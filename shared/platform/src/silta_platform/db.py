"""Async engines for the embedded default (SQLite) and production (PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, event, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from silta_platform.sqlite_connection import inline_connector

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
    if parsed.database not in (None, "", ":memory:"):  # in memory: one already
        options.update(pool_size=1, max_overflow=0, pool_timeout=SQLITE_POOL_TIMEOUT_S)
    options.update(kwargs)
    engine = create_async_engine(url, **options)

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from the driver, so BEGIN IMMEDIATE below holds.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # What is deleted or overwritten is zeroed, not left in free space (values are sealed
        # before they are written; this covers what was stored before sealing).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        # Take the write lock at BEGIN: a deferred transaction that later writes can fail
        # with SQLITE_BUSY that no timeout helps; an immediate one just waits its turn.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


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
