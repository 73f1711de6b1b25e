"""A hash chain (the access log's and the message log's) stays one linear, verifiable run
however its appends interleave: two replicas writing to one database, a transaction that
rolled back, concurrent transactions. And an append from the process that wrote the head
last costs two statements on SQLite and one on PostgreSQL, not three."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from silta_protection.chain import HashChain, Verification, add_chain
from sqlalchemy import MetaData, event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.conftest import two_replicas

metadata = MetaData()
entries, head = add_chain(metadata, "test_chain", {"note": 50}, index=("ix_test_chain", "note"))
CHAIN = HashChain(entries, head, ("note",))


class Rollback(Exception):
    pass


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """Two engines on one database: two replicas of a service."""
    async with two_replicas(database_url, metadata) as pair:
        yield pair


async def append(engine: AsyncEngine, *notes: str) -> None:
    async with engine.begin() as conn:
        await CHAIN.append(conn, [{"note": note} for note in notes])


async def append_then_fail(engine: AsyncEngine, note: str) -> None:
    async with engine.begin() as conn:
        await CHAIN.append(conn, [{"note": note}])
        raise Rollback


async def notes_in_order(engine: AsyncEngine) -> list[tuple[int, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(entries.c.seq, entries.c.note).order_by(entries.c.seq))
        return [(row.seq, row.note) for row in rows]


async def verify(engine: AsyncEngine) -> Verification:
    async with engine.connect() as conn:
        return await CHAIN.verify(conn)


async def test_two_replicas_appending_in_turn_keep_one_linear_chain(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    first, second = engines
    await append(first, "a1", "a2")
    await append(second, "b1")  # the head moved under the first replica
    await append(first, "a3")
    await append(first, "a4")
    await append(second, "b2", "b3")
    assert await notes_in_order(first) == list(
        enumerate(["a1", "a2", "b1", "a3", "a4", "b2", "b3"], start=1)
    )
    verification = await verify(first)
    assert verification.ok, verification.problems
    assert verification.entries == 7


async def test_an_append_rolled_back_leaves_no_gap_and_no_broken_link(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    first, second = engines
    await append(first, "kept-1")
    with pytest.raises(Rollback):
        await append_then_fail(first, "rolled-back")
    await append(second, "kept-2")  # takes the number the rolled-back entry had
    await append(first, "kept-3")
    assert await notes_in_order(first) == [(1, "kept-1"), (2, "kept-2"), (3, "kept-3")]
    assert (await verify(first)).ok


async def test_concurrent_appends_from_two_replicas_stay_linear(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    first, second = engines
    await append(first, "start")
    await asyncio.gather(
        *(append(first, f"first-{n}") for n in range(10)),
        *(append(second, f"second-{n}") for n in range(10)),
    )
    stored = await notes_in_order(first)
    assert [seq for seq, _ in stored] == list(range(1, 22))
    assert {note for _, note in stored} == {
        "start",
        *(f"first-{n}" for n in range(10)),
        *(f"second-{n}" for n in range(10)),
    }
    assert (await verify(second)).ok


async def test_the_replica_that_wrote_the_head_appends_in_one_round_trip_on_postgresql(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    """Two statements on SQLite (in the process), one on PostgreSQL (a round trip each)."""
    first, _ = engines
    await append(first, "one")
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            statements.append(statement)

    event.listen(first.sync_engine, "before_cursor_execute", count)
    try:
        await append(first, "two", "three")
    finally:
        event.remove(first.sync_engine, "before_cursor_execute", count)
    assert len(statements) == (1 if first.dialect.name == "postgresql" else 2), statements
    assert await notes_in_order(first) == [(1, "one"), (2, "two"), (3, "three")]
    assert (await verify(first)).ok
