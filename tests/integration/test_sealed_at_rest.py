"""Nothing a client's case says is in clear at rest, on either side or database.

Each test runs a real flow through a service (the HTTP API and the bus: referrals, a county's
status change with its reason, a cancellation with its reason, statements), reads the content
back through the API, then searches what the database keeps: on SQLite the database file, its
WAL and its shared-memory file, byte by byte; on PostgreSQL every table's rows as text
(``SELECT t::text``) and, after a checkpoint, the raw files of every table and its TOAST
table. None of the identity codes, names, phone numbers, descriptions, reasons or statement
texts the test sent may be found.
"""

from __future__ import annotations

import copy
import secrets
import uuid
from typing import Any

import httpx
from aio_pika.abc import AbstractChannel
from kela_side.db.tables import referrals as kela_referrals
from kela_side.protect import PROTECTED as KELA_PROTECTED
from kela_side.settings import KelaSettings
from silta_messaging.topology import COUNTY_EXCHANGE, KELA_EXCHANGE
from silta_platform.runtime import Runtime
from silta_protection.encryption import reencrypt
from silta_schemas import examples
from silta_schemas.identity import control_character
from sqlalchemy import make_url, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.conftest import eventually, tap
from tests.integration.test_data_protection import published, runtime_of
from tests.integration.test_kela_side import acknowledge
from tests.integration.test_municipality_side import deliver, in_inbox
from tests.integration.test_statements_kela_side import publish, statement


def _identity_code() -> str:
    digits = f"{secrets.randbelow(28) + 1:02d}0{secrets.randbelow(9) + 1}8{secrets.randbelow(10)}"
    digits += f"{secrets.randbelow(800) + 100:03d}"
    return f"{digits[:6]}-{digits[6:]}{control_character(digits)}"


def _marker(what: str) -> str:
    """A text no other test writes: found at rest only if this test's content leaked."""
    return f"{what} {uuid.uuid4().hex[:12]}"


def _phone() -> str:
    return f"+358 40 {secrets.randbelow(900) + 100} {secrets.randbelow(9000) + 1000}"


def _notice(secrets_sent: list[str], **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(examples.NOTICE_OF_NEED_EXAMPLE)
    code, phone = _identity_code(), _phone()
    body["client"]["identity_code"] = code
    body["client"]["contact"] = {"phone": phone, "email": None, "address": None}
    body["description"] = _marker("Rent arrears and no benefit applied for")
    body["kela_contact"] = {**body["kela_contact"], "name": _marker("Officer")}
    body |= changes
    secrets_sent += [code, code.replace("-", ""), phone, body["description"]]
    secrets_sent.append(body["kela_contact"]["name"])
    secrets_sent += [value for value in changes.values() if isinstance(value, str)]
    return body


async def _at_rest(engine: AsyncEngine, database_url: str) -> bytes:
    """Everything the database keeps, as bytes to search."""
    if engine.dialect.name == "sqlite":
        path = make_url(database_url).database
        assert path
        found = b""
        for suffix in ("", "-wal", "-shm"):
            try:
                with open(path + suffix, "rb") as stored:
                    found += stored.read()
            except FileNotFoundError:
                continue
        assert len(found) > 0
        return found
    parts: list[bytes] = []
    async with engine.connect() as conn:
        tables = (
            await conn.execute(
                text(
                    "SELECT c.relname, pg_relation_filepath(c.oid),"
                    " pg_relation_filepath(NULLIF(c.reltoastrelid, 0)) FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'public' AND c.relkind = 'r'"
                )
            )
        ).all()
        assert len(tables) > 5
        for name, _, _ in tables:
            rows = await conn.execute(text(f'SELECT t::text FROM "{name}" t'))  # noqa: S608
            parts.extend(row[0].encode() for row in rows)
        await conn.execute(text("CHECKPOINT"))  # the pages on disk, dead tuples included
        for _, *paths in tables:
            for path in paths:
                if path is None:
                    continue
                raw = await conn.scalar(
                    text("SELECT pg_read_binary_file(:p, 0, 104857600, true)"), {"p": path}
                )
                parts.append(bytes(raw or b""))
    return b"\n".join(parts)


async def assert_nothing_in_clear(engine: AsyncEngine, database_url: str, sent: list[str]) -> None:
    """Once the broker has confirmed every message: the content is there, sealed, and none
    of ``sent`` is found in clear."""
    await eventually(lambda: published(engine))
    stored = await _at_rest(engine, database_url)
    assert b"silta:enc:v1:dev:" in stored
    assert _leaked(stored, sent) == []


def _leaked(stored: bytes, sent: list[str]) -> list[str]:
    return [value for value in sent if value.encode() in stored]


async def test_kela_keeps_nothing_of_the_case_in_clear(
    kela: httpx.AsyncClient, bus: AbstractChannel, database_url: str
) -> None:
    runtime: Runtime = runtime_of(kela)
    await tap(bus, KELA_EXCHANGE, "#")  # the counties take what Kela sends
    sent: list[str] = []
    rejected = (await kela.post("/v1/referrals", json=_notice(sent))).json()["id"]
    reason = _marker("Another referral is open")
    cancelled_body = _notice(sent, new_referral_reason=_marker("The situation changed"))
    cancelled = (await kela.post("/v1/referrals", json=cancelled_body)).json()["id"]
    cancel_reason = _marker("Sent in error")
    sent += [reason, cancel_reason]
    response = await kela.post(f"/v1/referrals/{cancelled}/cancel", json={"reason": cancel_reason})
    assert response.status_code == 200
    await acknowledge(bus, uuid.UUID(rejected), 1, "delivered")
    await acknowledge(bus, uuid.UUID(rejected), 2, "rejected", reason=reason)
    code = _identity_code()
    author = {**examples.STATEMENT_EXAMPLE["author"], "name": _marker("Social worker")}
    received = statement(code, text=_marker("Moving to supported housing"), author=author)
    await publish(bus, received, county="11", referral_id=None)
    sent += [code, received.text, author["name"]]

    async def rejected_with_reason() -> bool:
        view = (await kela.get(f"/v1/referrals/{rejected}")).json()
        return view["status"] == "rejected"

    await eventually(rejected_with_reason)
    view = (await kela.get(f"/v1/referrals/{rejected}")).json()
    assert view["history"][-1]["reason"] == reason  # opened for who may read it
    view = (await kela.get(f"/v1/referrals/{cancelled}")).json()
    assert view["cancellation"]["reason"] == cancel_reason
    assert view["new_referral_reason"] == cancelled_body["new_referral_reason"]

    async def found() -> list[dict[str, Any]]:
        answer = await kela.post("/v1/statements/search", json={"identity_code": code})
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    assert (await eventually(found))[0]["statement"]["text"] == received.text
    await assert_nothing_in_clear(runtime.engine, database_url, sent)


async def test_the_county_keeps_nothing_of_the_case_in_clear(
    municipality: httpx.AsyncClient, bus: AbstractChannel, database_url: str
) -> None:
    runtime: Runtime = runtime_of(municipality)
    await tap(bus, COUNTY_EXCHANGE, "#")  # Kela takes what the county sends
    sent: list[str] = []
    referral_id = await deliver(bus, _notice(sent))
    shown = await eventually(lambda: in_inbox(municipality, referral_id))
    assert shown["referral"]["description"] in sent  # opened for the county's worker
    reason = _marker("The client already has a referral open")
    update = {**examples.STATUS_UPDATE_EXAMPLES["rejected"], "reason": reason}
    changed = await municipality.post(f"/v1/referrals/{referral_id}/status", json=update)
    assert changed.status_code == 200
    assert changed.json()["history"][-1]["reason"] == reason
    body = copy.deepcopy(examples.STATEMENT_REQUEST_EXAMPLE)
    body["client"]["identity_code"] = _identity_code()
    body["text"] = _marker("We propose a decision period")
    body["author"] = {**body["author"], "name": _marker("Worker"), "phone": _phone()}
    body["referral_id"] = None
    made = await municipality.post("/v1/statements", json=body)
    assert made.status_code == 201
    again = (await municipality.get(f"/v1/statements/{made.json()['id']}")).json()
    assert again["statement"]["text"] == body["text"]
    listed = (await municipality.get("/v1/statements")).json()["items"]
    assert listed[0]["topics"] == body["topics"]  # lists still show the tracking data
    code = body["client"]["identity_code"]
    sent += [reason, code, code.replace("-", ""), body["text"], body["author"]["name"]]
    sent.append(body["author"]["phone"])
    await assert_nothing_in_clear(runtime.engine, database_url, sent)


async def test_reencrypt_leaves_no_clear_copy_of_what_it_sealed(
    kela: httpx.AsyncClient, bus: AbstractChannel, database_url: str
) -> None:
    """A row stored in clear (before sealing existed) is sealed by ``reencrypt``, and its old
    content is gone from the files too: SQLite zeroes it (``secure_delete``) and empties the
    WAL; PostgreSQL's old row version goes with the documented ``VACUUM FULL``."""
    engine = runtime_of(kela).engine
    await tap(bus, KELA_EXCHANGE, "#")
    sent: list[str] = []
    body = _notice(sent)
    referral_id = (await kela.post("/v1/referrals", json=body)).json()["id"]
    await eventually(lambda: published(engine))
    async with engine.begin() as conn:  # as stored before sealing existed
        await conn.execute(
            update(kela_referrals).where(kela_referrals.c.id == referral_id).values(payload=body)
        )
    assert _leaked(await _at_rest(engine, database_url), sent) != []

    changed = await reencrypt(engine, KelaSettings(database_url=database_url), KELA_PROTECTED)
    assert changed["referrals"] == 1
    if engine.dialect.name == "postgresql":

        async def vacuumed() -> bool:
            # VACUUM FULL keeps an old row version that a transaction still running may see
            # (the service's relay or consumer, a moment): repeated until it is gone.
            async with engine.connect() as conn:
                autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("VACUUM FULL referrals"))
            return _leaked(await _at_rest(engine, database_url), sent) == []

        await eventually(vacuumed, interval=0.5)
    assert _leaked(await _at_rest(engine, database_url), sent) == []
    shown = (await kela.get(f"/v1/referrals/{referral_id}")).json()
    assert shown["id"] == referral_id
