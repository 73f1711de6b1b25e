"""Reading the change feed, and waiting for it: ``ChangeFeed`` is the runtime's companion
(``silta_platform.runtime.Companion``) that wakes long polls and the webhook dispatcher."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from silta_platform.db import as_utc
from silta_platform.settings import ServiceSettings
from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from silta_records.events.dispatcher import WebhookDispatcher
from silta_records.events.table import EventTables


class EventView(BaseModel):
    """One event: ids, kinds and a status, never content."""

    cursor: int = Field(description="Position in this side's feed: grows with every event.")
    id: str = Field(description="The event's id (UUID): the same in the feed and a webhook.")
    occurred_at: datetime = Field(description="When the change happened (UTC).")
    kind: str = Field(
        description="`referral.sent`, `referral.delivered`, `referral.status_changed`, "
        "`acknowledgement.applied`, `responsible_worker.named`, `statement.sent`, "
        "`statement.received` or `statement.receipt`."
    )
    referral_id: str | None = Field(description="The referral concerned, if any.")
    statement_id: str | None = Field(description="The statement concerned, if any.")
    message_kind: str = Field(description="The referral's kind, or `statement`.")
    status: str | None = Field(description="The referral's status after the change, if any.")
    county_code: str = Field(description="The county concerned.")


def event_view(row: Row[Any]) -> EventView:
    return EventView(
        cursor=row.cursor,
        id=row.event_id,
        occurred_at=as_utc(row.occurred_at),
        kind=row.kind,
        referral_id=row.referral_id,
        statement_id=row.statement_id,
        message_kind=row.message_kind,
        status=row.status,
        county_code=row.county_code,
    )


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
