"""Reading the change feed, and waiting for it: ``ChangeFeed`` is the runtime's companion
(``silta_platform.runtime.Companion``) that wakes long polls and the webhook dispatcher."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection, Sequence

from silta_platform.settings import ServiceSettings
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from silta_records.events.dispatcher import WebhookDispatcher
from silta_records.events.table import EventTables
from silta_records.events.view import EventView, event_view


async def read_events(
    conn: AsyncConnection,
    tables: EventTables,
    after: int,
    limit: int,
    counties: Collection[str] | None,
) -> list[EventView]:
    """Up to ``limit`` events after cursor ``after``, oldest first, of ``counties`` (None:
    every county)."""
    events = tables.events
    query = select(events).where(events.c.cursor > after)
    if counties is not None:
        query = query.where(events.c.county_code.in_(sorted(counties)))
    rows = await conn.execute(query.order_by(events.c.cursor).limit(limit))
    return [event_view(row) for row in rows]


async def last_cursor(conn: AsyncConnection, tables: EventTables) -> int:
    """The newest cursor a reader may see now (0: none yet)."""
    events = tables.events
    return int((await conn.execute(select(func.max(events.c.cursor)))).scalar() or 0)


class ChangeFeed:
    """Long polls wait here; every commit that may have recorded an event wakes them and the
    webhook dispatcher. Events other replicas commit are found by polling
    (``events_poll_seconds``)."""

    def __init__(self, settings: ServiceSettings, engine: AsyncEngine, tables: EventTables):
        self.engine = engine
        self.tables = tables
        self._poll = settings.events_poll_seconds
        self._changed = asyncio.Event()
        self._stopping = False
        self.dispatcher = WebhookDispatcher(settings, engine, tables)

    def wake(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
        self.dispatcher.wake()

    async def run(self) -> None:
        await self.dispatcher.run()

    def stop(self) -> None:
        self._stopping = True  # waiting polls answer now: the service is going away
        self.wake()
        self.dispatcher.stop()

    async def wait(
        self, after: int, limit: int, counties: Collection[str] | None, seconds: float
    ) -> Sequence[EventView]:
        """Events after ``after`` as soon as there are any, or none after ``seconds``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            changed = self._changed  # taken before reading: a commit meanwhile still wakes us
            async with self.engine.connect() as conn:
                found = await read_events(conn, self.tables, after, limit, counties)
            left = deadline - loop.time()
            if found or left <= 0 or self._stopping:
                return found
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(left, self._poll))
