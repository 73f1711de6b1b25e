"""Kela's side: application transfers, cancellations, child-welfare routing and forwarding,
in-process on the real broker and both databases; the county is played on the bus."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from aio_pika.abc import AbstractChannel
from silta_messaging.topology import KELA_EXCHANGE
from silta_schemas import examples

from tests.integration.conftest import eventually, tap
from tests.integration.peer import next_message
from tests.integration.test_duplicates_and_deadlines import _expire
from tests.integration.test_kela_side import NOTICE, _status, acknowledge

TRANSFER = examples.APPLICATION_TRANSFER_EXAMPLE


def child_welfare_notice() -> dict[str, Any]:
    notice = copy.deepcopy(NOTICE)
    notice["basis"] = {
        "type": "legal_exception",
        "ground": "child_interest",
        "justification": "A child in the family needs protection; consent cannot wait.",
    }
    return notice


async def test_a_transfer_is_sent_under_section_14_with_the_decision_deadline(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    published = await tap(bus, KELA_EXCHANGE, "application_transfer.11")
    response = await kela.post("/v1/referrals", json=TRANSFER)
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["kind"], created["status"], created["county_code"]) == (
        "application_transfer",
        "sent",
        "11",
    )
    due = datetime.fromisoformat(created["due_at"])
    assert timedelta(days=7) < due - datetime.now(UTC) < timedelta(days=16)
    message = await eventually(lambda: next_message(published))
    assert message["referral_id"] == created["id"]
    assert message["purpose"] == "application_transfer"
    assert "§14" in message["legal_basis"]
    assert message["payload"]["kela_decision"] == TRANSFER["kela_decision"]


async def test_a_transfer_with_contact_details_is_refused(kela: httpx.AsyncClient) -> None:
    transfer = copy.deepcopy(TRANSFER)
    transfer["client"]["contact"] = {"phone": "+358 40 000 0000", "email": None, "address": None}
    response = await kela.post("/v1/referrals", json=transfer)
    assert response.status_code == 422
    assert {"field": "client", "rule": "client.contact_not_covered"}.items() <= (
        response.json()["errors"][0].items()
    )


async def test_forwarded_from_cannot_be_posted(kela: httpx.AsyncClient) -> None:
    notice = copy.deepcopy(NOTICE)
    notice["forwarded_from"] = {
        "referral_id": "0b6e5f8a-3f43-4c55-9b51-6f1d2a7c9e10",
        "county_code": "90",
        "reason": "Not ours.",
    }
    response = await kela.post("/v1/referrals", json=notice)
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "forwarded_from.not_allowed"


async def test_a_cancellation_reaches_the_county_and_is_final(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    published = await tap(bus, KELA_EXCHANGE, "cancellation.11")
    referral_id = (await kela.post("/v1/referrals", json=NOTICE)).json()["id"]
    missing = await kela.post(f"/v1/referrals/{referral_id}/cancel", json={})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "reason"

    response = await kela.post(
        f"/v1/referrals/{referral_id}/cancel", json=examples.CANCELLATION_REQUEST_EXAMPLE
    )
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["status"] == "cancelled"
    assert view["cancellation"]["reason"] == examples.CANCELLATION_REQUEST_EXAMPLE["reason"]
    message = await eventually(lambda: next_message(published))
    assert (message["kind"], message["referral_id"], message["recipient"]) == (
        "cancellation",
        referral_id,
        "county-11",
    )
    assert set(message["payload"]) == {"kind", "cancelled_at", "reason"}  # nothing personal

    again = await kela.post(f"/v1/referrals/{referral_id}/cancel", json={"reason": "Once more."})
    assert again.status_code == 409
    assert again.json()["errors"][0]["rule"] == "lifecycle.terminal"
    unknown = await kela.post(
        "/v1/referrals/0b6e5f8a-3f43-4c55-9b51-6f1d2a7c9e10/cancel", json={"reason": "x"}
    )
    assert unknown.status_code == 404


async def test_after_a_cancellation_the_countys_reports_only_fill_the_history(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    referral_id = UUID((await kela.post("/v1/referrals", json=NOTICE)).json()["id"])
    await kela.post(f"/v1/referrals/{referral_id}/cancel", json={"reason": "Sent in error."})
    # The county had accepted it before the cancellation arrived, then applied it.
    await acknowledge(bus, referral_id, 1, "delivered")
    await acknowledge(bus, referral_id, 2, "accepted")
    await acknowledge(bus, referral_id, 3, "cancelled", changed_by="kela", reason="Sent in error.")

    async def settled() -> dict[str, Any] | None:
        view: dict[str, Any] = (await kela.get(f"/v1/referrals/{referral_id}")).json()
        return view if len(view["history"]) == 4 else None

    view = await eventually(settled)
    assert view["status"] == "cancelled"
    assert [(c["status"], c["changed_by"]) for c in view["history"]] == [
        ("sent", "kela"),
        ("delivered", "county-11"),
        ("accepted", "county-11"),
        ("cancelled", "kela"),
    ]


async def test_a_child_welfare_notice_and_its_cancellation_go_to_the_child_welfare_queue(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    general = await tap(bus, KELA_EXCHANGE, "*.11")
    child_welfare = await tap(bus, KELA_EXCHANGE, "*.11.child_welfare")
    response = await kela.post("/v1/referrals", json=child_welfare_notice())
    assert response.status_code == 201, response.text
    referral_id = response.json()["id"]
    await kela.post(f"/v1/referrals/{referral_id}/cancel", json={"reason": "Sent in error."})
    notice = await eventually(lambda: next_message(child_welfare))
    cancellation = await eventually(lambda: next_message(child_welfare))
    assert (notice["kind"], notice["referral_id"]) == ("notice_of_need", referral_id)
    assert "417/2007 §25" in notice["legal_basis"]
    assert (cancellation["kind"], cancellation["referral_id"]) == ("cancellation", referral_id)
    assert general.empty()


async def test_a_forwarded_referral_goes_on_to_the_right_county_and_kela_sees_the_chain(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    to_helsinki = await tap(bus, KELA_EXCHANGE, "notice_of_need.90")
    first = (await kela.post("/v1/referrals", json=NOTICE)).json()
    first_id = UUID(first["id"])
    reason = "The client moved to Helsinki before the notice was made."
    await acknowledge(bus, first_id, 1, "delivered")

    async def forward() -> None:
        await acknowledge(
            bus,
            first_id,
            2,
            "forwarded",
            reason=reason,
            forwarded_to_county="90",
            forwarded_to_municipality="091",
        )

    await forward()
    sent_on = await eventually(lambda: next_message(to_helsinki))
    second_id = sent_on["referral_id"]
    assert second_id != str(first_id)
    assert sent_on["recipient"] == "county-90"
    assert sent_on["payload"]["client"]["municipality_code"] == "091"
    assert sent_on["payload"]["forwarded_from"] == {
        "referral_id": str(first_id),
        "county_code": "11",
        "reason": reason,
    }
    assert sent_on["payload"]["description"] == NOTICE["description"]

    view = await eventually(lambda: _status(kela, first_id, "forwarded"))
    assert view["forwarded_to"] == second_id
    assert view["final_county_code"] == "90"
    assert [(leg["county_code"], leg["status"]) for leg in view["chain"]] == [
        ("11", "forwarded"),
        ("90", "sent"),
    ]
    assert view["history"][-1]["forwarded_to_county"] == "90"
    second = (await kela.get(f"/v1/referrals/{second_id}")).json()
    assert second["forwarded_from"] == str(first_id)
    assert second["chain"] == view["chain"]

    # The same forwarding reported twice sends nothing more.
    await forward()
    listed = (await kela.get("/v1/referrals")).json()["items"]
    assert sorted(item["county_code"] for item in listed) == ["11", "90"]


async def test_a_transfer_stays_overdue_until_the_county_has_decided(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    created = (await kela.post("/v1/referrals", json=TRANSFER)).json()
    await _expire(kela, created["id"])
    referral_id = UUID(created["id"])

    async def overdue_ids() -> list[str]:
        listed = (await kela.get("/v1/referrals", params={"overdue": "true"})).json()["items"]
        return [item["id"] for item in listed]

    await acknowledge(bus, referral_id, 1, "delivered")
    await acknowledge(bus, referral_id, 2, "accepted")
    await acknowledge(bus, referral_id, 3, "in_progress", event="client_reached")
    view = await eventually(lambda: _status(kela, referral_id, "in_progress"))
    assert view["overdue"] is True  # a notice would no longer be: the county has reacted
    assert await overdue_ids() == [created["id"]]
    await acknowledge(bus, referral_id, 4, "completed", outcome="decided")
    view = await eventually(lambda: _status(kela, referral_id, "completed"))
    assert view["overdue"] is False
    assert await overdue_ids() == []


async def test_a_cancellation_too_late_leaves_the_countys_ending_visible(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    """The county had already closed the referral when Kela cancelled it: Kela shows how it
    ended, and keeps its cancellation attempt on record."""
    referral_id = UUID((await kela.post("/v1/referrals", json=NOTICE)).json()["id"])
    await kela.post(f"/v1/referrals/{referral_id}/cancel", json={"reason": "Sent in error."})
    await acknowledge(bus, referral_id, 1, "delivered")
    await acknowledge(bus, referral_id, 2, "rejected", reason="Not ours to handle.")
    view = await eventually(lambda: _status(kela, referral_id, "rejected"))
    assert view["cancellation"]["reason"] == "Sent in error."
    assert [c["status"] for c in view["history"]] == ["sent", "delivered", "rejected"]
