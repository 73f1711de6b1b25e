"""The officer deciding a client's basic social assistance application (seed 004: make municipal
cooperation a natural part of processing the application; seeds 003 and 004: consultations about
individual clients), walked end to end through both services as real processes and the real
broker.

(c) Kela sends a notice of need; the county accepts it, names a responsible worker listed in its
own part of the directory and sends a statement. The deciding officer opens the client's
cooperation view: the referral accepted at the county, the worker with their directory contact,
the statement. The officer asks the county a consultation with the client's consent; it shows as
open in the view until the social worker answers it within its purposes; the officer reads the
answer before deciding. The client's access request then finds the officer's reads under the
decision and consultation purposes, and no log line holds the identity code.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e

DECISION = "social_assistance.decision"
CONSULTATION = "consultation"


async def test_c_the_deciding_officer_sees_the_cooperation_and_gets_a_consultation_answered(
    any_silta, bodies, eventually
):
    silta = any_silta
    officer = silta.user("kela_benefit_officer", subject="kela-officer-0042")
    worker = silta.user("county_social_worker", subject="county-11-worker-0007", county="11")
    contact = silta.user("kela_cooperation_contact", subject="kela-contact-0003")

    # 1. Kela's notice reaches the county; the social worker accepts it, names a responsible
    # worker from the county's own part of the directory and sends Kela a statement.
    notice = bodies.notice_of_need()
    code = notice["client"]["identity_code"]
    referral_id = await silta.send_and_deliver(notice)
    [delivered] = [item for item in await silta.inbox() if item["id"] == referral_id]
    assert delivered["status"] == "delivered"
    accepted = await silta.set_status(referral_id, {"status": "accepted"})
    assert accepted.status_code == 200, accepted.text
    entry_id = await silta.add_directory_entry(bodies.county_worker_entry())
    named = await silta.municipality_http.put(
        f"/v1/referrals/{referral_id}/responsible-worker",
        json=bodies.responsible_worker(entry_id),
        headers=worker,
    )
    assert named.status_code == 201, named.text
    statement = bodies.statement(referral_id=referral_id)
    statement["client"]["identity_code"] = code
    sent = await silta.municipality_http.post("/v1/statements", json=statement, headers=worker)
    assert sent.status_code == 201, sent.text
    statement_id = sent.json()["id"]

    # 2. The deciding officer opens the client's cooperation view.
    async def cooperation() -> dict[str, Any]:
        response = await silta.kela_http.post(
            "/v1/clients/cooperation", json={"identity_code": code}, headers=officer
        )
        assert response.status_code == 200, response.text
        assert code not in response.text
        view: dict[str, Any] = response.json()
        return view

    async def everything_arrived() -> dict[str, Any]:
        view = await cooperation()
        [referral] = view["referrals"]
        assert referral["status"] == "accepted", "the acceptance is not at Kela yet"
        assert referral["responsible_worker"] is not None, "no responsible worker at Kela yet"
        assert referral["responsible_worker"]["directory_entry"] is not None, "no entry yet"
        assert view["statements"], "the statement is not at Kela yet"
        return view

    view = await eventually(everything_arrived)
    [referral] = view["referrals"]
    assert (referral["id"], referral["kind"]) == (referral_id, "notice_of_need")
    assert (referral["county_code"], referral["recipient"]) == ("11", "county-11")
    responsible = referral["responsible_worker"]
    assert responsible["worker"]["name"] == "Sanna Sosiaalityöntekijä"
    assert responsible["directory_entry_id"] == entry_id
    assert responsible["directory_entry"]["unit"] == "Aikuissosiaalityö, Lappeenranta"
    assert responsible["directory_entry"]["channels"][0]["value"] == "+358 40 123 4567"
    [listed] = view["statements"]
    assert (listed["id"], listed["county_code"], listed["referral_id"]) == (
        statement_id,
        "11",
        referral_id,
    )
    assert "text" not in listed  # the view lists it; its content is opened on its own
    assert view["consultations"] == []
    opened = await silta.kela_http.get(f"/v1/statements/{statement_id}", headers=officer)
    assert opened.status_code == 200, opened.text
    assert opened.json()["statement"]["text"] == statement["text"]
    assert opened.json()["sender"] == "county-11"

    # 3. The officer asks the county, with the client's consent; the question shows as open.
    asked = await silta.kela_http.post(
        "/v1/consultations", json=bodies.consultation(code), headers=officer
    )
    assert asked.status_code == 201, asked.text
    consultation_id = asked.json()["id"]
    [open_one] = (await cooperation())["consultations"]
    assert (open_one["id"], open_one["status"]) == (consultation_id, "asked")
    assert (open_one["direction"], open_one["county_code"]) == ("outgoing", "11")

    async def incoming_at_county() -> None:
        response = await silta.municipality_http.get(
            "/v1/consultations", params={"direction": "incoming", "status": "asked"}, headers=worker
        )
        assert response.status_code == 200, response.text
        assert [item["id"] for item in response.json()["items"]] == [consultation_id]

    await eventually(incoming_at_county)
    question = await silta.municipality_http.get(
        f"/v1/consultations/{consultation_id}", headers=worker
    )
    assert question.status_code == 200, question.text
    purposes = ["situation_assessment", "contact_person"]
    assert question.json()["question"]["purposes"] == purposes
    answer_path = f"/v1/consultations/{consultation_id}/answer"
    beyond = await silta.municipality_http.post(
        answer_path, json=bodies.consultation_answer(client_of_services=True), headers=worker
    )
    assert beyond.status_code == 422, beyond.text
    assert beyond.json()["errors"][0]["rule"] == "consultation_answer.beyond_purpose"
    answer = bodies.consultation_answer()
    answered = await silta.municipality_http.post(answer_path, json=answer, headers=worker)
    assert answered.status_code == 200, answered.text

    async def answered_at_kela() -> dict[str, Any]:
        response = await silta.kela_http.get(
            f"/v1/consultations/{consultation_id}", headers=officer
        )
        assert response.status_code == 200, response.text
        got: dict[str, Any] = response.json()
        assert got["status"] == "answered", got["status"]
        return got

    got = await eventually(answered_at_kela)
    assert got["answer"]["assessment"] == answer["assessment"]
    assert got["answer"]["contact"]["phone"] == "+358 40 123 4567"
    assert got["answer"]["purposes"] == purposes
    assert got["answer"]["client_of_services"] is None
    assert (await cooperation())["consultations"] == []

    # 4. The client's access request finds the officer's reads, each under its purpose.
    log = await silta.kela_http.post(
        "/v1/access-log/search", json={"identity_code": code}, headers=contact
    )
    assert log.status_code == 200, log.text
    assert code not in log.text
    by_officer = [e for e in log.json()["items"] if e["subject"] == "kela-officer-0042"]
    assert {(e["organisation"], e["role"], e["channel"]) for e in by_officer} == {
        ("kela", "kela_benefit_officer", "http")
    }
    seen = {(e["action"], e["resource"], e["resource_id"], e["purpose"]) for e in by_officer}
    assert seen >= {
        ("read", "referral", referral_id, DECISION),
        ("read", "statement", statement_id, DECISION),
        ("read", "consultation", consultation_id, DECISION),
        ("create", "consultation", consultation_id, CONSULTATION),
        ("read", "consultation", consultation_id, CONSULTATION),
    }
    assert {purpose for *_, purpose in seen} == {DECISION, CONSULTATION}

    await silta.stop()
    silta.assert_no_identity_code_in_logs(code)
