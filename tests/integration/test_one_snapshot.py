"""``silta_platform.db.one_snapshot``: a view read in several statements shows one moment.

On PostgreSQL's default READ COMMITTED each statement takes a new snapshot, so a webhook's
position read first and its deliveries read after could straddle the commit that recorded a
delivery and moved the position (seen in ``test_change_feed``: ``delivered`` with the old
position)."""

from __future__ import annotations

from silta_platform.db import create_engine, one_snapshot
from sqlalchemy import text


async def test_a_commit_between_two_reads_is_not_seen_by_the_second(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE moment (position int NOT NULL)"))
            await conn.execute(text("INSERT INTO moment VALUES (0)"))
        async with one_snapshot(engine) as conn:
            first = (await conn.execute(text("SELECT position FROM moment"))).scalar_one()
            async with engine.begin() as other:  # a delivery recorded meanwhile
                await other.execute(text("UPDATE moment SET position = 1"))
            second = (await conn.execute(text("SELECT position FROM moment"))).scalar_one()
        async with engine.connect() as conn:
            now = (await conn.execute(text("SELECT position FROM moment"))).scalar_one()
    finally:
        await engine.dispose()
    assert (first, second) == (0, 0)
    assert now == 1
