"""Statements of social work and responsible workers on Kela's side, in-process, on the real
broker and both databases; the test plays the counties on the bus."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from aio_pika.abc import AbstractChannel
from pydantic import BaseModel
from silta_messaging.topology import KELA_EXCHANGE
from silta_schemas import examples
from silta_schemas.directory import DirectoryUpdate
from silta_schemas.statements import Statement
from silta_schemas.workers import ResponsibleWorker

from tests.integration import peer
from tests.integration.conftest import eventually, tap
from tests.integration.peer import next_message, parked_reasons

IDENTITY_CODE = examples.EXAMPLE_IDENTITY_CODE
OTHER_CLIENT = "010594Y9032"


async def publish(
    bus: AbstractChannel, payload: BaseModel, *, county: str, referral_id: UUID | None
) -> str:
    """Publish ``payload`` as county ``county``'s side would; return the message id."""
    sender = f"county-{county}"
    return await peer.publish(
        bus, payload, sender=sender, recipient="kela", referral_id=referral_id
    )


def statement(
    identity_code: str = IDENTITY_CODE, made_at: str = "2026-03-03T14:00:00+02:00", **changes: Any
) -> Statement:
    data = copy.deepcopy(examples.STATEMENT_EXAMPLE)
    data["statement_id"] = str(uuid.uuid4())
    data["client"]["identity_code"] = identity_code
    data["made_at"] = made_at
    data.update(changes)
    return Statement.model_validate(data)


def naming(named_at: datetime, name: str, entry: str | None = None) -> ResponsibleWorker:
    data = copy.deepcopy(examples.RESPONSIBLE_WORKER_EXAMPLE)
    data["worker"]["name"] = name
    data |= {
        "named_at": named_at.isoformat(),
        "change": "named" if entry is None and name.startswith("Sanna") else "changed",
        "directory_entry_id": entry,
    }
    return ResponsibleWorker.model_validate(data)


async def search(kela: httpx.AsyncClient, identity_code: str) -> list[dict[str, Any]]:
    response = await kela.post("/v1/statements/search", json={"identity_code": identity_code})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def send_referral(kela: httpx.AsyncClient) -> UUID:
    response = await kela.post("/v1/referrals", json=examples.NOTICE_OF_NEED_EXAMPLE)
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"])


# --------------------------------------------------------------------------- statements


async def test_statements_are_stored_receipted_and_listed_per_client_newest_first(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    receipts = await tap(bus, KELA_EXCHANGE, "statement_receipt.11")
    older = statement(made_at="2026-03-01T10:00:00+02:00")
    newer = statement(made_at="2026-03-03T10:00:00+02:00", topics=["basic_amount_reduction"])
    other_client = statement(identity_code=OTHER_CLIENT)
    for payload in (older, newer, other_client):
        await publish(bus, payload, county="11", referral_id=None)

    async def all_three() -> list[dict[str, Any]] | None:
        found = await search(kela, IDENTITY_CODE)
        return found if len(found) == 2 and await search(kela, OTHER_CLIENT) else None

    found = await eventually(all_three)
    assert [item["id"] for item in found] == [str(newer.statement_id), str(older.statement_id)]
    assert found[0]["sender"] == "county-11"
    assert found[0]["county_code"] == "11"
    assert found[0]["referral_id"] is None
    assert found[0]["statement"]["topics"] == ["basic_amount_reduction"]
    assert found[0]["statement"]["client"]["identity_code"] == IDENTITY_CODE
    assert [item["id"] for item in await search(kela, OTHER_CLIENT)] == [
        str(other_client.statement_id)
    ]
    assert await search(kela, "311299-999E") == []
    one = await kela.get(f"/v1/statements/{older.statement_id}")
    assert one.status_code == 200
    assert one.json() == found[1]

    got = [await eventually(lambda: next_message(receipts)) for _ in range(3)]
    assert {m["payload"]["statement_id"] for m in got} == {
        str(s.statement_id) for s in (older, newer, other_client)
    }
    for message in got:
        assert (message["sender"], message["recipient"]) == ("kela", "county-11")
        assert message["kind"] == "statement_receipt"
        assert set(message["payload"]) == {"kind", "statement_id", "received_at"}
        assert message["purpose"] == "social_work_statement"


async def test_the_search_takes_the_code_in_the_body_and_checks_it(
    kela: httpx.AsyncClient,
) -> None:
    invalid = await kela.post("/v1/statements/search", json={"identity_code": "131052-308U"})
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["field"] == "identity_code"
    assert invalid.json()["errors"][0]["rule"] == "identity_code.control_character"
    assert "131052-308U" not in invalid.text
    assert (await kela.get(f"/v1/statements/{uuid.uuid4()}")).status_code == 404


async def test_a_statement_about_a_referral_must_come_from_its_county(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    receipts = await tap(bus, KELA_EXCHANGE, "statement_receipt.*")
    referral_id = await send_referral(kela)
    wrong_county = await publish(bus, statement(), county="90", referral_id=referral_id)
    unknown = await publish(bus, statement(), county="11", referral_id=uuid.uuid4())
    taken = statement()
    await publish(bus, taken, county="11", referral_id=referral_id)
    duplicate = await publish(bus, taken, county="90", referral_id=None)

    assert await parked_reasons(bus, kela, {wrong_county, unknown, duplicate}) == {
        wrong_county: "statement.wrong_county",
        unknown: "referral.unknown",
        duplicate: "statement.duplicate_id",
    }
    found = await search(kela, IDENTITY_CODE)
    assert [(item["id"], item["referral_id"]) for item in found] == [
        (str(taken.statement_id), str(referral_id))
    ]
    message = await eventually(lambda: next_message(receipts))
    assert message["referral_id"] == str(referral_id)
    assert message["recipient"] == "county-11"
    assert receipts.empty()  # none for the rejected ones


async def test_the_same_statement_again_is_stored_once_and_receipted_again(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    receipts = await tap(bus, KELA_EXCHANGE, "statement_receipt.11")
    payload = statement()
    await publish(bus, payload, county="11", referral_id=None)
    await publish(bus, payload, county="11", referral_id=None)  # another message id
    got = [await eventually(lambda: next_message(receipts)) for _ in range(2)]
    assert {m["payload"]["statement_id"] for m in got} == {str(payload.statement_id)}
    assert len(await search(kela, IDENTITY_CODE)) == 1


# --------------------------------------------------------------------------- responsible workers


async def test_the_responsible_worker_named_last_shows_with_its_directory_entry(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    referral_id = await send_referral(kela)
    assert (await kela.get(f"/v1/referrals/{referral_id}")).json()["responsible_worker"] is None

    entry_id = uuid.uuid4()
    now = datetime.now(UTC)
    entry = {
        "organisation": "county-11",
        "county_code": "11",
        "unit": "Aikuissosiaalityö, Lappeenranta",
        "person_name": "Pekka Sosiaaliohjaaja",
        "role": "sosiaaliohjaaja",
        "channels": [{"type": "phone", "value": "040 765 4321", "note": None}],
        "hours": "Mon-Fri 9-15",
        "entry_id": str(entry_id),
        "updated_at": now.isoformat(),
    }
    update = DirectoryUpdate.model_validate(
        {"kind": "directory_update", "entries": [entry], "changed_at": now.isoformat()}
    )
    await publish(bus, update, county="11", referral_id=None)
    await publish(
        bus, naming(now, "Sanna Sosiaalityöntekijä"), county="11", referral_id=referral_id
    )
    later = naming(now + timedelta(minutes=5), "Pekka Sosiaaliohjaaja", str(entry_id))
    await publish(bus, later, county="11", referral_id=referral_id)

    async def changed() -> dict[str, Any] | None:
        view: dict[str, Any] = (await kela.get(f"/v1/referrals/{referral_id}")).json()
        worker = view["responsible_worker"]
        return worker if worker and worker["change"] == "changed" else None

    worker = await eventually(changed)
    assert worker["worker"]["name"] == "Pekka Sosiaaliohjaaja"
    assert worker["directory_entry_id"] == str(entry_id)
    assert worker["directory_entry"]["person_name"] == "Pekka Sosiaaliohjaaja"
    assert worker["directory_entry"]["organisation"] == "county-11"

    # An older naming arriving late joins the history but does not become current.
    stale = naming(now - timedelta(minutes=5), "Sanna Sosiaalityöntekijä")
    await publish(bus, stale, county="11", referral_id=referral_id)
    barrier = await publish(bus, naming(now, "x y"), county="05", referral_id=referral_id)
    assert await parked_reasons(bus, kela, {barrier}) == {
        barrier: "responsible_worker.wrong_county"
    }
    view = (await kela.get(f"/v1/referrals/{referral_id}")).json()
    assert view["responsible_worker"]["worker"]["name"] == "Pekka Sosiaaliohjaaja"


async def test_a_responsible_worker_for_an_unknown_referral_is_parked(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    unknown = await publish(
        bus, naming(datetime.now(UTC), "Sanna S"), county="11", referral_id=uuid.uuid4()
    )
    assert await parked_reasons(bus, kela, {unknown}) == {unknown: "referral.unknown"}
