"""PostgreSQL: the work every insert into the outbox and the change feed needs rides on the
insert itself (table triggers, created by the migrations and by ``create_all``): the relay
is notified at the commit of new outbox rows, and transactions recording events commit in
the order of their events' cursors, so a reader of the feed never skips one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import pytest
from silta_messaging.outbox import OutboxEntry, add_to_outbox
from silta_messaging.tables import OUTBOX_CHANNEL, add_messaging_tables
from silta_platform.db import create_engine
from silta_records.events.table import REFERRAL_SENT, add_events, event, record_events
from silta_schemas.directory import DirectoryUpdate
from silta_schemas.envelope import ALL_COUNTIES, seal
from silta_schemas.parties import KELA
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncEngine

metadata = MetaData()
outbox = add_messaging_tables(metadata).outbox
events = add_events(metadata).events


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgres_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


def _sent(referral_id: str) -> dict[str, object]:
    return event(REFERRAL_SENT, datetime.now(UTC), "11", "notice_of_need", referral_id=referral_id)


async def test_a_second_transaction_recording_events_waits_for_the_first_to_commit(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as first:
        await first.begin()
        await record_events(first, events, [_sent("first")])

        async def second() -> None:
            async with engine.begin() as conn:
                await record_events(conn, events, [_sent("second")])

        waiting = asyncio.create_task(second())
        await asyncio.sleep(0.5)
        assert not waiting.done()  # held until the first commits, not committed before it
        await first.commit()
        await asyncio.wait_for(waiting, 10)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(events.c.referral_id).order_by(events.c.cursor))).all()
    assert [row.referral_id for row in rows] == ["first", "second"]


async def test_writing_outbox_rows_notifies_the_relays_at_the_commit(
    engine: AsyncEngine, postgres_url: str
) -> None:
    listener = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg", "postgresql"))
    notified: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener(OUTBOX_CHANNEL, lambda *args: notified.put_nowait(args[2]))
    try:
        update = DirectoryUpdate(
            kind="directory_update", removed=(uuid4(),), changed_at=datetime.now(UTC)
        )
        envelope = seal(update, sender=KELA, recipient=ALL_COUNTIES)
        async with engine.begin() as conn:
            await add_to_outbox(conn, outbox, [OutboxEntry.addressed(envelope)])
            await asyncio.sleep(0.3)
            assert notified.empty()  # not before the rows are visible to the relay
        assert await asyncio.wait_for(notified.get(), 5) == OUTBOX_CHANNEL
    finally:
        await listener.close()
