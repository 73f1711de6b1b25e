"""On hold with a required reason code, and resumed; a transfer decided once accepted. The
county side in-process on the real broker and both databases, Kela played on the bus (and
Kela's side applying what the county reports)."""

from __future__ import annotations

import copy
from uuid import UUID

import httpx
from aio_pika.abc import AbstractChannel
from silta_schemas import examples

from tests.integration.conftest import Acks, body, eventually
from tests.integration.peer import assert_problem, deliver, delivered, in_inbox
from tests.integration.test_kela_side import NOTICE, _status, acknowledge


async def _post(
    municipality: httpx.AsyncClient, referral_id: UUID, **update: str
) -> httpx.Response:
    return await municipality.post(f"/v1/referrals/{referral_id}/status", json=update)


async def test_on_hold_needs_a_reason_code_and_resumes(
    municipality: httpx.AsyncClient, bus: AbstractChannel, acks: Acks
) -> None:
    referral_id = await delivered(bus, municipality)
    assert (await _post(municipality, referral_id, status="accepted")).status_code == 200

    held = await _post(
        municipality, referral_id, status="on_hold", hold_reason="awaiting_client_documents"
    )

    assert held.status_code == 200, held.text
    assert held.json()["status"] == "on_hold"
    assert held.json()["history"][-1]["hold_reason"] == "awaiting_client_documents"
    sent = [body(await acks.get()) for _ in range(3)]  # delivered, accepted, on hold
    on_hold = sent[-1]["payload"]
    assert (on_hold["status"], on_hold["hold_reason"], on_hold["reason"]) == (
        "on_hold",
        "awaiting_client_documents",
        None,
    )

    early = await _post(municipality, referral_id, status="completed", outcome="no_need_found")
    assert_problem(early, 409, "status", "lifecycle.skip")
    not_resumed = await _post(
        municipality, referral_id, status="in_progress", event="client_reached"
    )
    assert_problem(not_resumed, 422, "event", "status.resumed")
    resumed = await _post(municipality, referral_id, status="in_progress", event="resumed")
    assert resumed.status_code == 200, resumed.text
    statuses = " ".join(change["status"] for change in resumed.json()["history"])
    assert statuses == "delivered accepted on_hold in_progress"
    assert resumed.json()["history"][-1]["hold_reason"] is None
    again = await _post(municipality, referral_id, status="in_progress", event="resumed")
    assert_problem(again, 422, "event", "status.resumed")


async def test_on_hold_refuses_no_reason_free_text_and_unknown_codes(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    referral_id = await delivered(bus, municipality)
    await _post(municipality, referral_id, status="accepted")
    secret = "The client is in hospital for psychosis."

    assert_problem(
        await _post(municipality, referral_id, status="on_hold"),
        422,
        "hold_reason",
        "status.hold_reason_required",
    )
    assert_problem(
        await _post(
            municipality, referral_id, status="on_hold", hold_reason="other", reason=secret
        ),
        422,
        "reason",
        "status.reason_not_allowed",
        secret,
    )
    assert_problem(
        await _post(municipality, referral_id, status="on_hold", hold_reason="in_hospital"),
        422,
        "hold_reason",
        "enum",
        "in_hospital",
    )
    assert_problem(
        await _post(
            municipality,
            referral_id,
            status="in_progress",
            event="client_reached",
            hold_reason="other",
        ),
        422,
        "hold_reason",
        "status.hold_reason_not_allowed",
    )
    assert (await in_inbox(municipality, referral_id) or {})["status"] == "accepted"


async def test_a_transfer_is_decided_once_accepted(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    transfer = await deliver(bus, copy.deepcopy(examples.APPLICATION_TRANSFER_EXAMPLE))
    notice = await delivered(bus, municipality)
    await eventually(lambda: in_inbox(municipality, transfer))
    for referral_id in (transfer, notice):
        assert (await _post(municipality, referral_id, status="accepted")).status_code == 200

    decided = await _post(municipality, transfer, status="completed", outcome="decided")
    skipped = await _post(municipality, notice, status="completed", outcome="no_need_found")

    assert decided.status_code == 200, decided.text
    assert (
        " ".join(c["status"] for c in decided.json()["history"]) == "delivered accepted completed"
    )
    assert_problem(skipped, 409, "status", "lifecycle.skip")


async def test_kela_shows_the_hold_and_its_reason(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    referral_id = UUID((await kela.post("/v1/referrals", json=NOTICE)).json()["id"])
    await acknowledge(bus, referral_id, 1, "delivered")
    await acknowledge(bus, referral_id, 2, "accepted")
    await acknowledge(bus, referral_id, 3, "on_hold", hold_reason="awaiting_other_authority")

    view = await eventually(lambda: _status(kela, referral_id, "on_hold"))

    assert view["history"][-1]["hold_reason"] == "awaiting_other_authority"
    assert view["history"][-1]["changed_by"] == "county-11"
    listed = (await kela.get("/v1/referrals", params={"status": "on_hold"})).json()["items"]
    assert [item["id"] for item in listed] == [str(referral_id)]
