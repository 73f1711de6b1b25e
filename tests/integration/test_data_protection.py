"""Personal data at rest and the access log, on both databases with the real broker.

Identity codes are stored encrypted (read back with raw SQL: no code in clear anywhere),
decrypted where they are read for their purpose, re-encrypted under a new key; the content of
closed referrals is purged after the retention period; every read and write of personal data
is in the hash-chained access log, whose tampering is detected.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import os
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from aio_pika.abc import AbstractChannel
from kela_side.db.tables import REFERRAL_PAYLOAD as KELA_REFERRAL_PAYLOAD
from kela_side.db.tables import access_log as kela_log
from kela_side.db.tables import messaging
from kela_side.db.tables import referrals as kela_referrals
from kela_side.protect import PROTECTED as KELA_PROTECTED
from kela_side.protect import RETENTION as KELA_RETENTION
from kela_side.settings import KelaSettings
from municipality_side.db.tables import access_log as municipality_log
from municipality_side.db.tables import metadata as municipality_metadata
from municipality_side.db.tables import referrals as municipality_referrals
from municipality_side.protect import RETENTION as MUNICIPALITY_RETENTION
from pydantic import SecretStr
from silta_messaging.topology import COUNTY_EXCHANGE, KELA_EXCHANGE
from silta_platform.runtime import Runtime
from silta_platform.settings import DEVELOPMENT_DATA_KEY
from silta_protection.access_log import verify
from silta_protection.commands import run
from silta_protection.encryption import cipher_of, is_token, outbox_seal, reencrypt
from silta_protection.retention import purge_expired
from silta_schemas import examples
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.conftest import eventually, tap
from tests.integration.test_kela_side import acknowledge
from tests.integration.test_municipality_side import deliver, in_inbox
from tests.integration.test_statements_kela_side import publish, statement

NOTICE = examples.NOTICE_OF_NEED_EXAMPLE
CODE = NOTICE["client"]["identity_code"]


def runtime_of(client: httpx.AsyncClient) -> Runtime:
    runtime: Runtime = client._transport.app.state.runtime  # type: ignore[attr-defined]
    return runtime


async def raw_dump(engine: AsyncEngine, tables: list[str]) -> str:
    """Every row of ``tables`` as the database returns it to plain SQL."""
    parts = []
    async with engine.connect() as conn:
        for name in tables:
            rows = (await conn.execute(text(f'SELECT * FROM "{name}"'))).all()  # noqa: S608
            parts.extend(repr(tuple(row)) for row in rows)
    return "\n".join(parts)


async def all_tables(engine: AsyncEngine) -> list[str]:
    def names(sync_conn: Any) -> list[str]:
        from sqlalchemy import inspect

        return [n for n in inspect(sync_conn).get_table_names() if n != "alembic_version"]

    async with engine.connect() as conn:
        return await conn.run_sync(names)


async def published(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        pending = (
            await conn.execute(text("SELECT count(*) FROM silta_outbox WHERE published_at IS NULL"))
        ).scalar_one()
    return pending == 0


async def test_kela_stores_identity_codes_encrypted_and_reads_them_back(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    engine = runtime_of(kela).engine
    await tap(bus, KELA_EXCHANGE, "#")  # someone takes what Kela sends
    created = await kela.post("/v1/referrals", json=NOTICE)
    assert created.status_code == 201
    sent = statement()
    await publish(bus, sent, county="11", referral_id=None)

    async def found() -> list[dict[str, Any]]:
        response = await kela.post("/v1/statements/search", json={"identity_code": CODE})
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    items = await eventually(found)
    assert items[0]["statement"]["client"]["identity_code"] == CODE  # decrypted for the officer
    one = await kela.get(f"/v1/statements/{sent.statement_id}")
    assert one.json()["statement"]["client"]["identity_code"] == CODE

    await eventually(lambda: published(engine))  # confirmed: the relay emptied the body
    dump = await raw_dump(engine, await all_tables(engine))
    assert "silta:enc:v1:dev:" in dump
    assert CODE not in dump
    assert CODE.replace("-", "") not in dump


async def test_the_county_stores_identity_codes_encrypted_and_shows_the_notice(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    engine = runtime_of(municipality).engine
    await tap(bus, COUNTY_EXCHANGE, "#")  # Kela takes what the county sends
    referral_id = await deliver(bus)
    view = await eventually(lambda: in_inbox(municipality, referral_id))
    assert view["referral"]["client"]["identity_code"] == CODE
    body = copy.deepcopy(examples.STATEMENT_REQUEST_EXAMPLE)
    body["referral_id"] = str(referral_id)
    sent = await municipality.post("/v1/statements", json=body)
    assert sent.status_code == 201
    shown = await municipality.get(f"/v1/statements/{sent.json()['id']}")
    assert shown.json()["statement"]["client"]["identity_code"] == body["client"]["identity_code"]

    await eventually(lambda: published(engine))  # confirmed: the relay emptied the body
    dump = await raw_dump(engine, [t.name for t in municipality_metadata.sorted_tables])
    assert CODE not in dump
    assert body["client"]["identity_code"] not in dump
    async with engine.connect() as conn:
        key = (
            await conn.execute(
                text("SELECT client_key FROM referrals WHERE id = :id"), {"id": str(referral_id)}
            )
        ).scalar_one()
    assert key is not None
    assert len(key) == 64


async def test_reencrypt_moves_every_value_to_the_current_key(
    kela: httpx.AsyncClient, database_url: str
) -> None:
    engine = runtime_of(kela).engine
    first = (await kela.post("/v1/referrals", json=NOTICE)).json()["id"]
    other = copy.deepcopy(NOTICE)
    other["client"]["identity_code"] = "010101-123N"
    second = (await kela.post("/v1/referrals", json=other)).json()["id"]
    async with engine.begin() as conn:  # a row stored before sealing existed
        await conn.execute(
            update(kela_referrals).where(kela_referrals.c.id == second).values(payload=other)
        )

    new_key = base64.b64encode(os.urandom(32)).decode()
    rotated = KelaSettings(
        database_url=database_url,
        data_keys={"dev": SecretStr(DEVELOPMENT_DATA_KEY), "2027-01": SecretStr(new_key)},
        data_key_current="2027-01",
    )
    changed = await reencrypt(engine, rotated, KELA_PROTECTED)
    # Nobody takes what Kela sends here: both messages wait in the outbox, sealed.
    assert changed == {name: 0 for name in KELA_PROTECTED} | {"referrals": 2, "outbox": 2}
    again = await reencrypt(engine, rotated, KELA_PROTECTED)
    assert again == {name: 0 for name in KELA_PROTECTED}

    only_new = KelaSettings(
        database_url=database_url,
        data_keys={"2027-01": SecretStr(new_key)},
        data_key_current="2027-01",
    )
    cipher = cipher_of(only_new)
    async with engine.connect() as conn:
        rows = {
            row.id: row.payload
            for row in await conn.execute(
                kela_referrals.select().with_only_columns(
                    kela_referrals.c.id, kela_referrals.c.payload
                )
            )
        }
    for referral_id, expected in ((first, CODE), (second, "010101-123N")):
        token = rows[referral_id]
        assert is_token(token)  # the whole referral sealed
        assert expected not in token
        assert token.startswith("silta:enc:v1:2027-01:")
        opened = KELA_REFERRAL_PAYLOAD.open(cipher, rows[referral_id], referral_id)
        assert opened is not None
        assert opened["client"]["identity_code"] == expected
    seal = outbox_seal(only_new, messaging.outbox)  # the relay still opens what waits
    async with engine.connect() as conn:
        waiting = (
            await conn.execute(select(messaging.outbox.c.message_id, messaging.outbox.c.body))
        ).all()
    assert len(waiting) == 2
    for message_id, body in waiting:
        assert bytes(body).startswith(b"silta:enc:v1:2027-01:")
        assert b"referral" in seal.open(bytes(body), message_id)


async def _close_and_age(engine: AsyncEngine, table: Any, referral_id: UUID, days: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(table)
            .where(table.c.id == str(referral_id))
            .values(updated_at=datetime.now(UTC) - timedelta(days=days))
        )


async def test_kela_purges_closed_referrals_after_the_retention_period(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    runtime = runtime_of(kela)
    closed = UUID((await kela.post("/v1/referrals", json=NOTICE)).json()["id"])
    other = copy.deepcopy(NOTICE)
    other["client"]["identity_code"] = "010101-123N"
    still_open = UUID((await kela.post("/v1/referrals", json=other)).json()["id"])
    await acknowledge(bus, closed, 1, "delivered")
    await acknowledge(bus, closed, 2, "rejected", reason="Not ours to handle.")

    async def rejected() -> bool:
        return bool((await kela.get(f"/v1/referrals/{closed}")).json()["status"] == "rejected")

    await eventually(rejected)
    assert await purge_expired(runtime.engine, runtime.settings, KELA_RETENTION) == 0
    await _close_and_age(runtime.engine, kela_referrals, closed, 366)
    await _close_and_age(runtime.engine, kela_referrals, still_open, 400)
    assert await purge_expired(runtime.engine, runtime.settings, KELA_RETENTION) == 1

    view = (await kela.get(f"/v1/referrals/{closed}")).json()
    assert view["purged_at"] is not None
    assert [change["status"] for change in view["history"]] == ["sent", "delivered", "rejected"]
    assert (await kela.get(f"/v1/referrals/{still_open}")).json()["purged_at"] is None
    async with runtime.engine.connect() as conn:
        payloads = {
            row.id: row.payload
            for row in await conn.execute(text("SELECT id, payload FROM referrals"))
        }
    assert payloads[str(closed)] in (None, "null")  # JSON null
    assert payloads[str(still_open)] not in (None, "null")


async def test_the_county_shows_a_purged_referral_without_its_content(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    runtime = runtime_of(municipality)
    referral_id = await deliver(bus)
    await eventually(lambda: in_inbox(municipality, referral_id))
    rejected = await municipality.post(
        f"/v1/referrals/{referral_id}/status",
        json={"status": "rejected", "reason": "Not ours to handle."},
    )
    assert rejected.status_code == 200
    await _close_and_age(runtime.engine, municipality_referrals, referral_id, 366)
    assert await purge_expired(runtime.engine, runtime.settings, MUNICIPALITY_RETENTION) == 1

    view = (await municipality.get(f"/v1/referrals/{referral_id}")).json()
    assert view["referral"] is None
    assert view["purged_at"] is not None
    assert view["status"] == "rejected"
    assert CODE not in await raw_dump(runtime.engine, ["referrals"])


async def _log(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT * FROM access_log ORDER BY seq"))
        return [dict(row._mapping) for row in rows]


async def test_the_county_logs_who_handled_a_client_and_answers_the_clients_request(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    runtime = runtime_of(municipality)
    referral_id = await deliver(bus)
    await eventually(lambda: in_inbox(municipality, referral_id))  # a read, logged
    await municipality.post(f"/v1/referrals/{referral_id}/status", json={"status": "accepted"})

    response = await municipality.post("/v1/access-log/search", json={"identity_code": CODE})
    assert response.status_code == 200
    items = response.json()["items"]
    actions = [(item["action"], item["channel"]) for item in reversed(items)]
    assert actions[0] == ("create", "bus")
    assert ("read", "http") in actions
    assert ("update", "http") in actions
    assert items[-1]["organisation"] == "kela"  # the bus: the service on Kela's behalf
    assert items[-1]["subject"] == "silta-municipality-side"
    assert {item["resource_id"] for item in items} == {str(referral_id)}
    by_http = [item for item in items if item["channel"] == "http"]
    # who the bearer token says: its subject, organisation and roles
    assert {(item["organisation"], item["role"]) for item in by_http} == {
        ("county-11", "county_social_worker,county_unit_lead")
    }
    assert all(item["subject"] not in ("", "unauthenticated") for item in by_http)

    # the request itself is logged, and nothing in the log holds the code
    entries = await _log(runtime.engine)
    assert entries[-1]["action"] == "access_request"
    assert CODE not in repr(entries)
    other = await municipality.post("/v1/access-log/search", json={"identity_code": "010101-123N"})
    assert other.json()["items"] == []
    assert (await verify(runtime.engine, municipality_log)).ok


async def test_an_edited_or_deleted_entry_breaks_the_chain(
    kela: httpx.AsyncClient, database_url: str
) -> None:
    engine = runtime_of(kela).engine
    created = (await kela.post("/v1/referrals", json=NOTICE)).json()
    for _ in range(4):
        await kela.get(f"/v1/referrals/{created['id']}")
    result = await verify(engine, kela_log)
    assert result.ok
    assert result.entries == 5
    settings = KelaSettings(database_url=database_url)

    def command() -> int:
        return run(["verify-access-log"], settings, KELA_PROTECTED, KELA_RETENTION, "kela")

    assert await asyncio.to_thread(command) == 0

    async with engine.connect() as conn:
        original = (
            await conn.execute(text("SELECT subject FROM access_log WHERE seq = 2"))
        ).scalar_one()
    async with engine.begin() as conn:  # edit a field
        await conn.execute(text("UPDATE access_log SET subject = 'someone-else' WHERE seq = 2"))
    result = await verify(engine, kela_log)
    assert result.problems == ["entry 2: content does not match its hash"]
    assert await asyncio.to_thread(command) == 1

    async with engine.begin() as conn:  # put it back, then delete a middle entry
        await conn.execute(
            text("UPDATE access_log SET subject = :subject WHERE seq = 2"), {"subject": original}
        )
    assert (await verify(engine, kela_log)).ok
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM access_log WHERE seq = 3"))
    problems = (await verify(engine, kela_log)).problems
    assert problems == [
        "entry 4: entries 3..3 are missing",
        "entry 4: does not follow the entry before it",
    ]

    async with engine.begin() as conn:  # delete the newest entry too
        await conn.execute(text("DELETE FROM access_log WHERE seq = 5"))
    assert any("the head names entry 5" in p for p in (await verify(engine, kela_log)).problems)


async def test_the_chain_stays_linear_under_concurrent_writers(kela: httpx.AsyncClient) -> None:
    engine = runtime_of(kela).engine
    first = (await kela.post("/v1/referrals", json=NOTICE)).json()["id"]

    async def post(n: int) -> int:
        body = copy.deepcopy(NOTICE)
        body["new_referral_reason"] = f"Another situation, number {n}."
        return (await kela.post("/v1/referrals", json=body)).status_code

    async def read() -> int:
        return (await kela.get(f"/v1/referrals/{first}")).status_code

    codes = await asyncio.gather(*(post(n) for n in range(15)), *(read() for _ in range(15)))
    assert set(codes) <= {200, 201}
    entries = await _log(engine)
    assert [entry["seq"] for entry in entries] == list(range(1, 32))
    assert (await verify(engine, kela_log)).ok
