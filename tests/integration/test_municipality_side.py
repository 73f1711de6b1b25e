"""The municipality side's consumer and API, in-process, on the real broker and both databases."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx
import pytest
from aio_pika.abc import AbstractChannel
from silta_schemas import examples

from tests.integration.conftest import Acks, eventually
from tests.integration.peer import assert_problem, deliver, delivered, in_inbox, next_message
from tests.status_fields import ACKNOWLEDGEMENT_FIELDS


async def test_a_delivered_notice_is_stored_and_acknowledged_automatically(
    municipality: httpx.AsyncClient, bus: AbstractChannel, acks: Acks
) -> None:
    referral_id = await deliver(bus)

    view = await eventually(lambda: in_inbox(municipality, referral_id))
    assert view["status"] == "delivered"
    assert view["referral"]["client"]["identity_code"] == "131052-308T"
    assert [(c["status"], c["changed_by"]) for c in view["history"]] == [("delivered", "county-11")]
    inbox = (await municipality.get("/v1/referrals", params={"status": "delivered"})).json()
    assert [item["id"] for item in inbox["items"]] == [str(referral_id)]
    assert "client" not in inbox["items"][0]  # the list carries no personal data
    ack = await eventually(lambda: next_message(acks))
    assert ack["sender"] == "county-11"
    assert ack["recipient"] == "kela"
    assert ack["payload"]["status"] == "delivered"
    assert ack["payload"]["sequence"] == 1
    assert (
        set(ack["payload"]) <= ACKNOWLEDGEMENT_FIELDS
    )  # status only: never the content of the case


async def test_the_lifecycle_is_enforced_and_every_change_reaches_kela(
    municipality: httpx.AsyncClient, bus: AbstractChannel, acks: Acks
) -> None:
    referral_id = await delivered(bus, municipality)
    path = f"/v1/referrals/{referral_id}/status"

    skip = await municipality.post(path, json={"status": "completed", "outcome": "no_need_found"})
    assert skip.status_code == 409
    assert skip.headers["content-type"] == "application/problem+json"
    assert skip.json()["errors"][0] == {
        "field": "status",
        "rule": "lifecycle.skip",
        "message": skip.json()["detail"],
    }
    steps = [
        {"status": "accepted"},
        {"status": "in_progress", "event": "contact_attempted"},
        {"status": "in_progress", "event": "client_not_reached"},
        {"status": "completed", "outcome": "not_reached_after_attempts"},
    ]
    for step in steps:
        response = await municipality.post(path, json=step)
        assert response.status_code == 200, response.text
    assert response.json()["status"] == "completed"
    terminal = await municipality.post(path, json={"status": "accepted"})
    assert terminal.status_code == 409
    assert terminal.json()["errors"][0]["rule"] == "lifecycle.terminal"

    received = [(await eventually(lambda: next_message(acks)))["payload"] for _ in range(5)]
    assert [(a["sequence"], a["status"]) for a in received] == [
        (1, "delivered"),
        (2, "accepted"),
        (3, "in_progress"),
        (4, "in_progress"),
        (5, "completed"),
    ]
    assert received[3]["event"] == "client_not_reached"
    assert received[4]["outcome"] == "not_reached_after_attempts"


@pytest.mark.parametrize(
    ("update", "field", "rule"),
    [
        ({"status": "in_progress"}, "event", "status.event_required"),
        ({"status": "rejected"}, "reason", "status.reason_required"),
        ({"status": "sent"}, "status", "literal_error"),
        ({"status": "accepted", "note": "x"}, "body", "extra_forbidden"),
    ],
)
async def test_an_invalid_status_update_gets_problem_details(
    municipality: httpx.AsyncClient,
    bus: AbstractChannel,
    update: dict[str, Any],
    field: str,
    rule: str,
) -> None:
    referral_id = await delivered(bus, municipality)
    response = await municipality.post(f"/v1/referrals/{referral_id}/status", json=update)
    assert_problem(response, 422, field, rule)


async def test_decided_is_not_an_outcome_for_a_notice_of_need(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    referral_id = await delivered(bus, municipality)
    path = f"/v1/referrals/{referral_id}/status"
    for step in ({"status": "accepted"}, {"status": "in_progress", "event": "client_reached"}):
        assert (await municipality.post(path, json=step)).status_code == 200
    response = await municipality.post(path, json={"status": "completed", "outcome": "decided"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "status.outcome_not_for_kind"
    assert (await in_inbox(municipality, referral_id))["status"] == "in_progress"  # type: ignore[index]


async def test_a_basic_amount_reduction_notice_is_received(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    referral_id = await deliver(bus, copy.deepcopy(examples.BASIC_AMOUNT_REDUCTION_EXAMPLE))
    view = await eventually(lambda: in_inbox(municipality, referral_id))
    assert view["kind"] == "basic_amount_reduction"
    assert view["referral"]["reduction_percent"] == 20


async def test_unknown_referral_is_404(municipality: httpx.AsyncClient) -> None:
    response = await municipality.post(
        f"/v1/referrals/{uuid.uuid4()}/status", json={"status": "accepted"}
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
