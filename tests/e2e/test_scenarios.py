"""The research's two typical cases (seeds 004), walked end to end through both services.

(a) Kela reduces a client's basic amount → the automatic notice arrives → the county attempts
contact → the client is not reached → the Kela officer sees that, and a second notice for the
same client links to the first.
(b) A consented notice → the county accepts it → a client relationship starts → Kela sees the
responsible worker and reaches them through the directory → the county's statement reaches the
officer before the next application is decided.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e


async def test_a_basic_amount_reduction_client_not_reached_and_a_second_notice_links(
    any_silta, bodies, eventually
):
    silta = any_silta
    code = bodies.new_identity_code()
    reduction = bodies.basic_amount_reduction()
    reduction["client"]["identity_code"] = code

    # Kela reduces the basic amount: the automatic notice arrives at the county.
    first = await silta.send_and_deliver(reduction)
    [item] = [item for item in await silta.inbox() if item["id"] == first]
    assert (item["kind"], item["status"]) == ("basic_amount_reduction", "delivered")

    # The county tries to reach the client, and cannot.
    await silta.advance(
        first,
        {"status": "accepted"},
        {"status": "in_progress", "event": "contact_attempted"},
        {"status": "in_progress", "event": "client_not_reached"},
    )

    # The Kela officer sees it: who, when and what.
    async def not_reached_at_kela() -> dict[str, Any]:
        view = await silta.kela_view(first)
        assert view["history"][-1]["event"] == "client_not_reached"
        return view

    from_kela = await eventually(not_reached_at_kela)
    assert from_kela["status"] == "in_progress"
    assert [(c["status"], c["event"], c["changed_by"]) for c in from_kela["history"]] == [
        ("sent", None, "kela"),
        ("delivered", None, "county-11"),
        ("accepted", None, "county-11"),
        ("in_progress", "contact_attempted", "county-11"),
        ("in_progress", "client_not_reached", "county-11"),
    ]

    # A second reduction for the same client links to the first instead of starting over.
    second = bodies.basic_amount_reduction(
        decision_date="2026-05-04", period_start="2026-05-01", period_end="2026-05-31"
    )
    second["client"]["identity_code"] = code
    response = await silta.kela_http.post("/v1/referrals", json=second)
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["existing_referral"]["id"] == first
    assert problem["existing_referral"]["status"] == "in_progress"
    assert problem["errors"][0]["rule"] == "referral.duplicate_open"
    reductions = [i for i in await silta.kela_list() if i["kind"] == "basic_amount_reduction"]
    assert [i["id"] for i in reductions] == [first]


async def test_b_consented_notice_responsible_worker_directory_and_statement(
    silta, bodies, eventually
):
    notice = bodies.notice_of_need()
    assert notice["basis"]["type"] == "consent"
    code = notice["client"]["identity_code"]
    referral_id = await silta.send_and_deliver(notice)

    # The county accepts it and a client relationship starts.
    await silta.advance(
        referral_id,
        {"status": "accepted"},
        {"status": "in_progress", "event": "client_relationship_started"},
    )

    # The county's unit keeps its worker in the directory and names them for the referral.
    entry_id = await silta.add_directory_entry(bodies.county_worker_entry())
    worker = bodies.responsible_worker(entry_id)
    named = await silta.municipality_http.put(
        f"/v1/referrals/{referral_id}/responsible-worker", json=worker
    )
    assert named.status_code == 201, named.text

    # Kela sees the responsible worker, linked to the directory entry ... (a message the broker
    # refused once is published again later, so the changes may arrive in another order; the
    # sequence numbers put them in the county's order)
    async def worker_at_kela() -> dict[str, Any]:
        view = await silta.kela_view(referral_id)
        assert view["responsible_worker"] is not None, "not at Kela yet"
        assert view["responsible_worker"]["directory_entry"] is not None, "entry not at Kela yet"
        assert view["status"] == "in_progress", "the county's last change not at Kela yet"
        return view

    view = await eventually(worker_at_kela)
    assert view["status"] == "in_progress"
    assert view["history"][-1]["event"] == "client_relationship_started"
    assert view["responsible_worker"]["worker"]["phone"] == "+358 40 123 4567"
    # ... and reaches them through Kela's own copy of the directory.
    found = await silta.kela_http.get("/v1/directory", params={"county": "11", "q": "Sanna"})
    assert found.status_code == 200, found.text
    [listed] = [e for e in found.json()["items"] if e["entry_id"] == entry_id]
    assert listed["channels"][0]["value"] == "+358 40 123 4567"

    # Before Kela decides the client's next application, the county's statement is there.
    statement = bodies.statement(referral_id=referral_id)
    statement["client"]["identity_code"] = code
    sent = await silta.municipality_http.post("/v1/statements", json=statement)
    assert sent.status_code == 201, sent.text

    async def for_the_officer() -> list[dict[str, Any]]:
        response = await silta.kela_http.post("/v1/statements/search", json={"identity_code": code})
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        assert len(items) == 1, "the statement has not reached Kela yet"
        return items

    [at_kela] = await eventually(for_the_officer)
    assert at_kela["statement"]["text"] == statement["text"]
    assert at_kela["sender"] == "county-11"

    async def receipted() -> None:
        response = await silta.municipality_http.get(f"/v1/statements/{sent.json()['id']}")
        assert response.json()["received_by_kela"] is True

    await eventually(receipted)
