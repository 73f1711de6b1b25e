"""Reads that take long (statistics over every referral, the metrics' counts) never stop a
SQLite service: its one connection runs statements on the event loop's thread, so they run
on read-only connections of their own, on worker threads (``silta_platform.db``)."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from kela_side.db.tables import message_log
from silta_harness import sqlite_url
from silta_platform.authorisation import Role, Side
from silta_platform.db import create_engine, long_read_engine
from silta_protection.encryption import checkpoint
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tests.integration.conftest import Both

SLOW_QUERY = text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :upto) "
    "SELECT count(*) FROM n"
)


@asynccontextmanager
async def loop_gaps() -> AsyncIterator[list[float]]:
    """The event loop's longest stalls while the block runs: a task that wakes every 2 ms
    records how long each wait really took."""
    gaps: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.002)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.01)
    try:
        yield gaps
    finally:
        done.set()
        await ticker


async def test_a_long_read_leaves_the_event_loop_running(tmp_path: Path) -> None:
    engine = create_engine(sqlite_url(tmp_path / "side.db"))
    reads = long_read_engine(engine)
    try:
        for through, stalls in ((engine, True), (reads, False)):
            async with loop_gaps() as gaps, through.connect() as conn:
                started = time.perf_counter()
                counted = await conn.scalar(SLOW_QUERY, {"upto": 1_500_000})
                took = time.perf_counter() - started
            assert counted == 1_500_000
            # On the service's connection the loop stands still for the whole read (the
            # control: the read is long enough to tell); on the long reads' it goes on.
            assert (max(gaps) > took * 0.8) is stalls, (through is engine, took, max(gaps))
    finally:
        await reads.dispose()
        await engine.dispose()


async def test_a_long_read_sees_one_snapshot_and_cannot_write(tmp_path: Path) -> None:
    engine = create_engine(sqlite_url(tmp_path / "side.db"))
    reads = long_read_engine(engine)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await conn.execute(text("INSERT INTO t VALUES (1)"))
        async with reads.connect() as reader:
            assert await reader.scalar(text("SELECT count(*) FROM t")) == 1
            async with engine.begin() as conn:  # the service writes meanwhile: not blocked
                await conn.execute(text("INSERT INTO t VALUES (2)"))
            assert await reader.scalar(text("SELECT count(*) FROM t")) == 1  # same moment
            with pytest.raises(OperationalError, match="readonly"):
                await reader.execute(text("INSERT INTO t VALUES (3)"))
        async with reads.connect() as reader:
            assert await reader.scalar(text("SELECT count(*) FROM t")) == 2
    finally:
        await reads.dispose()
        await engine.dispose()


async def test_where_a_second_connection_cannot_help_the_service_engine_reads() -> None:
    memory = create_engine("sqlite+aiosqlite:///:memory:")
    shared = create_engine("sqlite+aiosqlite:///file:side?mode=memory&cache=shared&uri=true")
    postgres = create_engine("postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    try:
        for in_memory in (memory, shared):  # a second connection would not see it
            assert long_read_engine(in_memory) is in_memory
        assert long_read_engine(postgres) is postgres  # asyncpg never holds up the loop
    finally:
        for engine in (memory, shared, postgres):
            await engine.dispose()


async def test_a_checkpoint_that_must_empty_the_wal_waits_for_a_long_read(tmp_path: Path) -> None:
    path = tmp_path / "side.db"
    engine = create_engine(sqlite_url(path))
    reads = long_read_engine(engine)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x TEXT)"))
        async with reads.connect() as reader:
            await reader.scalar(text("SELECT count(*) FROM t"))  # holds its snapshot
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES ('purged value')"))
            emptying = asyncio.create_task(checkpoint(engine))
            await asyncio.sleep(0.3)
            assert not emptying.done()  # SQLite answers busy while the read needs the WAL
        await asyncio.wait_for(emptying, 10)
        assert Path(f"{path}-wal").stat().st_size == 0
    finally:
        await reads.dispose()
        await engine.dispose()


REFERRALS = 100_000


def _fill_county(path: Path) -> int:
    """``REFERRALS`` delivered referrals at county 11 written straight into the county's
    tables, a tenth of them past their deadline; how many are overdue."""
    now = datetime.now(UTC).replace(tzinfo=None)
    rows, history = [], []
    for number in range(REFERRALS):
        referral_id = str(uuid.uuid4())
        due = now + timedelta(days=-1 if number % 10 == 0 else 5)
        message_id = str(uuid.uuid4())
        fields = ("notice_of_need", "11", "kela", "delivered", 1, "{}", message_id, now, now, due)
        rows.append((referral_id, *fields))
        history.append((referral_id, 1, "delivered", now, "kela"))
    with sqlite3.connect(path, timeout=30) as db:
        db.executemany(
            "INSERT INTO referrals (id, kind, county_code, sender, status, status_sequence, "
            "payload, message_id, received_at, updated_at, due_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.executemany(
            "INSERT INTO referral_status_history (referral_id, sequence, status, changed_at, "
            "changed_by) VALUES (?, ?, ?, ?, ?)",
            history,
        )
    return REFERRALS // 10


async def test_statistics_lists_and_metrics_over_many_referrals_leave_the_county_answering(
    scraped: Both, tmp_path: Path
) -> None:
    overdue = _fill_county(tmp_path / "municipality.db")
    gc.collect()  # the fill's garbage: a collection of it would stall the loop in the test
    operator = scraped.token(Side.MUNICIPALITY, Role.OPERATIONS)
    worker = scraped.token(Side.MUNICIPALITY, Role.COUNTY_SOCIAL_WORKER)

    async with loop_gaps() as gaps:
        started = time.perf_counter()
        answer = await scraped.municipality.get(
            "/v1/stats", params={"county": "11"}, headers=operator
        )
        took = time.perf_counter() - started
    assert answer.status_code == 200, answer.text
    [group] = answer.json()["groups"]
    assert group["total"]["value"] == REFERRALS
    # Before, the loop stood still for the whole read (every request and delivery with it).
    assert max(gaps) < took / 3, (took, max(gaps))

    # A page far down the inbox: SQLite sorts and skips 50,000 rows.
    async with loop_gaps() as gaps:
        started = time.perf_counter()
        page = {"offset": "50000"}
        answer = await scraped.municipality.get("/v1/referrals", params=page, headers=worker)
        took = time.perf_counter() - started
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["items"]) == 100
    assert max(gaps) < took / 3, (took, max(gaps))

    port = scraped.municipality.headers["x-metrics-port"]
    # The client is made first: setting up its TLS context alone stalls the loop a while.
    async with httpx.AsyncClient() as prometheus, loop_gaps() as gaps:
        started = time.perf_counter()
        scrape = await prometheus.get(f"http://127.0.0.1:{port}/metrics")
        took = time.perf_counter() - started
    assert f'silta_referrals_overdue{{county="11"}} {overdue:.1f}' in scrape.text
    assert max(gaps) < took / 3, (took, max(gaps))


ENTRIES = 20_000


async def _grow_message_log(url: str, referral_id: str) -> None:
    """``ENTRIES`` messages in Kela's message log, the first about ``referral_id``, written
    as the relay and the consumer append them (in another connection than the service's)."""
    engine = create_engine(url)
    try:
        for part in range(ENTRIES // 1000):
            contents = [
                {
                    "direction": "sent",
                    "message_id": str(uuid.uuid4()),
                    "kind": "notice_of_need",
                    "referral_id": referral_id if part == number == 0 else str(uuid.uuid4()),
                    "sender": "kela",
                    "recipient": "county-11",
                    "body_sha256": "0" * 64,
                    "statement": "{}",
                    "signature": "s" * 88,
                    "key_id": "kela-test",
                    "public_key": "p" * 44,
                }
                for number in range(1000)
            ]
            async with engine.begin() as conn:
                await message_log.chain.append(conn, contents)
    finally:
        await engine.dispose()


async def test_an_evidence_export_verifying_a_long_chain_leaves_kela_answering(
    scraped: Both, tmp_path: Path
) -> None:
    path = tmp_path / "kela.db"
    referral_id = str(uuid.uuid4())
    await _grow_message_log(sqlite_url(path), referral_id)
    gc.collect()  # the growth's garbage: a collection of it would stall the loop in the test
    operator = scraped.token(Side.KELA, Role.OPERATIONS)

    async with loop_gaps() as gaps:
        started = time.perf_counter()
        answer = await scraped.kela.get(f"/v1/ops/evidence/{referral_id}", headers=operator)
        took = time.perf_counter() - started
    assert answer.status_code == 200, answer.text
    assert answer.json()["chain"]["entries"] == ENTRIES
    assert answer.json()["chain"]["intact"]
    # The whole chain is verified: before, the loop stood still until it was done.
    assert max(gaps) < took / 3, (took, max(gaps))

    with sqlite3.connect(path) as db:  # past the first part the walk takes
        db.execute("UPDATE message_log SET statement = '{\"x\":1}' WHERE seq = 300")
    answer = await scraped.kela.get(f"/v1/ops/evidence/{referral_id}", headers=operator)
    assert not answer.json()["chain"]["intact"]
    engine = create_engine(sqlite_url(path))
    try:
        async with engine.connect() as conn:
            found = await message_log.chain.verify(conn)
    finally:
        await engine.dispose()
    assert found.entries == ENTRIES
    assert found.problems == ["entry 300: content does not match its hash"]
