"""Transfers, cancellations, forwarding and child welfare through both services as real
processes and the real broker, as Kela's case system and the county's system use them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.status_fields import STATUS_CHANGE_FIELDS

pytestmark = pytest.mark.e2e


async def test_a_transfer_is_decided_and_kela_sees_the_decision(any_silta, bodies):
    silta = any_silta
    transfer = bodies.application_transfer()
    referral_id = await silta.send_and_deliver(transfer)
    [item] = [item for item in await silta.inbox() if item["id"] == referral_id]
    assert item["kind"] == "application_transfer"
    assert item["due_at"] is not None
    view = await silta.municipality_view(referral_id)
    assert view["referral"]["kela_decision"] == transfer["kela_decision"]
    assert view["referral"]["applicant_request"] == transfer["applicant_request"]

    await silta.advance(
        referral_id,
        {"status": "accepted"},
        {"status": "in_progress", "event": "client_reached"},
        {"status": "completed", "outcome": "decided"},
    )
    kela = await silta.wait_kela_status(referral_id, "completed")
    assert kela["history"][-1]["outcome"] == "decided"
    assert kela["overdue"] is False
    # Only the fact and date of the decision cross back, never its content.
    assert set(kela["history"][-1]) == STATUS_CHANGE_FIELDS


async def test_kela_cancels_and_the_county_sees_it_at_once(silta, bodies, eventually):
    referral_id = await silta.send_and_deliver(bodies.notice_of_need())
    assert (await silta.set_status(referral_id, {"status": "accepted"})).status_code == 200
    await silta.wait_kela_status(referral_id, "accepted")

    response = await silta.kela_http.post(
        f"/v1/referrals/{referral_id}/cancel", json={"reason": "Sent about the wrong client."}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"

    async def cancelled_at_county() -> dict[str, Any]:
        view = await silta.municipality_view(referral_id)
        assert view["status"] == "cancelled"
        return view

    view = await eventually(cancelled_at_county)
    assert (view["history"][-1]["changed_by"], view["history"][-1]["reason"]) == (
        "kela",
        "Sent about the wrong client.",
    )
    refused = await silta.set_status(
        referral_id, {"status": "in_progress", "event": "client_reached"}
    )
    assert refused.status_code == 409

    async def confirmed_at_kela() -> dict[str, Any]:
        kela = await silta.kela_view(referral_id)
        assert [c["status"] for c in kela["history"]] == [
            "sent",
            "delivered",
            "accepted",
            "cancelled",
        ]
        return kela

    kela = await eventually(confirmed_at_kela)
    assert kela["status"] == "cancelled"
    assert kela["cancellation"]["reason"] == "Sent about the wrong client."


async def test_a_county_forwards_and_kela_sees_the_chain_and_the_final_county(
    silta, bodies, eventually
):
    notice = bodies.notice_of_need()
    first = await silta.send_and_deliver(notice)
    forward = {
        "status": "forwarded",
        "reason": "Not ours: the client moved to Helsinki.",
        "forwarded_to_municipality": "091",
    }
    response = await silta.set_status(first, forward)
    assert response.status_code == 200, response.text

    async def chain_complete() -> dict[str, Any]:
        view = await silta.kela_view(first)
        assert [(leg["county_code"], leg["status"]) for leg in view["chain"]] == [
            ("11", "forwarded"),
            ("90", "delivered"),
        ]
        return view

    view = await eventually(chain_complete)
    assert view["status"] == "forwarded"
    assert view["final_county_code"] == "90"
    second = view["forwarded_to"]
    at_helsinki = await silta.municipality_view(second)
    assert at_helsinki["county_code"] == "90"
    assert at_helsinki["referral"]["forwarded_from"] == {
        "referral_id": first,
        "county_code": "11",
        "reason": forward["reason"],
    }
    assert at_helsinki["referral"]["client"]["identity_code"] == notice["client"]["identity_code"]
    # The right county works on it; Kela follows it through the same chain.
    assert (await silta.set_status(second, {"status": "accepted"})).status_code == 200
    final = await silta.wait_kela_status(second, "accepted")
    assert final["forwarded_from"] == first
    assert final["final_county_code"] == "90"


async def test_a_child_welfare_notice_reaches_the_child_welfare_queue(silta, bodies, bus):
    referral_id = await silta.send_and_deliver(bodies.child_welfare_notice())
    [item] = await silta.inbox(child_welfare="true")
    assert (item["id"], item["child_welfare"]) == (referral_id, True)
    assert referral_id not in {item["id"] for item in await silta.inbox(child_welfare="false")}
    view = await silta.municipality_view(referral_id)
    assert view["referral"]["basis"]["ground"] == "child_interest"
    child_welfare_queue = silta.municipality.settings["CHILD_WELFARE_QUEUE_NAME"]
    assert await bus.consumer_count(child_welfare_queue) >= 1
