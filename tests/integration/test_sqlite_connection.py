"""The embedded database's connection: statements on the loop's thread, the loop never held up
by another process's write lock, and the WAL checkpointed off the loop."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from silta_platform import sqlite_connection
from silta_platform.db import create_engine
from silta_protection import encryption
from sqlalchemy import Column, Integer, LargeBinary, MetaData, Table, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

metadata = MetaData()
rows = Table("rows", metadata, Column("n", Integer, primary_key=True), Column("blob", LargeBinary))


def _file_url(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "inline.db"
    return f"sqlite+aiosqlite:///{path}", path


async def _ticks_while(work: asyncio.Future[object], every: float = 0.005) -> int:
    """How often a coroutine ran on the loop until ``work`` finished."""
    ticks = 0
    while not work.done():
        await asyncio.sleep(every)
        ticks += 1
    return ticks


def _note_thread(threads: set[int]) -> int:
    threads.add(threading.get_ident())
    return 1


async def test_statements_and_commits_run_on_the_event_loops_thread(tmp_path: Path) -> None:
    url, _ = _file_url(tmp_path)
    engine = create_engine(url)
    threads: set[int] = set()
    try:
        async with engine.begin() as conn:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await driver.create_function("where_am_i", 0, lambda: _note_thread(threads))
            await conn.run_sync(metadata.create_all)
            await conn.execute(select(func.where_am_i()))
            await conn.execute(rows.insert().values(n=1))
        assert threads == {threading.get_ident()}
        async with engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(rows)) == 1
    finally:
        await engine.dispose()


async def test_another_processs_write_lock_does_not_hold_up_the_loop(tmp_path: Path) -> None:
    url, path = _file_url(tmp_path)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        other = sqlite3.connect(path, isolation_level=None)  # an operator's command, say
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO rows (n) VALUES (1)")

        async def write() -> None:
            async with engine.begin() as conn:
                await conn.execute(rows.insert().values(n=2))

        writing = asyncio.ensure_future(write())
        ticking = asyncio.ensure_future(_ticks_while(writing))
        await asyncio.sleep(0.3)
        assert not writing.done()  # it waits for the lock...
        other.execute("COMMIT")  # ...until the other process lets go
        other.close()
        await asyncio.wait_for(writing, 5)
        assert await ticking >= 30  # the loop kept running the whole time (every 5 ms)
        async with engine.connect() as conn:
            stored = (await conn.execute(select(rows.c.n).order_by(rows.c.n))).scalars().all()
        assert stored == [1, 2]
    finally:
        await engine.dispose()


async def test_a_lock_held_too_long_fails_the_statement_after_the_timeout(tmp_path: Path) -> None:
    url, path = _file_url(tmp_path)
    engine = create_engine(url, connect_args={"timeout": 0.3})
    other = sqlite3.connect(path, isolation_level=None)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        other.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        with pytest.raises(OperationalError, match="locked"):
            async with engine.begin() as conn:
                await conn.execute(rows.insert().values(n=1))
        assert 0.3 <= time.monotonic() - started < 3
        other.execute("ROLLBACK")
        async with engine.begin() as conn:  # the connection is still good afterwards
            await conn.execute(rows.insert().values(n=1))
    finally:
        other.close()
        await engine.dispose()


async def _checkpointer(engine: AsyncEngine) -> sqlite_connection.WalCheckpointer:
    """The checkpointer of ``engine``'s one connection."""
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        checkpointer = raw.driver_connection.checkpointer
    assert isinstance(checkpointer, sqlite_connection.WalCheckpointer)
    return checkpointer


async def test_the_wal_is_checkpointed_after_it_passes_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_connection, "CHECKPOINT_BYTES", 256 * 1024)
    url, path = _file_url(tmp_path)
    wal = Path(f"{path}-wal")
    engine = create_engine(url)
    sizes: list[int] = []
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        checkpointer = await _checkpointer(engine)
        for n in range(40):
            async with engine.begin() as conn:
                await conn.execute(rows.insert().values(n=n, blob=os.urandom(20_000)))
            sizes.append(wal.stat().st_size)
            await checkpointer.settled()  # as a steady load would leave it time to
        # Without checkpoints the WAL would hold all 800 KB; it is restarted after each
        # checkpoint, so it never grows far past the threshold.
        assert max(sizes) < 256 * 1024 + 64 * 1024
        assert min(sizes[5:]) < 128 * 1024
        async with engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(rows)) == 40
            assert await conn.scalar(text("PRAGMA wal_autocheckpoint")) == 0
    finally:
        await engine.dispose()


@pytest.fixture
def slow_disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Automatic checkpoints past 64 KB, each held at a gate as a slow disk would hold its
    ``fsync``: (gate, started). The gate opens when the test ends."""
    monkeypatch.setattr(sqlite_connection, "CHECKPOINT_BYTES", 64 * 1024)
    gate, started = threading.Event(), threading.Event()
    checkpoint = sqlite_connection._checkpoint

    def held(connection: sqlite3.Connection) -> None:
        started.set()
        gate.wait(30)
        checkpoint(connection)

    monkeypatch.setattr(sqlite_connection, "_checkpoint", held)
    yield gate, started
    gate.set()


async def _commit(engine: AsyncEngine, n: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(rows.insert().values(n=n, blob=os.urandom(20_000)))


async def _until_a_checkpoint_starts(engine: AsyncEngine, started: threading.Event) -> int:
    """Commits rows past the threshold until a checkpoint has started; how many."""
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    n = 0
    while not started.is_set():
        await _commit(engine, n)
        n += 1
        assert n < 50, "no checkpoint started"
    return n


async def test_a_checkpoint_does_not_hold_up_the_services_connection(
    tmp_path: Path, slow_disk: tuple[threading.Event, threading.Event]
) -> None:
    """A checkpoint waits for the disk (two fsync). Commits go on meanwhile, and once it
    ends the WAL is restarted."""
    gate, started = slow_disk
    url, path = _file_url(tmp_path)
    engine = create_engine(url)
    try:
        n = await _until_a_checkpoint_starts(engine, started)
        # With the checkpoint still at the gate, ten more commits go through.
        await asyncio.wait_for(asyncio.gather(*[_commit(engine, n + k) for k in range(10)]), 5)
        grown = Path(f"{path}-wal").stat().st_size
        gate.set()
        await (await _checkpointer(engine)).settled()
        await _commit(engine, n + 10)  # the first write after a whole checkpoint restarts it
        assert Path(f"{path}-wal").stat().st_size < grown
        async with engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(rows)) == n + 11
    finally:
        gate.set()
        await engine.dispose()


async def test_a_requested_checkpoint_waits_for_the_one_under_way_and_empties_the_wal(
    tmp_path: Path, slow_disk: tuple[threading.Event, threading.Event]
) -> None:
    """The maintenance pass's TRUNCATE checkpoint must empty the WAL, which holds the pages
    as they were before a purge; SQLite would answer it "busy" while the automatic one runs
    and leave the WAL as it was."""
    gate, started = slow_disk
    url, path = _file_url(tmp_path)
    engine = create_engine(url)
    try:
        await _until_a_checkpoint_starts(engine, started)
        requested = asyncio.ensure_future(encryption.checkpoint(engine))
        await asyncio.sleep(0.2)
        assert not requested.done()  # it waits for the automatic checkpoint
        gate.set()
        await asyncio.wait_for(requested, 10)
        assert Path(f"{path}-wal").stat().st_size == 0
    finally:
        gate.set()
        await engine.dispose()
