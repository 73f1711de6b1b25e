"""Decisions back to Kela: a county tells Kela that a supplementary or preventive assistance
decision or an activation plan was made for a client; Kela's officer lists them per client.
In-process on the real broker, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx
from aio_pika.abc import AbstractChannel
from silta_platform.authorisation import Role, Side
from silta_schemas.cooperation_examples import (
    DECISION_NOTICE_EXAMPLE,
    DECISION_NOTICE_RECEIPT_EXAMPLE,
    DECISION_NOTICE_REQUEST_EXAMPLE,
    DEFAULT_DECISION_NOTICE_BASIS,
)
from silta_schemas.decisions import DecisionNotice, DecisionNoticeReceipt

from tests.integration import peer
from tests.integration.conftest import Both, eventually
from tests.integration.peer import assert_problem, parked_reasons

CODE = DECISION_NOTICE_REQUEST_EXAMPLE["client"]["identity_code"]
OTHER_CLIENT = "010594Y9032"


def request(identity_code: str = CODE, **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(DECISION_NOTICE_REQUEST_EXAMPLE)
    body["client"]["identity_code"] = identity_code
    return body | changes


async def search(sides: Both, identity_code: str) -> list[dict[str, Any]]:
    officer = sides.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)
    response = await sides.kela.post(
        "/v1/decision-notices/search", json={"identity_code": identity_code}, headers=officer
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_the_county_tells_kela_of_decisions_and_the_officer_lists_them_per_client(
    sides: Both,
) -> None:
    worker = sides.token(Side.MUNICIPALITY, Role.COUNTY_SOCIAL_WORKER)
    sent = []
    for body in (
        request(decided_on="2026-03-02", decision_type="preventive_assistance", outcome="refused"),
        request(decided_on="2026-03-10"),
        request(decided_on="2026-03-05", decision_type="activation_plan", outcome=None),
        request(OTHER_CLIENT),
    ):
        response = await sides.municipality.post("/v1/decision-notices", json=body, headers=worker)
        assert response.status_code == 201, response.text
        assert CODE not in response.text
        sent.append(response.json()["id"])

    async def at_kela() -> list[dict[str, Any]] | None:
        found = await search(sides, CODE)
        return found if len(found) == 3 else None

    found = await eventually(at_kela)
    assert [item["id"] for item in found] == [sent[1], sent[2], sent[0]]
    assert [(i["decision_type"], i["decided_on"], i["outcome"]) for i in found] == [
        ("supplementary_assistance", "2026-03-10", "granted"),
        ("activation_plan", "2026-03-05", None),
        ("preventive_assistance", "2026-03-02", "refused"),
    ]
    assert {(i["sender"], i["county_code"]) for i in found} == {("county-11", "11")}
    assert {i["legal_basis"] for i in found} == {DEFAULT_DECISION_NOTICE_BASIS}
    assert CODE not in str(found)  # the officer searched with it; it is not echoed
    assert [i["id"] for i in await eventually(lambda: search(sides, OTHER_CLIENT))] == [sent[3]]
    assert await search(sides, "311299-999E") == []

    # every notice the officer read is in Kela's access log, under the officer's name
    contact = sides.token(Side.KELA, Role.KELA_COOPERATION_CONTACT)
    log = await sides.kela.post(
        "/v1/access-log/search", json={"identity_code": CODE}, headers=contact
    )
    entries = [e for e in log.json()["items"] if e["resource"] == "decision_notice"]
    assert {e["resource_id"] for e in entries if e["action"] == "read"} == set(sent[:3])
    assert {e["resource_id"] for e in entries if e["action"] == "create"} == set(sent[:3])

    # the county lists what it sent without personal data, each with Kela's receipt
    async def receipted() -> dict[str, Any] | None:
        page = await sides.municipality.get("/v1/decision-notices", headers=worker)
        items = page.json()["items"]
        return page if all(item["received_by_kela_at"] for item in items) else None

    listed = await eventually(receipted)
    assert {item["id"] for item in listed.json()["items"]} == set(sent)
    assert CODE not in listed.text
    one = await sides.municipality.get(f"/v1/decision-notices/{sent[2]}", headers=worker)
    assert one.status_code == 200
    assert one.json()["notice"]["decision_type"] == "activation_plan"
    assert one.json()["notice"]["client"]["identity_code"] == CODE
    lead = sides.token(Side.MUNICIPALITY, Role.COUNTY_UNIT_LEAD)
    log = await sides.municipality.post(
        "/v1/access-log/search", json={"identity_code": CODE}, headers=lead
    )
    reads = [e for e in log.json()["items"] if e["resource"] == "decision_notice"]
    assert {(e["action"], e["resource_id"]) for e in reads} >= {("read", sent[2])}

    # another county's worker sees none of it
    other = sides.token(Side.MUNICIPALITY, Role.COUNTY_SOCIAL_WORKER, county="90")
    assert (await sides.municipality.get("/v1/decision-notices", headers=other)).json() == {
        "items": []
    }
    missing = await sides.municipality.get(f"/v1/decision-notices/{sent[2]}", headers=other)
    assert missing.status_code == 404


async def test_the_rules_on_send(sides: Both) -> None:
    worker = sides.token(Side.MUNICIPALITY, Role.COUNTY_SOCIAL_WORKER)
    post = sides.municipality.post
    no_outcome = await post("/v1/decision-notices", json=request(outcome=None), headers=worker)
    assert_problem(no_outcome, 422, "outcome", "decision_notice.outcome_required", CODE)
    content = await post("/v1/decision-notices", json=request(amount="420 euros"), headers=worker)
    assert_problem(content, 422, "body", "extra_forbidden", "420 euros")
    helsinki = await post("/v1/decision-notices", json=request(county_code="90"), headers=worker)
    assert_problem(helsinki, 422, "county_code", "decision_notice.county_not_served", CODE)

    key = {"Idempotency-Key": f"notice-{uuid.uuid4()}"}
    first = await post("/v1/decision-notices", json=request(), headers=worker | key)
    again = await post("/v1/decision-notices", json=request(), headers=worker | key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert again.headers["Location"] == f"/v1/decision-notices/{first.json()['id']}"
    reused = await post(
        "/v1/decision-notices", json=request(outcome="refused"), headers=worker | key
    )
    assert reused.status_code == 422
    officer = sides.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)
    assert (
        await sides.kela.post(
            "/v1/decision-notices/search", json={"identity_code": CODE + "x"}, headers=officer
        )
    ).status_code == 422


async def test_kela_parks_a_notice_under_a_basis_it_does_not_accept_or_with_another_countys_id(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    notice = DecisionNotice.model_validate(
        DECISION_NOTICE_EXAMPLE | {"notice_id": str(uuid.uuid4())}
    )
    other_basis = DecisionNotice.model_validate(
        DECISION_NOTICE_EXAMPLE
        | {"notice_id": str(uuid.uuid4()), "legal_basis": "Social Welfare Act 1301/2014 §41"}
    )
    await peer.publish(bus, notice, sender="county-11", recipient="kela")
    repeated = await peer.publish(bus, notice, sender="county-11", recipient="kela")
    unaccepted = await peer.publish(bus, other_basis, sender="county-11", recipient="kela")
    taken = await peer.publish(bus, notice, sender="county-90", recipient="kela")
    assert await parked_reasons(bus, kela, {unaccepted, taken}) == {
        unaccepted: "decision_notice.legal_basis_not_accepted",
        taken: "decision_notice.duplicate_id",
    }
    found = await kela.post("/v1/decision-notices/search", json={"identity_code": CODE})
    assert [item["id"] for item in found.json()["items"]] == [str(notice.notice_id)]
    assert repeated  # the repeat was taken (not parked) and stored nothing more


async def test_the_county_parks_a_receipt_of_no_notice_it_sent(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    stray = DecisionNoticeReceipt.model_validate(
        DECISION_NOTICE_RECEIPT_EXAMPLE | {"notice_id": str(uuid.uuid4())}
    )
    message = await peer.publish(bus, stray, sender="kela", recipient="county-11")
    assert await parked_reasons(bus, municipality, {message}) == {
        message: "decision_notice.unknown"
    }
