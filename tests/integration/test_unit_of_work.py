"""The unit of work: a change, its outbox messages and its access-log entries commit together
or not at all, and the relay is woken only after a commit that announced something."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from silta_messaging.incoming import Incoming, Rejection
from silta_messaging.outbox import OutboxEntry
from silta_messaging.tables import add_messaging_tables
from silta_platform.db import create_engine
from silta_platform.unit_of_work import Transactions, UnitOfWork, message_handlers
from silta_protection.access_log import Access, Actor, add_access_log, record_access
from silta_schemas.directory import DirectoryUpdate
from silta_schemas.envelope import ALL_COUNTIES, seal
from silta_schemas.errors import RuleRefused
from silta_schemas.parties import KELA
from sqlalchemy import Column, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

metadata = MetaData()
outbox = add_messaging_tables(metadata).outbox
notes = Table("notes", metadata, Column("id", String(36), primary_key=True))
access_log = add_access_log(metadata)
ACTOR = Actor(subject="worker-1", organisation="kela", role="kela_officer")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


def _transactions(engine: AsyncEngine) -> tuple[Transactions, list[bool]]:
    """Units of work on ``engine``, and the list each wake-up of the relay appends to."""
    woken: list[bool] = []
    transactions = Transactions(
        engine,
        outbox,
        lambda conn, accesses: record_access(conn, access_log, accesses),
        lambda: woken.append(True),
    )
    return transactions, woken


def _message() -> OutboxEntry:
    update = DirectoryUpdate(
        kind="directory_update", removed=(uuid4(),), changed_at=datetime.now(UTC)
    )
    envelope = seal(update, sender=KELA, recipient=ALL_COUNTIES, referral_id=None)
    return OutboxEntry(envelope, "silta.kela", "directory_update.all")


async def _counts(engine: AsyncEngine) -> tuple[int, int, int]:
    async with engine.connect() as conn:
        counts = [
            (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            for table in (notes, outbox, access_log.entries)
        ]
    return counts[0], counts[1], counts[2]


async def test_change_messages_and_accesses_commit_together_and_wake_the_relay(
    engine: AsyncEngine,
) -> None:
    transactions, woken = _transactions(engine)
    async with transactions.begin() as work:
        await work.conn.execute(notes.insert().values(id=str(uuid4())))
        work.announce(_message())
        work.account(Access(ACTOR, "create", "note", None, "key", "test"))
        assert woken == []  # never before the commit
    assert await _counts(engine) == (1, 1, 1)
    assert woken == [True]


async def test_a_failed_unit_of_work_leaves_nothing_and_wakes_nobody(engine: AsyncEngine) -> None:
    transactions, woken = _transactions(engine)

    async def refused_after_the_insert() -> None:
        async with transactions.begin() as work:
            await work.conn.execute(notes.insert().values(id=str(uuid4())))
            work.announce(_message())
            work.account(Access(ACTOR, "create", "note", None, "key", "test"))
            raise RuleRefused("note.refused", "a rule said no after the insert")

    with pytest.raises(RuleRefused):
        await refused_after_the_insert()
    assert await _counts(engine) == (0, 0, 0)
    assert woken == []


async def test_a_read_only_unit_of_work_does_not_wake_the_relay(engine: AsyncEngine) -> None:
    transactions, woken = _transactions(engine)
    async with transactions.begin() as work:
        work.account(Access(ACTOR, "read", "note", None, "key", "test"))
    assert await _counts(engine) == (0, 0, 1)  # the read is accounted for all the same
    assert woken == []


async def test_a_consumed_batch_asks_for_the_relay_only_when_it_announced(
    engine: AsyncEngine,
) -> None:
    """Kela's side consumes acknowledgements that send nothing: the consumer's commit must not
    wake the relay for them (an empty read of the outbox each time), but must for a batch
    whose handler announced a message."""
    transactions, _ = _transactions(engine)
    update = DirectoryUpdate(
        kind="directory_update", removed=(uuid4(),), changed_at=datetime.now(UTC)
    )
    incoming = Incoming(seal(update, sender=KELA, recipient=ALL_COUNTIES, referral_id=None), update)

    async def quiet(work: UnitOfWork, messages: Sequence[Incoming]) -> Mapping[UUID, Rejection]:
        await work.conn.execute(notes.insert().values(id=str(uuid4())))
        return {}

    async def answering(work: UnitOfWork, messages: Sequence[Incoming]) -> Mapping[UUID, Rejection]:
        work.announce(_message())
        return {}

    for handler, announces in ((quiet, False), (answering, True), (quiet, False)):
        handle = message_handlers(
            transactions, {"directory_update": handler}, unhandled_rule="unhandled"
        )
        async with engine.begin() as conn:
            assert await handle(conn, [incoming]) == {}
        assert transactions.take_announced() is announces
        assert transactions.take_announced() is False  # told once
    assert await _counts(engine) == (2, 1, 0)


async def test_a_view_sees_one_moment_and_accounts_for_its_reads_afterwards(
    engine: AsyncEngine, database_url: str
) -> None:
    """A view read in several statements never mixes two sides of a commit (on PostgreSQL's
    READ COMMITTED it did), and its accesses reach the access log once its reads are done."""
    transactions, woken = _transactions(engine)
    concurrent = database_url.startswith("postgresql")  # SQLite: the view holds the lock
    async with transactions.view() as work:
        first = (await work.conn.execute(select(func.count()).select_from(notes))).scalar_one()
        if concurrent:
            async with engine.begin() as other:  # a change committed between the two reads
                await other.execute(notes.insert().values(id=str(uuid4())))
        second = (await work.conn.execute(select(func.count()).select_from(notes))).scalar_one()
        work.account(Access(ACTOR, "read", "note", None, "key", "test"))
        if concurrent:  # (on SQLite the view holds the one connection)
            assert (await _counts(engine))[2] == 0  # not accounted before the reads are done
    assert second == first
    assert await _counts(engine) == (1 if concurrent else 0, 0, 1)
    assert woken == []


async def test_a_view_that_fails_accounts_for_nothing(engine: AsyncEngine) -> None:
    transactions, _ = _transactions(engine)

    async def not_found_after_a_read() -> None:
        async with transactions.view() as work:
            await work.conn.execute(select(notes))
            work.account(Access(ACTOR, "read", "note", None, "key", "test"))
            raise LookupError("nothing to answer")

    with pytest.raises(LookupError):
        await not_found_after_a_read()
    assert await _counts(engine) == (0, 0, 0)


async def test_a_view_may_not_announce_messages(engine: AsyncEngine) -> None:
    transactions, woken = _transactions(engine)

    async def announcing_view() -> None:
        async with transactions.view() as work:
            work.announce(_message())
            work.account(Access(ACTOR, "read", "note", None, "key", "test"))

    with pytest.raises(RuntimeError, match="announces no messages"):
        await announcing_view()
    assert await _counts(engine) == (0, 0, 0)
    assert woken == []
