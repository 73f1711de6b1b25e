"""Evidence (the message log), on both services in-process, on the real broker, SQLite and
PostgreSQL: a referral sent and delivered leaves signed evidence on both sides, an export of it
verifies offline and a changed field does not, it outlives the retention purge, and the log
is append-only."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from kela_side.db.tables import message_log as kela_log
from kela_side.db.tables import referrals as kela_referrals
from kela_side.protect import PROTECTED as KELA_PROTECTED
from kela_side.protect import RETENTION as KELA_RETENTION
from kela_side.settings import KelaSettings
from municipality_side.db.tables import referrals as county_referrals
from municipality_side.protect import RETENTION as COUNTY_RETENTION
from silta_messaging.signing import public_key_text
from silta_platform.authorisation import Role, Side
from silta_platform.runtime import Runtime
from silta_protection.commands import run
from silta_protection.evidence import verify_export
from silta_protection.evidence.__main__ import main as verifier_main
from silta_protection.retention import prune_message_log, purge_expired
from silta_schemas import examples
from sqlalchemy import select, text

from tests import signing
from tests.integration.conftest import Both, eventually
from tests.integration.test_data_protection import _close_and_age

NOTICE = examples.NOTICE_OF_NEED_EXAMPLE
PERSONAL = [NOTICE["client"]["identity_code"], NOTICE["client"]["contact"]["phone"]]


def runtime(app: Any) -> Runtime:
    found: Runtime = app.state.runtime
    return found


async def delivered_referral(sides: Both, identity_code: str | None = None) -> str:
    """A notice Kela sent to county 11, once Kela shows it delivered."""
    officer = sides.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)
    notice = copy.deepcopy(NOTICE)
    notice["client"]["identity_code"] = identity_code or notice["client"]["identity_code"]
    sent = await sides.kela.post("/v1/referrals", json=notice, headers=officer)
    assert sent.status_code == 201, sent.text
    referral_id: str = sent.json()["id"]

    async def delivered() -> bool:
        view = await sides.kela.get(f"/v1/referrals/{referral_id}", headers=officer)
        return bool(view.json()["status"] == "delivered")

    await eventually(delivered)
    return referral_id


async def evidence(sides: Both, side: Side, referral_id: str, count: int) -> dict[str, Any]:
    """The ``/v1/ops/evidence`` export of ``side``, once it holds ``count`` messages."""
    client = sides.kela if side is Side.KELA else sides.municipality
    operations = sides.token(side, Role.OPERATIONS)

    async def exported() -> dict[str, Any] | None:
        answer = await client.get(f"/v1/ops/evidence/{referral_id}", headers=operations)
        if answer.status_code == 404:  # nothing logged about it yet
            return None
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body if len(body["messages"]) == count else None

    found: dict[str, Any] = await eventually(exported)
    return found


async def protect(database_url: str, *argv: str) -> tuple[int, str]:
    """``python -m kela_side.protect *argv`` on ``database_url``: exit code and output."""
    out = io.StringIO()

    def command() -> int:
        with contextlib.redirect_stdout(out):
            settings = KelaSettings(database_url=database_url)
            return run(list(argv), settings, KELA_PROTECTED, KELA_RETENTION, "kela")

    return await asyncio.to_thread(command), out.getvalue()


def by_kind(export: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m["direction"], m["kind"]): m for m in export["messages"]}


async def test_both_sides_keep_verifiable_evidence_that_outlives_the_purge(
    sides: Both, database_url: str, tmp_path: Path
) -> None:
    referral_id = await delivered_referral(sides)
    kela = await evidence(sides, Side.KELA, referral_id, 2)
    county = await evidence(sides, Side.MUNICIPALITY, referral_id, 2)

    # Kela sent the notice and holds the county's signed acknowledgement: proof of delivery.
    kela_sent = by_kind(kela)[("sent", "notice_of_need")]
    kela_receipt = by_kind(kela)[("received", "status_acknowledgement")]
    county_received = by_kind(county)[("received", "notice_of_need")]
    county_sent = by_kind(county)[("sent", "status_acknowledgement")]
    assert (kela_sent["sender"], kela_sent["recipient"]) == ("kela", "county-11")
    assert (kela_receipt["sender"], kela_receipt["recipient"]) == ("county-11", "kela")
    for ours, theirs in ((kela_sent, county_received), (county_sent, kela_receipt)):
        for name in ("message_id", "body_sha256", "statement", "signature", "key_id"):
            assert ours[name] == theirs[name], name  # both sides hold the same evidence
    assert kela_sent["key_id"] == signing.KELA.key_id
    assert kela_receipt["key_id"] == signing.COUNTY.key_id
    assert kela["keys"][signing.COUNTY.key_id]["public_key"] == public_key_text(signing.COUNTY.key)
    assert kela["chain"]["intact"]
    assert county["chain"]["intact"]
    for export in (kela, county):
        assert not any(value in json.dumps(export) for value in PERSONAL)
        assert verify_export(export) == []

    unknown = await sides.kela.get(
        f"/v1/ops/evidence/{uuid4()}", headers=sides.token(Side.KELA, Role.OPERATIONS)
    )
    assert unknown.status_code == 404

    # The offline verifier: exit 0 on the export, 1 when any one field is changed.
    path = tmp_path / "kela-evidence.json"
    path.write_text(json.dumps(kela))
    assert verifier_main(["verify", str(path)]) == 0
    for field, value in {
        "body_sha256": "0" * 64,
        "signature": kela_sent["signature"][:-4] + "AAA=",
        "message_id": "00000000-0000-4000-8000-000000000000",
        "referral_id": "00000000-0000-4000-8000-000000000000",
        "recipient": "county-90",
        "kind": "cancellation",
        "at": "2020-01-01T00:00:00.000000+00:00",
        "public_key": public_key_text(signing.COUNTY.key),
        "statement": kela_sent["statement"].replace("county-11", "county-90"),
    }.items():
        tampered = copy.deepcopy(kela)
        by_kind(tampered)[("sent", "notice_of_need")][field] = value
        assert verify_export(tampered), field
    path.write_text(json.dumps(tampered))
    assert verifier_main(["verify", str(path)]) == 1

    # The operations command exports the same evidence.
    database_url = runtime(sides.kela_app).settings.database_url
    code, out = await protect(database_url, "export-evidence", "--referral", referral_id)
    assert code == 0
    assert json.loads(out)["messages"] == kela["messages"]

    # The county closes the referral; both sides purge it; the evidence stays.
    worker = sides.token(Side.MUNICIPALITY, Role.COUNTY_SOCIAL_WORKER)
    rejected = await sides.municipality.post(
        f"/v1/referrals/{referral_id}/status",
        json={"status": "rejected", "reason": "Not ours to handle."},
        headers=worker,
    )
    assert rejected.status_code == 200, rejected.text
    kela_after = await evidence(sides, Side.KELA, referral_id, 3)
    for app, table, retention in (
        (sides.kela_app, kela_referrals, KELA_RETENTION),
        (sides.municipality_app, county_referrals, COUNTY_RETENTION),
    ):
        engine, config = runtime(app).engine, runtime(app).settings
        await _close_and_age(engine, table, UUID(referral_id), config.retention_days + 1)
        assert await purge_expired(engine, config, retention) == 1
        assert await prune_message_log(engine, config, retention) == 0
    kela_purged = await evidence(sides, Side.KELA, referral_id, 3)
    county_purged = await evidence(sides, Side.MUNICIPALITY, referral_id, 3)
    assert kela_purged["messages"] == kela_after["messages"]
    assert all(message in kela_purged["messages"] for message in kela["messages"])
    assert all(message in county_purged["messages"] for message in county["messages"])
    for export in (kela_purged, county_purged):
        assert verify_export(export) == []


async def test_the_message_log_is_append_only_and_drops_only_its_oldest_entries(
    sides: Both,
) -> None:
    referral_id = await delivered_referral(sides)
    await evidence(sides, Side.KELA, referral_id, 2)
    second = await delivered_referral(sides, "010101-123N")
    await evidence(sides, Side.KELA, second, 2)
    engine, config = runtime(sides.kela_app).engine, runtime(sides.kela_app).settings
    chain = kela_log.chain
    async with engine.connect() as conn:
        assert (await chain.verify(conn)).entries == 4
        times = (await conn.execute(select(kela_log.entries.c.at).order_by("seq"))).scalars()
        third = list(times)[2]

    # Past its retention the oldest entries go, from the start only; the rest still verifies.
    now = third + timedelta(days=config.message_log_retention_days)
    async with engine.begin() as conn:  # a chunk at a time, as the maintenance pass prunes
        assert await chain.prune(conn, now, limit=1) == 1
    async with engine.connect() as conn:
        first_chunk = await chain.verify(conn)
    assert first_chunk.ok
    assert first_chunk.entries == 3
    assert await prune_message_log(engine, config, KELA_RETENTION, now=now) >= 1
    async with engine.connect() as conn:
        kept = await chain.verify(conn)
    assert kept.ok
    assert 1 <= kept.entries <= 3
    assert verify_export(await evidence(sides, Side.KELA, second, 2)) == []

    assert (await protect(config.database_url, "verify-message-log"))[0] == 0
    async with engine.begin() as conn:  # change one field of the newest entry
        await conn.execute(text("UPDATE message_log SET recipient = 'county-90' WHERE seq = 4"))
    assert (await protect(config.database_url, "verify-message-log"))[0] == 1
    export = await evidence(sides, Side.KELA, second, 2)
    assert not export["chain"]["intact"]
    assert any("content does not match its hash" in p for p in verify_export(export))
    async with engine.begin() as conn:  # or delete it
        await conn.execute(text("DELETE FROM message_log WHERE seq = 4"))
    async with engine.connect() as conn:
        problems = (await chain.verify(conn)).problems
    assert any("the head names entry 4" in p for p in problems)
