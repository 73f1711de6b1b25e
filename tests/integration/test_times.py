"""Times keep their instant on both databases: what a POST answers, a GET answers too.

SQLite has no time zone type; a local time used to be stored as its wall clock and read back
as UTC, so a deadline of 23:59:59+02:00 came back as 23:59:59Z and turned overdue two hours
late. These run on SQLite and PostgreSQL (the ``database_url`` fixtures).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import httpx
import pytest
from aio_pika.abc import AbstractChannel
from silta_messaging.timestamps import UtcDateTime
from silta_platform.db import create_engine
from silta_schemas import examples
from sqlalchemy import Column, Integer, MetaData, Table, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import StatementError

from tests.integration.conftest import eventually
from tests.integration.test_municipality_side import deliver, in_inbox
from tests.integration.test_statements_kela_side import publish, search, statement

HELSINKI_WINTER = timezone(timedelta(hours=2))
END_OF_DAY = time(23, 59, 59, 999999)
metadata = MetaData()
moments = Table(
    "moments", metadata, Column("n", Integer, primary_key=True), Column("at", UtcDateTime())
)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def in_finland(text: str) -> time:
    """The wall-clock time in Finland of the instant ``text``."""
    return instant(text).astimezone(ZoneInfo("Europe/Helsinki")).time()


async def test_a_stored_time_reads_back_as_the_same_instant(database_url: str) -> None:
    engine = create_engine(database_url)
    local = datetime(2026, 3, 3, 23, 59, 59, 999999, tzinfo=HELSINKI_WINTER)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(moments.insert().values(n=1, at=local))
        async with engine.connect() as conn:
            stored = await conn.scalar(select(moments.c.at))
            # Compared with a UTC bound, as the overdue queries compare due_at with now.
            before = await conn.scalar(
                select(moments.c.n).where(moments.c.at < datetime(2026, 3, 3, 22, 0, tzinfo=UTC))
            )
        assert stored == local
        assert stored is not None
        assert stored.utcoffset() == timedelta(0)
        assert before == 1  # 21:59:59.999999Z is before 22:00Z (as wall clock it was not)

        with pytest.raises(StatementError, match="naive datetime"):
            async with engine.begin() as conn:
                await conn.execute(moments.insert().values(n=2, at=datetime(2026, 3, 3, 12)))
    finally:
        await engine.dispose()


async def test_sqlite_stores_the_text_sqlalchemys_datetime_writes(sqlite_url: str) -> None:
    """Rows written before and after the one-step conversion compare and sort alike: the
    stored text is, byte for byte, what SQLAlchemy's SQLite ``DATETIME`` writes for the UTC
    wall clock."""
    engine = create_engine(sqlite_url)
    written = [
        datetime(2026, 3, 3, 23, 59, 59, 999999, tzinfo=HELSINKI_WINTER),
        datetime(2026, 7, 1, 0, 0, tzinfo=ZoneInfo("Europe/Helsinki")),  # no microseconds
        datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),  # a year of three digits
    ]
    sqlalchemy_writes = sqlite.DATETIME().bind_processor(engine.dialect)
    assert sqlalchemy_writes is not None
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            for n, at in enumerate(written):
                await conn.execute(moments.insert().values(n=n, at=at))
        async with engine.connect() as conn:
            stored = (await conn.execute(text("SELECT at FROM moments ORDER BY n"))).scalars()
            texts = list(stored)
        expected = [sqlalchemy_writes(at.astimezone(UTC).replace(tzinfo=None)) for at in written]
        assert texts == expected
        assert texts[1] == "2026-06-30 21:00:00.000000"
    finally:
        await engine.dispose()


async def test_kela_answers_the_same_deadline_to_a_post_and_a_get(kela: httpx.AsyncClient) -> None:
    created = await kela.post("/v1/referrals", json=examples.NOTICE_OF_NEED_EXAMPLE)
    assert created.status_code == 201, created.text
    posted = created.json()
    read = (await kela.get(f"/v1/referrals/{posted['id']}")).json()
    listed = (await kela.get("/v1/referrals")).json()["items"][0]

    assert instant(read["due_at"]) == instant(posted["due_at"])
    assert instant(listed["due_at"]) == instant(posted["due_at"])
    assert instant(read["created_at"]) == instant(posted["created_at"])
    assert in_finland(read["due_at"]) == END_OF_DAY  # deadlines end at midnight in Finland
    assert read["overdue"] is False


async def test_the_countys_deadline_ends_at_midnight_in_finland(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    referral_id = await deliver(bus)
    seen = await eventually(lambda: in_inbox(municipality, referral_id))
    listed = (await municipality.get("/v1/referrals")).json()["items"][0]

    assert in_finland(seen["due_at"]) == END_OF_DAY
    assert instant(listed["due_at"]) == instant(seen["due_at"])
    assert seen["overdue"] is False


async def test_the_county_answers_the_same_made_at_to_a_post_and_a_get(
    municipality: httpx.AsyncClient,
) -> None:
    body = copy.deepcopy(examples.STATEMENT_REQUEST_EXAMPLE) | {
        "made_at": "2026-03-03T14:00:00+02:00"
    }
    created = await municipality.post("/v1/statements", json=body)
    assert created.status_code == 201, created.text
    read = (await municipality.get(f"/v1/statements/{created.json()['id']}")).json()

    assert instant(read["statement"]["made_at"]) == datetime(2026, 3, 3, 12, tzinfo=UTC)
    assert instant(read["sent_at"]) == instant(created.json()["sent_at"])


async def test_kela_keeps_the_instant_of_a_statement_it_received(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    sent = statement(made_at="2026-03-03T14:00:00+02:00")
    await publish(bus, sent, county="11", referral_id=None)
    identity_code = sent.client.identity_code

    async def arrived() -> list[dict[str, object]]:
        return await search(kela, identity_code)

    items = await eventually(arrived)
    assert instant(str(items[0]["made_at"])) == datetime(2026, 3, 3, 12, tzinfo=UTC)
