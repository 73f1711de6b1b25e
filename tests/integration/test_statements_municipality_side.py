"""Statements of social work and responsible workers on the municipality side, in-process, on
the real broker and both databases; the test plays Kela on the bus."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
from aio_pika.abc import AbstractChannel
from silta_messaging.topology import COUNTY_EXCHANGE
from silta_schemas import examples
from silta_schemas.statements import StatementReceipt

from tests.integration import peer
from tests.integration.conftest import eventually, tap
from tests.integration.peer import (
    assert_idempotent,
    assert_refused,
    changed,
    delivered,
    next_message,
    parked_reasons,
    rules,
)

IDENTITY_CODE = examples.EXAMPLE_IDENTITY_CODE


def statement(**changes: Any) -> dict[str, Any]:
    return changed(examples.STATEMENT_REQUEST_EXAMPLE, **changes)


def worker(**changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(examples.RESPONSIBLE_WORKER_REQUEST_EXAMPLE)
    result["worker"].update(changes)
    return result


async def receipt(
    bus: AbstractChannel,
    statement_id: str,
    *,
    county: str = "11",
    referral_id: UUID | None = None,
) -> str:
    """Kela's receipt of a statement, published as Kela's side would."""
    payload = StatementReceipt(
        kind="statement_receipt", statement_id=UUID(statement_id), received_at=datetime.now(UTC)
    )
    recipient = f"county-{county}"
    return await peer.publish(
        bus, payload, sender="kela", recipient=recipient, referral_id=referral_id
    )


# --------------------------------------------------------------------------- statements


async def test_a_statement_is_sent_to_kela_and_kelas_receipt_recorded(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    sent = await tap(bus, COUNTY_EXCHANGE, "statement.11")
    response = await municipality.post("/v1/statements", json=statement())

    assert response.status_code == 201, response.text
    created = response.json()
    statement_id = created["id"]
    assert response.headers["location"] == f"/v1/statements/{statement_id}"
    assert created["county_code"] == "11"
    assert created["referral_id"] is None
    assert created["topics"] == ["move", "decision_period"]
    assert (created["received_by_kela"], created["received_by_kela_at"]) == (False, None)
    assert IDENTITY_CODE not in response.text  # the tracking record carries no personal data

    message = await eventually(lambda: next_message(sent))
    assert (message["kind"], message["sender"], message["recipient"]) == (
        "statement",
        "county-11",
        "kela",
    )
    assert message["referral_id"] is None
    assert message["purpose"] == "social_work_statement"
    assert message["legal_basis"] == "Act on Social Assistance 1412/1997 §18"
    assert message["payload"]["statement_id"] == statement_id
    assert message["payload"]["client"] == {"identity_code": IDENTITY_CODE}
    assert set(message["payload"]) == {
        "kind",
        "statement_id",
        "made_at",
        "client",
        "topics",
        "text",
        "author",
    }

    view = (await municipality.get(f"/v1/statements/{statement_id}")).json()
    assert view["statement"]["client"]["identity_code"] == IDENTITY_CODE
    assert view["received_by_kela"] is False
    listing = (await municipality.get("/v1/statements")).json()["items"]
    assert [item["id"] for item in listing] == [statement_id]
    assert IDENTITY_CODE not in json.dumps(listing)

    await receipt(bus, statement_id)

    async def received() -> dict[str, Any] | None:
        seen: dict[str, Any] = (await municipality.get(f"/v1/statements/{statement_id}")).json()
        return seen if seen["received_by_kela"] else None

    first = (await eventually(received))["received_by_kela_at"]
    assert first is not None
    await receipt(bus, statement_id)  # again: the first receipt's time stays
    marker = await municipality.post("/v1/statements", json=statement())  # a FIFO barrier
    assert marker.status_code == 201
    view = (await municipality.get(f"/v1/statements/{statement_id}")).json()
    assert view["received_by_kela_at"] == first
    done = await municipality.get("/v1/statements", params={"received_by_kela": "true"})
    assert [item["id"] for item in done.json()["items"]] == [statement_id]
    waiting = await municipality.get("/v1/statements", params={"received_by_kela": "false"})
    assert [item["id"] for item in waiting.json()["items"]] == [marker.json()["id"]]


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        (lambda b: b.update(county_code="05"), "county_code", "statement.county_not_served"),
        (lambda b: b.update(county_code="22"), "county_code", "string_pattern_mismatch"),
        (
            lambda b: b["client"].update(identity_code="131052-308U"),
            "client.identity_code",
            "identity_code.control_character",
        ),
        (lambda b: b.update(topics=["move", "move"]), "topics", "statement.topic_duplicate"),
        (lambda b: b.update(topics=[]), "topics", "too_short"),
        (
            lambda b: b.update(text="The spouse 010594Y9032 moves too."),
            "text",
            "free_text.identity_code",
        ),
        (lambda b: b.update(municipality_code="405"), "body", "extra_forbidden"),
        (lambda b: b["author"].update(phone="call me"), "author.phone", "string_pattern_mismatch"),
        (lambda b: b.update(referral_id=str(uuid.uuid4())), "referral_id",
         "statement.referral_unknown"),
    ],
)  # fmt: skip
async def test_an_invalid_statement_gets_problem_details_naming_field_and_rule(
    municipality: httpx.AsyncClient, change: Any, field: str, rule: str
) -> None:
    request = statement()
    change(request)
    await assert_refused(
        municipality, "/v1/statements", request, field, rule, IDENTITY_CODE, "010594Y9032"
    )


async def test_a_statement_may_name_a_referral_of_its_own_county_only(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    sent = await tap(bus, COUNTY_EXCHANGE, "statement.11")
    referral_id = await delivered(bus, municipality)

    other = await municipality.post(
        "/v1/statements", json=statement(county_code="90", referral_id=str(referral_id))
    )
    assert other.status_code == 422
    assert rules(other) == [("referral_id", "statement.referral_other_county")]

    response = await municipality.post(
        "/v1/statements", json=statement(referral_id=str(referral_id))
    )
    assert response.status_code == 201, response.text
    assert response.json()["referral_id"] == str(referral_id)
    message = await eventually(lambda: next_message(sent))
    assert message["referral_id"] == str(referral_id)


async def test_the_same_idempotency_key_returns_the_same_statement(
    municipality: httpx.AsyncClient,
) -> None:
    await assert_idempotent(
        municipality, "/v1/statements", statement(), statement(topics=["other"])
    )


async def test_receipts_for_unknown_or_other_counties_statements_are_parked(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    created = (await municipality.post("/v1/statements", json=statement())).json()
    unknown = await receipt(bus, str(uuid.uuid4()))
    wrong_county = await receipt(bus, created["id"], county="90")

    found = await parked_reasons(bus, municipality, {unknown, wrong_county})
    assert found == {
        unknown: "statement.unknown",
        wrong_county: "statement_receipt.wrong_county",
    }
    view = (await municipality.get(f"/v1/statements/{created['id']}")).json()
    assert view["received_by_kela"] is False


async def test_unknown_statement_is_404(municipality: httpx.AsyncClient) -> None:
    response = await municipality.get(f"/v1/statements/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


# --------------------------------------------------------------------------- responsible workers


async def test_a_responsible_worker_is_named_and_changed_and_kela_told_each_time(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    sent = await tap(bus, COUNTY_EXCHANGE, "responsible_worker.11")
    referral_id = await delivered(bus, municipality)
    path = f"/v1/referrals/{referral_id}/responsible-worker"

    early = await municipality.put(path, json=worker())
    assert early.status_code == 409
    assert early.headers["content-type"] == "application/problem+json"
    assert rules(early) == [("status", "responsible_worker.referral_not_in_work")]
    assert (await municipality.get(path)).json()["current"] is None

    accepted = await municipality.post(
        f"/v1/referrals/{referral_id}/status", json={"status": "accepted"}
    )
    assert accepted.status_code == 200
    named = await municipality.put(path, json=worker())
    assert named.status_code == 201, named.text
    assert named.json()["current"]["change"] == "named"
    assert named.json()["current"]["worker"]["name"] == "Sanna Sosiaalityöntekijä"

    again = await municipality.put(path, json=worker())  # the same worker: nothing changes
    assert again.status_code == 200
    assert len(again.json()["history"]) == 1

    changed = await municipality.put(path, json=worker(name="Pekka Sosiaaliohjaaja"))
    assert changed.status_code == 200
    view = changed.json()
    assert [n["change"] for n in view["history"]] == ["named", "changed"]
    assert view["current"]["worker"]["name"] == "Pekka Sosiaaliohjaaja"
    assert view["history"][0]["named_at"] < view["history"][1]["named_at"]
    assert (await municipality.get(path)).json() == view

    first = await eventually(lambda: next_message(sent))
    second = await eventually(lambda: next_message(sent))
    for message in (first, second):
        assert (message["sender"], message["recipient"]) == ("county-11", "kela")
        assert message["referral_id"] == str(referral_id)
        assert message["purpose"] == "responsible_worker_notice"
        assert set(message["payload"]) == {
            "kind",
            "named_at",
            "change",
            "worker",
            "directory_entry_id",
        }  # nothing about the client
    assert [first["payload"]["change"], second["payload"]["change"]] == ["named", "changed"]
    assert second["payload"]["worker"]["name"] == "Pekka Sosiaaliohjaaja"
    assert sent.empty()  # naming the same worker again sent nothing


async def test_the_directory_entry_must_be_the_referral_countys_own(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    referral_id = await delivered(bus, municipality)
    await municipality.post(f"/v1/referrals/{referral_id}/status", json={"status": "accepted"})
    entries = {}
    for county in ("11", "90"):
        entry_id = str(uuid.uuid4())
        entry = {
            "organisation": f"county-{county}",
            "county_code": county,
            "unit": "Aikuissosiaalityö",
            "person_name": "Sanna Sosiaalityöntekijä",
            "role": "sosiaalityöntekijä",
            "channels": [{"type": "phone", "value": "040 123 4567", "note": None}],
            "hours": "Mon-Fri 9-15",
        }
        put = await municipality.put(f"/v1/directory/entries/{entry_id}", json=entry)
        assert put.status_code == 201, put.text
        entries[county] = entry_id
    path = f"/v1/referrals/{referral_id}/responsible-worker"

    for entry_id, rule in [
        (str(uuid.uuid4()), "responsible_worker.directory_entry_unknown"),
        (entries["90"], "responsible_worker.directory_entry_other_organisation"),
    ]:
        refused = await municipality.put(path, json=worker() | {"directory_entry_id": entry_id})
        assert refused.status_code == 422, refused.text
        assert rules(refused) == [("directory_entry_id", rule)]

    named = await municipality.put(path, json=worker() | {"directory_entry_id": entries["11"]})
    assert named.status_code == 201, named.text
    assert named.json()["current"]["directory_entry_id"] == entries["11"]


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        (lambda b: b["worker"].update(phone=None, email=None), "body", "worker.channel_required"),
        (lambda b: b["worker"].update(name="131052-308T"), "worker.name",
         "free_text.identity_code"),
        (lambda b: b.update(client={"identity_code": IDENTITY_CODE}), "body", "extra_forbidden"),
        (lambda b: b.update(directory_entry_id="x"), "directory_entry_id", "uuid_parsing"),
    ],
)  # fmt: skip
async def test_an_invalid_responsible_worker_gets_problem_details(
    municipality: httpx.AsyncClient, bus: AbstractChannel, change: Any, field: str, rule: str
) -> None:
    referral_id = await delivered(bus, municipality)
    request = worker()
    change(request)
    response = await municipality.put(
        f"/v1/referrals/{referral_id}/responsible-worker", json=request
    )
    assert response.status_code == 422, response.text
    assert (field, rule) in rules(response)
    assert IDENTITY_CODE not in response.text


async def test_responsible_worker_of_an_unknown_referral_is_404(
    municipality: httpx.AsyncClient,
) -> None:
    path = f"/v1/referrals/{uuid.uuid4()}/responsible-worker"
    assert (await municipality.put(path, json=worker())).status_code == 404
    assert (await municipality.get(path)).status_code == 404
