"""The engines: one SQLite connection that every caller queues for, and no deadlock."""

from __future__ import annotations

import asyncio
from typing import Any

from silta_platform.db import create_engine
from sqlalchemy import Column, Integer, MetaData, Table, event, func, select

metadata = MetaData()
counter = Table("counter", metadata, Column("n", Integer, primary_key=True))


async def test_sqlite_writers_and_readers_queue_for_one_connection(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    opened: list[Any] = []
    event.listen(engine.sync_engine, "connect", lambda conn, _record: opened.append(conn))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)

    async def write(n: int) -> None:
        async with engine.begin() as conn:
            await conn.execute(counter.insert().values(n=n))
            await asyncio.sleep(0)  # let the others try to get in meanwhile

    async def read() -> int:
        async with engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(counter)) or 0)

    try:
        results = await asyncio.gather(*(write(n) for n in range(30)), *(read() for _ in range(10)))
        assert all(0 <= count <= 30 for count in results[30:])
        assert await read() == 30
        assert len(opened) == 1  # every writer and reader waited for the same connection
    finally:
        await engine.dispose()
