"""The county side: transfers, Kela's cancellations, the child-welfare queue and forwarding,
in-process on the real broker and both databases; Kela is played on the bus."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from aio_pika.abc import AbstractChannel
from silta_messaging.topology import REASON_HEADER
from silta_schemas import examples
from silta_schemas.cancellation import Cancellation

from tests.integration.conftest import Acks, eventually
from tests.integration.peer import deliver, delivered, in_inbox, next_message, publish
from tests.integration.test_kela_transfers_cancellations import child_welfare_notice


async def cancel(bus: AbstractChannel, referral_id: UUID, key: str = "cancellation.11") -> None:
    payload = Cancellation(
        kind="cancellation", cancelled_at=datetime.now(UTC), reason="Sent in error."
    )
    await publish(
        bus, payload, sender="kela", recipient="county-11", referral_id=referral_id, routing_key=key
    )


async def test_a_transfer_is_received_with_its_decision_deadline(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    referral_id = await deliver(bus, copy.deepcopy(examples.APPLICATION_TRANSFER_EXAMPLE))
    view = await eventually(lambda: in_inbox(municipality, referral_id))
    assert (view["kind"], view["status"], view["child_welfare"]) == (
        "application_transfer",
        "delivered",
        False,
    )
    assert view["referral"]["expense_categories"] == ["moving_costs", "household_equipment"]
    due = datetime.fromisoformat(view["due_at"])
    assert timedelta(days=7) < due - datetime.now(UTC) < timedelta(days=16)
    path = f"/v1/referrals/{referral_id}/status"
    for step in ({"status": "accepted"}, {"status": "in_progress", "event": "client_reached"}):
        assert (await municipality.post(path, json=step)).status_code == 200
    decided = await municipality.post(path, json={"status": "completed", "outcome": "decided"})
    assert decided.status_code == 200, decided.text
    assert decided.json()["history"][-1]["outcome"] == "decided"


async def test_a_cancellation_cancels_at_once_and_is_reported_as_kelas_change(
    municipality: httpx.AsyncClient, bus: AbstractChannel, acks: Acks
) -> None:
    referral_id = await delivered(bus, municipality)
    path = f"/v1/referrals/{referral_id}/status"
    assert (await municipality.post(path, json={"status": "accepted"})).status_code == 200
    await cancel(bus, referral_id)

    async def cancelled() -> dict[str, Any] | None:
        view = await in_inbox(municipality, referral_id)
        return view if view and view["status"] == "cancelled" else None

    view = await eventually(cancelled)
    assert view["history"][-1] | {"changed_at": None} == {
        "sequence": 3,
        "status": "cancelled",
        "event": None,
        "outcome": None,
        "hold_reason": None,
        "reason": "Sent in error.",
        "forwarded_to_county": None,
        "changed_at": None,
        "changed_by": "kela",
        "changed_by_unit": None,
        "changed_by_worker": None,
    }
    listed = (await municipality.get("/v1/referrals", params={"status": "cancelled"})).json()
    assert [item["id"] for item in listed["items"]] == [str(referral_id)]
    late = await municipality.post(path, json={"status": "in_progress", "event": "client_reached"})
    assert late.status_code == 409
    received = [(await eventually(lambda: next_message(acks)))["payload"] for _ in range(3)]
    assert [(a["sequence"], a["status"], a["changed_by"]) for a in received] == [
        (1, "delivered", "county-11"),
        (2, "accepted", "county-11"),
        (3, "cancelled", "kela"),
    ]


async def test_a_cancellation_too_late_or_for_an_unknown_referral_is_parked(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    referral_id = await delivered(bus, municipality)
    path = f"/v1/referrals/{referral_id}/status"
    assert (
        await municipality.post(path, json={"status": "rejected", "reason": "Not for us."})
    ).status_code == 200
    await cancel(bus, referral_id)
    await cancel(bus, uuid.uuid4())
    parking = await bus.declare_queue(
        f"{municipality.headers['x-test-queue']}.parked", passive=True
    )

    async def parked() -> list[str] | None:
        seen = []
        while (message := await parking.get(fail=False)) is not None:
            await message.ack()
            seen.append(str(message.headers[REASON_HEADER]))
        found.extend(seen)
        return found if len(found) >= 2 else None

    found: list[str] = []
    assert sorted(await eventually(parked)) == ["lifecycle.terminal", "referral.unknown"]
    assert (await in_inbox(municipality, referral_id))["status"] == "rejected"  # type: ignore[index]


async def test_a_child_welfare_notice_arrives_on_its_own_queue(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    general = await deliver(bus)
    notice = child_welfare_notice()
    referral_id = await deliver(bus, notice, routing_key="notice_of_need.11.child_welfare")
    view = await eventually(lambda: in_inbox(municipality, referral_id))
    assert view["child_welfare"] is True
    await eventually(lambda: in_inbox(municipality, general))
    only = (await municipality.get("/v1/referrals", params={"child_welfare": "true"})).json()
    assert [item["id"] for item in only["items"]] == [str(referral_id)]
    others = (await municipality.get("/v1/referrals", params={"child_welfare": "false"})).json()
    assert [item["id"] for item in others["items"]] == [str(general)]
    await cancel(bus, referral_id, key="cancellation.11.child_welfare")

    async def cancelled() -> dict[str, Any] | None:
        seen = await in_inbox(municipality, referral_id)
        return seen if seen and seen["status"] == "cancelled" else None

    await eventually(cancelled)


async def test_forwarding_names_the_right_county_for_kela(
    municipality: httpx.AsyncClient, bus: AbstractChannel, acks: Acks
) -> None:
    referral_id = await delivered(bus, municipality)
    path = f"/v1/referrals/{referral_id}/status"
    forward = copy.deepcopy(examples.STATUS_UPDATE_EXAMPLES["forwarded"])
    response = await municipality.post(path, json=forward)
    assert response.status_code == 200, response.text
    assert response.json()["history"][-1]["forwarded_to_county"] == "90"
    received = [(await eventually(lambda: next_message(acks)))["payload"] for _ in range(2)]
    assert received[1] | {"changed_at": None} == {
        "kind": "status_acknowledgement",
        "referral_id": str(referral_id),
        "sequence": 2,
        "status": "forwarded",
        "event": None,
        "outcome": None,
        "hold_reason": None,
        "reason": forward["reason"],
        "forwarded_to_county": "90",
        "forwarded_to_municipality": "091",
        "changed_at": None,
        "changed_by": "county-11",
        "changed_by_unit": None,
    }


@pytest.mark.parametrize(
    ("municipality_code", "rule"),
    [
        ("153", "forward.same_county"),
        ("478", "routing.aland"),
        ("999", "routing.unknown_municipality"),
    ],
)
async def test_forwarding_must_name_another_countys_municipality(
    municipality: httpx.AsyncClient, bus: AbstractChannel, municipality_code: str, rule: str
) -> None:
    referral_id = await delivered(bus, municipality)
    forward = copy.deepcopy(examples.STATUS_UPDATE_EXAMPLES["forwarded"])
    forward["forwarded_to_municipality"] = municipality_code
    response = await municipality.post(f"/v1/referrals/{referral_id}/status", json=forward)
    assert response.status_code == 422
    assert {"field": "forwarded_to_municipality", "rule": rule}.items() <= (
        next(e for e in response.json()["errors"] if e["rule"] == rule).items()
    )
    assert (await in_inbox(municipality, referral_id))["status"] == "delivered"  # type: ignore[index]
