"""Retention of the records about a client besides referrals, on both sides and databases.

Kela names case-manager periods, opens cooperation cases and asks consultations, the county
answers and sends decision notices, all through the real services and broker. The records
that closed more than ``RETENTION_DAYS`` ago (their dates moved back with SQL, as time would)
are deleted by the purge on both sides, each deletion in the access log; what is still open,
or closed recently, stays and reads as before. The deleted content is gone from what the
database keeps: on SQLite from the database file and its WAL, byte by byte.
"""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from kela_side.db.tables import metadata as kela_metadata
from kela_side.protect import PROTECTED as KELA_PROTECTED
from kela_side.protect import RETENTION as KELA_RETENTION
from municipality_side.db.tables import metadata as municipality_metadata
from municipality_side.protect import RETENTION as MUNICIPALITY_RETENTION
from silta_platform.authorisation import Role, Side
from silta_protection.commands import run
from silta_protection.retention import apply_retention
from silta_records.cooperation.dates import finnish_today
from silta_schemas import cooperation_examples as ex
from silta_schemas import examples
from sqlalchemy import MetaData, Table, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.conftest import Both, eventually
from tests.integration.test_data_protection import all_tables, published, raw_dump, runtime_of
from tests.integration.test_sealed_at_rest import _at_rest

CODE = ex.EXAMPLE_IDENTITY_CODE
TODAY = finnish_today()
LONG_AGO = 400  # days: past the default RETENTION_DAYS (365)

# What each test record is, by its path; its table and key column on both sides.
PATHS = {
    "case_manager_periods": ("/v1/case-manager-periods", "id"),
    "cooperation_cases": ("/v1/cooperation-cases", "id"),
    "consultations": ("/v1/consultations", "consultation_id"),
    "decision_notices": ("/v1/decision-notices", "notice_id"),
}


async def _created(response: httpx.Response) -> str:
    assert response.status_code in (200, 201), response.text
    record_id: str = response.json()["id"]
    return record_id


async def _period(sides: Both, officer: dict[str, str], *, end: bool) -> str:
    body = copy.deepcopy(ex.CASE_MANAGER_PERIOD_REQUEST_EXAMPLE)
    # The one kept starts after the one ended today: a client's periods never overlap.
    starts_on = TODAY if end else TODAY + timedelta(days=1)
    body |= {"starts_on": str(starts_on), "ends_on": str(TODAY + timedelta(days=180))}
    period = await _created(
        await sides.kela.post("/v1/case-manager-periods", json=body, headers=officer)
    )
    if end:
        path = f"/v1/case-manager-periods/{period}/end"
        await _created(await sides.kela.post(path, json={}, headers=officer))
    return period


async def _case(sides: Both, officer: dict[str, str], *, close: bool) -> str:
    body = copy.deepcopy(ex.COOPERATION_CASE_REQUEST_EXAMPLE) | {"follow_up_on": str(TODAY)}
    case = await _created(
        await sides.kela.post("/v1/cooperation-cases", json=body, headers=officer)
    )
    if close:
        path = f"/v1/cooperation-cases/{case}/close"
        await _created(await sides.kela.post(path, headers=officer))
    return case


async def _consultation(sides: Both, officer: dict[str, str], worker: dict[str, str]) -> str:
    asked = await sides.kela.post(
        "/v1/consultations", json=copy.deepcopy(ex.CONSULTATION_REQUEST_EXAMPLE), headers=officer
    )
    return await _created(asked)


async def _on_both(sides: Both, table: str, record_id: str, status: int) -> bool:
    """The record answers ``status`` on both sides (a county's worker, Kela's officer)."""
    path, _ = PATHS[table]
    kela = sides.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)
    county = sides.token(Side.MUNICIPALITY, Role.COUNTY_SOCIAL_WORKER)
    if table == "decision_notices":  # Kela reads notices only by a client search
        found = await sides.kela.post(f"{path}/search", json={"identity_code": CODE}, headers=kela)
        at_kela = record_id in {item["id"] for item in found.json()["items"]}
        kela_status = 200 if at_kela else 404
    else:
        kela_status = (await sides.kela.get(f"{path}/{record_id}", headers=kela)).status_code
    county_status = (
        await sides.municipality.get(f"{path}/{record_id}", headers=county)
    ).status_code
    return (kela_status, county_status) == (status, status)


def _table(metadata: MetaData, name: str) -> tuple[Table, Any]:
    table = metadata.tables[name]
    (key,) = table.primary_key.columns
    return table, key


async def _age(
    engine: AsyncEngine, metadata: MetaData, name: str, record_id: str, **columns: Any
) -> None:
    """Move a record's dates back, as time would."""
    table, key = _table(metadata, name)
    async with engine.begin() as conn:
        await conn.execute(update(table).where(key == record_id).values(**columns))


async def _sealed(engine: AsyncEngine, metadata: MetaData, name: str, record_id: str) -> bytes:
    """A piece of the record's sealed content as stored."""
    table, key = _table(metadata, name)
    async with engine.connect() as conn:
        token = (await conn.execute(select(table.c.payload).where(key == record_id))).scalar_one()
    assert isinstance(token, str)
    assert token.startswith("silta:enc:v1:")
    return token[-40:].encode()


async def _purges(client: httpx.AsyncClient, headers: dict[str, str]) -> set[tuple[str, str]]:
    """The retention purges the side's access log shows for the client."""
    log = await client.post("/v1/access-log/search", json={"identity_code": CODE}, headers=headers)
    assert log.status_code == 200, log.text
    return {
        (entry["resource"], entry["resource_id"])
        for entry in log.json()["items"]
        if entry["action"] == "purge" and entry["subject"] == "silta-retention"
    }


async def test_closed_client_records_are_deleted_after_the_retention_period(
    sides: Both, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    officer = sides.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)
    worker = sides.token(Side.MUNICIPALITY, Role.COUNTY_SOCIAL_WORKER)
    old = {
        "case_manager_periods": await _period(sides, officer, end=True),
        "cooperation_cases": await _case(sides, officer, close=True),
        "consultations": await _consultation(sides, officer, worker),
    }
    expired = await _consultation(sides, officer, worker)
    kept = {
        "case_manager_periods": await _period(sides, officer, end=False),
        "cooperation_cases": await _case(sides, officer, close=False),
        "consultations": await _consultation(sides, officer, worker),
    }
    notice = copy.deepcopy(ex.DECISION_NOTICE_REQUEST_EXAMPLE)
    for records in (old, kept):
        sent = await sides.municipality.post("/v1/decision-notices", json=notice, headers=worker)
        records["decision_notices"] = await _created(sent)
    answer = copy.deepcopy(ex.CONSULTATION_ANSWER_REQUEST_EXAMPLE)

    async def arrived() -> bool:
        return all([await _on_both(sides, t, i, 200) for t, i in (old | kept).items()])

    await eventually(arrived)
    path = f"/v1/consultations/{old['consultations']}/answer"
    await _created(await sides.municipality.post(path, json=answer, headers=worker))

    async def answered_at_kela() -> bool:
        path = f"/v1/consultations/{old['consultations']}"
        view = await sides.kela.get(path, headers=officer)
        return bool(view.json()["status"] == "answered")

    await eventually(answered_at_kela)
    long_ago = datetime.now(UTC) - timedelta(days=LONG_AGO)
    day = TODAY - timedelta(days=LONG_AGO)
    county = runtime_of(sides.municipality)
    databases = [
        (runtime_of(sides.kela).engine, kela_metadata, database_url),
        (county.engine, municipality_metadata, county.settings.database_url),
    ]
    pieces: list[bytes] = []
    for engine, metadata, url in databases:
        await eventually(lambda engine=engine: published(engine))
        await _age(
            engine, metadata, "case_manager_periods", old["case_manager_periods"], ended_on=day
        )
        await _age(engine, metadata, "cooperation_cases", old["cooperation_cases"], closed_on=day)
        await _age(engine, metadata, "consultations", old["consultations"], answered_at=long_ago)
        await _age(engine, metadata, "consultations", expired, due_at=long_ago)
        await _age(
            engine, metadata, "decision_notices", old["decision_notices"], recorded_at=long_ago
        )
        mine = [await _sealed(engine, metadata, table, key) for table, key in old.items()]
        if engine.dialect.name == "sqlite":  # found in the file before the purge
            at_rest = await _at_rest(engine, url)
            assert [piece for piece in mine if piece not in at_rest] == []
        pieces += mine

    def purge_kela() -> int:
        settings = runtime_of(sides.kela).settings
        return run(["purge"], settings, KELA_PROTECTED, KELA_RETENTION, "kela")

    assert await asyncio.to_thread(purge_kela) == 0
    printed = capsys.readouterr().out
    for deleted in ("1 case_manager_periods", "1 cooperation_cases", "2 consultations"):
        assert f"{deleted} deleted" in printed
    assert "1 decision_notices deleted" in printed
    done = await apply_retention(county.engine, county.settings, MUNICIPALITY_RETENTION)
    assert [done[f"{table} deleted"] for table in PATHS] == [1, 1, 2, 1]

    for table, record_id in old.items():
        assert await _on_both(sides, table, record_id, 404), table
    for table, record_id in kept.items():
        assert await _on_both(sides, table, record_id, 200), table
    contact = sides.token(Side.KELA, Role.KELA_COOPERATION_CONTACT)
    lead = sides.token(Side.MUNICIPALITY, Role.COUNTY_UNIT_LEAD)
    expected = {(table.removesuffix("s"), key) for table, key in old.items()}
    expected.add(("consultation", expired))
    assert await _purges(sides.kela, contact) == expected
    assert await _purges(sides.municipality, lead) == expected

    # Nothing of the deleted content is left in what the databases keep.
    for engine, _, url in databases:
        dump = (await raw_dump(engine, await all_tables(engine))).encode()
        at_rest = await _at_rest(engine, url) if engine.dialect.name == "sqlite" else dump
        assert [piece for piece in pieces if piece in at_rest] == []
        assert b"silta:enc:v1:" in at_rest  # what is kept is still there, sealed
    again = await apply_retention(county.engine, county.settings, MUNICIPALITY_RETENTION)
    assert again["consultations deleted"] == again["decision_notices deleted"] == 0


async def test_statements_are_deleted_after_the_retention_period_on_both_sides(
    sides: Both,
) -> None:
    """A statement of social work is one document: ``RETENTION_DAYS`` after it was made it
    is deleted where it was sent and where it was received, each deletion in the access log."""
    worker = sides.token(Side.MUNICIPALITY, Role.COUNTY_SOCIAL_WORKER)
    officer = sides.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)
    made = []
    for _ in range(2):
        body = copy.deepcopy(examples.STATEMENT_REQUEST_EXAMPLE)
        body["client"]["identity_code"] = CODE
        body["made_at"] = datetime.now(UTC).isoformat()
        made.append(
            await _created(
                await sides.municipality.post("/v1/statements", json=body, headers=worker)
            )
        )
    old, kept = made

    async def status(statement_id: str) -> tuple[int, int]:
        path = f"/v1/statements/{statement_id}"
        at_kela = await sides.kela.get(path, headers=officer)
        at_county = await sides.municipality.get(path, headers=worker)
        return at_kela.status_code, at_county.status_code

    async def at_kela() -> bool:
        return [await status(statement_id) for statement_id in made] == [(200, 200)] * 2

    await eventually(at_kela)
    long_ago = datetime.now(UTC) - timedelta(days=LONG_AGO)
    for runtime, metadata, retention in (
        (runtime_of(sides.kela), kela_metadata, KELA_RETENTION),
        (runtime_of(sides.municipality), municipality_metadata, MUNICIPALITY_RETENTION),
    ):
        await _age(runtime.engine, metadata, "statements", old, made_at=long_ago)
        done = await apply_retention(runtime.engine, runtime.settings, retention)
        assert done["statements deleted"] == 1

    assert await status(old) == (404, 404)
    assert await status(kept) == (200, 200)
    contact = sides.token(Side.KELA, Role.KELA_COOPERATION_CONTACT)
    lead = sides.token(Side.MUNICIPALITY, Role.COUNTY_UNIT_LEAD)
    assert ("statement", old) in await _purges(sides.kela, contact)
    assert ("statement", old) in await _purges(sides.municipality, lead)
    assert ("statement", kept) not in await _purges(sides.kela, contact)
