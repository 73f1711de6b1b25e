"""The inbox claims a batch's message ids in one statement, on SQLite and PostgreSQL: new ids
are reported new exactly once however two replicas' batches overlap, ids processed before
come back with the digest they were processed with, and a released claim is new again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from silta_messaging.inbox import Claim, Claimed, Inbox
from silta_messaging.tables import add_messaging_tables
from sqlalchemy import MetaData, event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.conftest import two_replicas

metadata = MetaData()
INBOX_TABLE = add_messaging_tables(metadata).inbox
INBOX = Inbox(INBOX_TABLE)


def claims(*ids: str, digest: str = "d") -> list[Claim]:
    return [Claim(message_id, "status_acknowledgement", digest) for message_id in ids]


@pytest.fixture
async def replicas(database_url: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """Two engines on one database: two replicas of a consumer."""
    async with two_replicas(database_url, metadata) as pair:
        yield pair


async def claim(engine: AsyncEngine, batch: Sequence[Claim], hold: float = 0.0) -> Claimed:
    """Claim ``batch`` in a transaction held open ``hold`` seconds before it commits."""
    async with engine.begin() as conn:
        claimed = await INBOX.claim(conn, batch, datetime.now(UTC))
        await asyncio.sleep(hold)
        return claimed


async def test_new_ids_are_claimed_and_ids_seen_before_return_their_digest(
    replicas: tuple[AsyncEngine, AsyncEngine],
) -> None:
    engine, _ = replicas
    first = await claim(engine, claims("m-1", "m-2", digest="first"))
    assert first.new == {"m-1", "m-2"}
    assert first.seen == {}
    again = await claim(engine, [*claims("m-2", digest="other"), *claims("m-3")])
    assert again.new == {"m-3"}
    assert again.seen == {"m-2": "first"}  # the digest it was processed with


async def test_overlapping_batches_of_two_replicas_claim_each_id_once(
    replicas: tuple[AsyncEngine, AsyncEngine],
) -> None:
    """The batches arrive in opposite orders and overlap; each transaction is held open a
    moment, so on PostgreSQL the second waits for the first's rows. Neither deadlocks, and
    every id is new to exactly one of them."""
    first, second = replicas
    ids = [f"m-{n:02d}" for n in range(20)]
    one = claim(first, claims(*ids[:14]), hold=0.2)
    other = claim(second, claims(*reversed(ids[6:])), hold=0.2)
    a, b = await asyncio.wait_for(asyncio.gather(one, other), timeout=30)
    assert a.new.isdisjoint(b.new)
    assert a.new | b.new == set(ids)
    assert set(a.seen) | set(b.seen) == set(ids[6:14])
    async with first.connect() as conn:
        count = await conn.scalar(select(func.count()).select_from(INBOX_TABLE))
    assert count == len(ids)


async def test_a_released_claim_is_new_again(replicas: tuple[AsyncEngine, AsyncEngine]) -> None:
    engine, _ = replicas
    async with engine.begin() as conn:
        claimed = await INBOX.claim(conn, claims("parked", "kept"), datetime.now(UTC))
        await INBOX.release(conn, ["parked"])
    assert claimed.new == {"parked", "kept"}
    again = await claim(engine, claims("parked", "kept"))
    assert again.new == {"parked"}
    assert set(again.seen) == {"kept"}


async def test_a_batch_of_new_ids_is_claimed_in_one_statement(
    replicas: tuple[AsyncEngine, AsyncEngine],
) -> None:
    """One round trip on PostgreSQL, where looking the ids up and inserting them took two."""
    engine, _ = replicas
    statements: list[str] = []

    def count(*args: Any) -> None:
        if INBOX_TABLE.name in args[2]:  # not SQLite's BEGIN IMMEDIATE
            statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        await claim(engine, claims("n-1", "n-2", "n-3"))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements
