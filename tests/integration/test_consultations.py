"""Consultations between Kela and a county: asked with consent or anonymously, answered within
the question's purposes or declined, expiring by themselves past the deadline. In-process on
the real broker, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aio_pika.abc import AbstractChannel
from silta_platform.authorisation import Role, Side
from silta_schemas.consultations import ConsultationAnswer, ConsultationRequest
from silta_schemas.cooperation_examples import (
    CONSULTATION_ANSWER_EXAMPLE,
    CONSULTATION_ANSWER_REQUEST_EXAMPLE,
    CONSULTATION_EXAMPLE,
    CONSULTATION_REQUEST_EXAMPLE,
)

from tests.integration import peer
from tests.integration.conftest import Both, eventually
from tests.integration.peer import assert_problem, parked_reasons

CODE = CONSULTATION_REQUEST_EXAMPLE["client"]["identity_code"]


def question(**changes: Any) -> dict[str, Any]:
    return copy.deepcopy(CONSULTATION_REQUEST_EXAMPLE) | changes


def reply(**changes: Any) -> dict[str, Any]:
    return copy.deepcopy(CONSULTATION_ANSWER_REQUEST_EXAMPLE) | changes


async def arrived(client: httpx.AsyncClient, headers: dict[str, str], key: str) -> dict[str, Any]:
    async def there() -> dict[str, Any] | None:
        response = await client.get(f"/v1/consultations/{key}", headers=headers)
        return response.json() if response.status_code == 200 else None

    found: dict[str, Any] = await eventually(there)
    return found


async def test_kela_asks_with_consent_and_the_county_answers_within_the_purposes(
    sides: Both,
) -> None:
    officer = sides.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)
    worker = sides.token(Side.MUNICIPALITY, Role.COUNTY_SOCIAL_WORKER)
    asked = await sides.kela.post("/v1/consultations", json=question(), headers=officer)
    assert asked.status_code == 201, asked.text
    summary = asked.json()
    assert (summary["direction"], summary["status"], summary["anonymous"]) == (
        "outgoing",
        "asked",
        False,
    )
    assert CODE not in asked.text
    key = summary["id"]

    async def open_in_the_officers_view() -> list[str]:
        view = await sides.kela.post(
            "/v1/clients/cooperation", json={"identity_code": CODE}, headers=officer
        )
        assert view.status_code == 200, view.text
        return [item["id"] for item in view.json()["consultations"]]

    assert await open_in_the_officers_view() == [key]

    seen = await arrived(sides.municipality, worker, key)
    assert (seen["direction"], seen["status"], seen["due_at"]) == (
        "incoming",
        "asked",
        summary["due_at"],
    )
    assert seen["question"]["client"]["identity_code"] == CODE
    listed = await sides.municipality.get(
        "/v1/consultations", params={"direction": "incoming", "status": "asked"}, headers=worker
    )
    assert [item["id"] for item in listed.json()["items"]] == [key]
    assert CODE not in listed.text

    # the answer carries only what the purposes allow
    path = f"/v1/consultations/{key}/answer"
    beyond = await sides.municipality.post(
        path, json=reply(client_of_services=True), headers=worker
    )
    assert_problem(beyond, 422, "client_of_services", "consultation_answer.beyond_purpose", CODE)
    answered = await sides.municipality.post(path, json=reply(), headers=worker)
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "answered"
    again = await sides.municipality.post(path, json=reply(), headers=worker)
    assert_problem(again, 409, "status", "consultation.not_open")

    async def answered_at_kela() -> dict[str, Any] | None:
        view = await arrived(sides.kela, officer, key)
        return view if view["status"] == "answered" else None

    view = await eventually(answered_at_kela)
    assert view["answer"]["assessment"] == CONSULTATION_ANSWER_REQUEST_EXAMPLE["assessment"]
    assert view["answer"]["contact"]["name"] == "Sanna Sosiaalityöntekijä"
    assert view["answer"]["purposes"] == ["situation_assessment", "contact_person"]

    assert await open_in_the_officers_view() == []  # answered: no longer open
    found = await sides.kela.post(
        "/v1/consultations/search", json={"identity_code": CODE}, headers=officer
    )
    assert [item["id"] for item in found.json()["items"]] == [key]
    contact = sides.token(Side.KELA, Role.KELA_COOPERATION_CONTACT)
    log = await sides.kela.post(
        "/v1/access-log/search", json={"identity_code": CODE}, headers=contact
    )
    actions = {
        (e["action"], e["channel"]) for e in log.json()["items"] if e["resource"] == "consultation"
    }
    assert actions >= {("create", "http"), ("read", "http"), ("update", "bus")}

    # another county's worker does not see it
    other = sides.token(Side.MUNICIPALITY, Role.COUNTY_SOCIAL_WORKER, county="90")
    hidden = await sides.municipality.get(f"/v1/consultations/{key}", headers=other)
    assert hidden.status_code == 404


async def test_a_county_asks_kela_anonymously_and_kela_declines(sides: Both) -> None:
    officer = sides.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)
    worker = sides.token(Side.MUNICIPALITY, Role.COUNTY_SOCIAL_WORKER)
    anonymous = question(
        client=None,
        purposes=["benefit_matter"],
        question="A client of ours asks whether housing allowance is applied before basic "
        "assistance when the rent rises mid-month. How is it handled?",
        asker=CONSULTATION_ANSWER_REQUEST_EXAMPLE["answerer"],
    )
    with_code = anonymous | {"question": f"About client {CODE}: is an application pending?"}
    refused = await sides.municipality.post("/v1/consultations", json=with_code, headers=worker)
    assert_problem(refused, 422, "question", "free_text.identity_code", CODE)
    not_served = await sides.municipality.post(
        "/v1/consultations", json=anonymous | {"county_code": "05"}, headers=worker
    )
    assert_problem(not_served, 422, "county_code", "consultation.county_not_served")

    asked = await sides.municipality.post("/v1/consultations", json=anonymous, headers=worker)
    assert asked.status_code == 201, asked.text
    assert asked.json()["anonymous"] is True
    key = asked.json()["id"]
    seen = await arrived(sides.kela, officer, key)
    assert seen["question"]["client"] is None
    assert seen["direction"] == "incoming"

    declined = reply(
        outcome="declined",
        decline_reason="A general question: see kela.fi or call the authorities' line.",
        assessment=None,
        contact=None,
        answerer=CONSULTATION_REQUEST_EXAMPLE["asker"],
    )
    answered = await sides.kela.post(
        f"/v1/consultations/{key}/answer", json=declined, headers=officer
    )
    assert answered.status_code == 200, answered.text

    async def declined_at_county() -> dict[str, Any] | None:
        view = await arrived(sides.municipality, worker, key)
        return view if view["status"] == "declined" else None

    view = await eventually(declined_at_county)
    assert view["answer"]["decline_reason"].startswith("A general question")


async def test_past_its_deadline_a_consultation_expires_and_late_or_stray_answers_are_parked(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    now = datetime.now(UTC)
    overdue = ConsultationRequest.model_validate(
        CONSULTATION_EXAMPLE
        | {
            "consultation_id": str(uuid.uuid4()),
            "asked_at": (now - timedelta(days=10)).isoformat(),
            "due_at": (now - timedelta(days=1)).isoformat(),
            "client": None,
        }
    )
    await peer.publish(bus, overdue, sender="county-11", recipient="kela")
    key = str(overdue.consultation_id)
    view = await arrived(kela, {}, key)
    assert view["status"] == "expired"
    expired = await kela.get("/v1/consultations", params={"status": "expired"})
    assert [item["id"] for item in expired.json()["items"]] == [key]
    late = await kela.post(
        f"/v1/consultations/{key}/answer",
        json=reply(answerer=CONSULTATION_REQUEST_EXAMPLE["asker"]),
    )
    assert_problem(late, 409, "status", "consultation.not_open")

    # Kela's own question: an answer after its deadline, and one to no question, are parked
    asked = await kela.post("/v1/consultations", json=question())
    mine = asked.json()
    after = datetime.fromisoformat(mine["due_at"]) + timedelta(hours=1)
    too_late = ConsultationAnswer.model_validate(
        CONSULTATION_ANSWER_EXAMPLE
        | {"consultation_id": mine["id"], "answered_at": after.isoformat()}
    )
    stray = ConsultationAnswer.model_validate(
        CONSULTATION_ANSWER_EXAMPLE | {"consultation_id": str(uuid.uuid4())}
    )
    ids = {
        await peer.publish(bus, too_late, sender="county-11", recipient="kela"),
        await peer.publish(bus, stray, sender="county-11", recipient="kela"),
    }
    reasons = await parked_reasons(bus, kela, ids)
    assert sorted(reasons.values()) == ["consultation.expired", "consultation.unknown"]
    assert (await kela.get(f"/v1/consultations/{mine['id']}")).json()["status"] == "asked"
