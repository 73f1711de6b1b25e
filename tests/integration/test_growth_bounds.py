"""What keeps the cost flat as referrals pile up (the README's *Growth*): every statement the
hot path runs finds its rows by an index, never by scanning a table that grows, and retention
deletes what the outbox and the inbox no longer need."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from kela_side.db.tables import messaging
from silta_platform.authorisation import Role, Side
from silta_platform.runtime import Runtime
from silta_protection.retention import delete_published_outbox, forget_old_inbox
from sqlalchemy import Engine, event, func, select

from tests.integration.conftest import Both, eventually
from tests.integration.test_referral_batches import BATCH, entry, notice

GROWING = ("referrals", "referral_status_history", "silta_outbox", "silta_inbox")
"""The tables that grow with every referral (the access and message logs only append)."""
FULL_SCAN = re.compile(r"^SCAN (\w+)(?! USING INDEX ix_silta_outbox_pending)")
"""A plan step reading a whole table; the outbox's pending index holds only what waits."""
BY_STATUS_ALONE = re.compile(r"^SEARCH (\w+) USING (?:COVERING )?INDEX \w+ \(status=\?\)$")
"""A scan in disguise: referrals stay open for weeks, so the index of statuses leads to most
of the table (a batch's check for open referrals once took this path)."""
WALK = re.compile(r"^SEARCH (\w+)$")
"""A search by no key at all: SQLite walks the table from one end (``max(seq) WHERE at < ?``
walked the message log from its newest entry back to the cutoff, years of it)."""
MAINTENANCE = (
    "DELETE FROM silta_outbox WHERE silta_outbox.id IN (SELECT silta_outbox.id FROM "
    "silta_outbox WHERE silta_outbox.published_at IS NOT NULL LIMIT ? OFFSET ?)",
)
"""Not the hot path: the periodic maintenance pass (which may run while the test records)
deletes every published row (a chunk at a time), reading the outbox by design: it empties it."""


@pytest.fixture
def statements() -> Iterator[list[tuple[str, str, Any]]]:
    """Every statement the services run against SQLite meanwhile: (file, SQL, parameters)."""
    seen: list[tuple[str, str, Any]] = []

    def capture(conn: Any, cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        if conn.dialect.name == "sqlite" and conn.engine.url.database:
            seen.append((conn.engine.url.database, sql, parameters))

    event.listen(Engine, "before_cursor_execute", capture)
    yield seen
    event.remove(Engine, "before_cursor_execute", capture)


async def _send_and_deliver(both: Both) -> list[str]:
    officer = both.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)
    single = await both.kela.post("/v1/referrals", json=notice(50), headers=officer)
    batch = [entry(f"g-{serial}", notice(serial)) for serial in range(10)]
    answered = await both.kela.post(BATCH, json=batch, headers=officer)
    ids = [single.json()["id"], *(item["id"] for item in answered.json()["items"])]

    async def all_delivered() -> bool:
        for referral_id in ids:
            view = await both.kela.get(f"/v1/referrals/{referral_id}", headers=officer)
            if view.json()["status"] != "delivered":
                return False
        return True

    await eventually(all_delivered, timeout=30)
    return ids


async def test_the_hot_path_reads_every_growing_table_by_an_index(
    both: Both, statements: list[tuple[str, str, Any]]
) -> None:
    await _send_and_deliver(both)
    checked, scans = _unindexed(statements, GROWING)
    assert checked > 10
    assert scans == set()


def _unindexed(
    statements: list[tuple[str, str, Any]], growing: tuple[str, ...]
) -> tuple[int, set[str]]:
    """How many statements reading or changing a ``growing`` table were planned, and the
    plan steps among them that read one without a selective index."""
    scans = set()
    checked = 0
    for database, sql, parameters in statements:
        verb = sql.lstrip().split(None, 1)[0].upper()
        if verb not in ("SELECT", "UPDATE", "DELETE") or not any(t in sql for t in growing):
            continue
        if " ".join(sql.split()) in MAINTENANCE:
            continue
        first = parameters[0] if isinstance(parameters, list) and parameters else parameters
        with sqlite3.connect(database) as conn:
            plan = conn.execute(f"EXPLAIN QUERY PLAN {sql}", first or ()).fetchall()
        checked += 1
        for *_, detail in plan:
            match = FULL_SCAN.match(detail) or BY_STATUS_ALONE.match(detail) or WALK.match(detail)
            if match and match.group(1) in growing:
                scans.add(f"{detail}: {' '.join(sql.split())[:300]}")
    return checked, scans


async def test_retention_deletes_sent_messages_and_inbox_rows_past_the_replay_window(
    both: Both,
) -> None:
    await _send_and_deliver(both)
    kela: Runtime = both.kela_app.state.runtime
    county: Runtime = both.municipality_app.state.runtime
    outbox, inbox = messaging.outbox, messaging.inbox

    async def count(runtime: Runtime, query: Any) -> int:
        async with runtime.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    assert await count(kela, select(func.count()).select_from(outbox)) == 11
    assert await count(county, select(func.count()).select_from(inbox)) == 11
    assert await delete_published_outbox(kela.engine, outbox) == 11
    assert await count(kela, select(func.count()).select_from(outbox)) == 0
    # Within the window the inbox remembers every message; past it, none.
    assert await forget_old_inbox(county.engine, county.settings, inbox) == 0
    window = county.settings.message_max_age_seconds + county.settings.message_max_future_seconds
    later = datetime.now(UTC) + timedelta(seconds=window + 1)
    assert await forget_old_inbox(county.engine, county.settings, inbox, now=later) == 11
    assert await count(county, select(func.count()).select_from(inbox)) == 0


async def test_retention_deletes_a_backlog_a_chunk_at_a_time_and_the_loop_runs_between(
    sides: Both,
) -> None:
    """On SQLite and PostgreSQL alike."""
    county: Runtime = sides.municipality_app.state.runtime
    inbox = messaging.inbox
    long_ago = datetime.now(UTC) - timedelta(days=30)
    async with county.engine.begin() as conn:
        await conn.execute(
            inbox.insert(),
            [
                {"message_id": str(uuid4()), "kind": "notice_of_need", "received_at": long_ago}
                for _ in range(2_500)
            ],
        )
    ticks = 0
    ticks_at_each_delete: list[int] = []

    async def ticker() -> None:  # stands for the requests and deliveries that wait
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    def deleting(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if sql.startswith("DELETE FROM silta_inbox"):
            ticks_at_each_delete.append(ticks)

    sync_engine = county.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", deleting)
    running = asyncio.create_task(ticker())
    try:
        await asyncio.sleep(0)
        forgotten = await forget_old_inbox(county.engine, county.settings, inbox, chunk=1_000)
    finally:
        running.cancel()
        event.remove(sync_engine, "before_cursor_execute", deleting)
    assert forgotten == 2_500
    async with county.engine.connect() as conn:
        left = select(func.count()).select_from(inbox).where(inbox.c.received_at <= long_ago)
        assert (await conn.execute(left)).scalar_one() == 0
    # Three statements (1,000, 1,000 and 500 rows), each in its own transaction, and the loop
    # served what waited between them.
    assert len(ticks_at_each_delete) == 3
    first, second, third = ticks_at_each_delete
    assert first < second < third


async def test_the_maintenance_pass_reads_every_growing_table_by_an_index(
    both: Both, statements: list[tuple[str, str, Any]]
) -> None:
    """Every five minutes on the event loop: a pass that scanned the message log or the
    referrals took 85-127 ms at 100,000 referrals and would take seconds at millions."""
    await _send_and_deliver(both)
    statements.clear()
    for app in (both.kela_app, both.municipality_app):
        await app.state.runtime.maintain_once()

    checked, scans = _unindexed(statements, (*GROWING, "message_log", "access_log"))
    assert checked > 5
    assert scans == set()
