"""Group commit: concurrent writes share a transaction, each caller keeps its own outcome.

On both databases: the generic mechanism (``silta_platform.group_commit``) and Kela's
``submit_referral`` on it, whose duplicate and Idempotency-Key rules must not change.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Sequence
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from kela_side import service
from kela_side.settings import KelaSettings
from pydantic import TypeAdapter
from silta_platform.db import create_engine
from silta_platform.group_commit import GroupCommit
from silta_schemas import examples
from silta_schemas.identity import control_character
from silta_schemas.referrals import ReferralRequest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, exc, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.conftest import migrate
from tests.integration.conftest import KELA_MIGRATIONS

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(20), nullable=False, unique=True),
)


def identity_code(index: int) -> str:
    birth = date(1970, 1, 1) + timedelta(days=index)
    digits = f"{birth:%d%m%y}{900 + index % 100:03d}"
    return f"{digits[:6]}-{digits[6:]}{control_character(digits)}"


def notice(index: int, **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(examples.NOTICE_OF_NEED_EXAMPLE)
    body["client"]["identity_code"] = identity_code(index)
    body.update(changes)
    return body


def request(index: int, **changes: Any) -> ReferralRequest:
    return TypeAdapter(ReferralRequest).validate_python(notice(index, **changes))


def count_commits(engine: AsyncEngine) -> list[int]:
    commits = [0]

    def committed(_conn: Any) -> None:
        commits[0] += 1

    event.listen(engine.sync_engine, "commit", committed)
    return commits


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def write_things(conn: AsyncConnection, names: Sequence[str]) -> list[int | Exception]:
    """Refuses names starting with "bad" on its own; a repeated name breaks the group."""
    outcomes: list[int | Exception] = []
    good = [name for name in names if not name.startswith("bad")]
    if good:
        await conn.execute(things.insert(), [{"name": name} for name in good])
    ids = {
        row.name: row.id
        for row in await conn.execute(select(things.c.id, things.c.name))
        if row.name in good
    }
    for name in names:
        outcomes.append(ValueError(name) if name.startswith("bad") else ids[name])
    return outcomes


async def test_concurrent_writes_share_a_transaction_and_keep_their_own_outcomes(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    commits = count_commits(engine)
    group: GroupCommit[str, int] = GroupCommit(engine, write_things)

    outcomes = await asyncio.gather(
        *(group.submit(name) for name in ["a", "b", "bad-1", "c", "d"]), return_exceptions=True
    )

    assert [type(o) for o in outcomes] == [int, int, ValueError, int, int]
    assert len(set(outcomes)) == 5
    assert commits[0] == 1  # one transaction for all five callers
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(things)) == 4


async def test_a_group_that_fails_as_a_whole_is_written_one_by_one(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    group: GroupCommit[str, int] = GroupCommit(engine, write_things)

    outcomes = await asyncio.gather(
        *(group.submit(name) for name in ["a", "b", "a", "c"]), return_exceptions=True
    )

    assert isinstance(outcomes[0], int)
    assert isinstance(outcomes[1], int)
    assert isinstance(outcomes[2], exc.IntegrityError)  # only the repeat fails
    assert isinstance(outcomes[3], int)
    async with engine.connect() as conn:
        names = (await conn.execute(select(things.c.name).order_by(things.c.name))).scalars()
        assert list(names) == ["a", "b", "c"]


async def test_concurrent_referrals_one_group_each_duplicate_refused_alone(
    database_url: str, engine: AsyncEngine
) -> None:
    await migrate(KELA_MIGRATIONS, database_url)
    settings = KelaSettings(database_url=database_url)
    existing, _ = await service.submit_referral(engine, settings, request(100), None)
    commits = count_commits(engine)
    reason = "The client's situation changed after the first notice."

    outcomes = await asyncio.gather(
        service.submit_referral(engine, settings, request(1), None),
        service.submit_referral(engine, settings, request(2), None),
        service.submit_referral(engine, settings, request(100), None),  # open one stored
        service.submit_referral(engine, settings, request(3), None),
        service.submit_referral(engine, settings, request(3), None),  # same client, this group
        service.submit_referral(engine, settings, request(100, new_referral_reason=reason), None),
        service.submit_referral(engine, settings, request(4), None),
        return_exceptions=True,
    )

    assert commits[0] == 1
    created = [o for o in outcomes if isinstance(o, tuple)]
    assert len(created) == 5
    assert all(new for _, new in created)
    duplicate_of_stored, duplicate_in_group = outcomes[2], outcomes[4]
    assert isinstance(duplicate_of_stored, service.DuplicateReferral)
    assert duplicate_of_stored.existing_id == existing.id
    assert isinstance(duplicate_in_group, service.DuplicateReferral)
    first_of_client_3 = outcomes[3]
    assert isinstance(first_of_client_3, tuple)
    assert duplicate_in_group.existing_id == first_of_client_3[0].id


async def test_concurrent_posts_with_one_duplicate_get_exactly_one_409(
    kela: httpx.AsyncClient,
) -> None:
    bodies = [notice(index) for index in range(12)] + [notice(5, description="Again.")]

    responses = await asyncio.gather(*(kela.post("/v1/referrals", json=b) for b in bodies))

    codes = sorted(response.status_code for response in responses)
    assert codes == [201] * 12 + [409]
    [refused] = [r for r in responses if r.status_code == 409]
    [first] = [
        r
        for r, body in zip(responses, bodies, strict=True)
        if r.status_code == 201 and body["client"] == bodies[5]["client"]
    ]
    assert refused.json()["existing_referral"]["id"] == first.json()["id"]
    listed = (await kela.get("/v1/referrals", params={"limit": 100})).json()["items"]
    assert len(listed) == 12


async def test_concurrent_posts_with_the_same_idempotency_key_create_one_referral(
    kela: httpx.AsyncClient,
) -> None:
    headers = {"Idempotency-Key": "case-4711"}
    others = [kela.post("/v1/referrals", json=notice(index)) for index in range(1, 6)]
    same = [kela.post("/v1/referrals", json=notice(0), headers=headers) for _ in range(3)]

    responses = await asyncio.gather(*same, *others)

    keyed = responses[:3]
    assert sorted(r.status_code for r in keyed) == [200, 200, 201]
    assert len({r.json()["id"] for r in keyed}) == 1
    assert all(r.status_code == 201 for r in responses[3:])
    listed = (await kela.get("/v1/referrals", params={"limit": 100})).json()["items"]
    assert len(listed) == 6
