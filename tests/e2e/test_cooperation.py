"""Issue 12's message-carried cooperation, through both services as real processes and the
real broker: the service-need checklist of a notice of need, the address non-disclosure
(turvakielto) that sends the county only its county code, and a referral on hold with its
reason code and resumed."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from silta_schemas.envelope import seal
from silta_schemas.referrals import referral_adapter

pytestmark = pytest.mark.e2e


async def test_the_checklist_travels_with_the_notice_and_the_county_reads_its_labels(silta, bodies):
    notice = bodies.notice_of_need(
        service_need_checklist={"items": ["housing_at_risk", "long_term_unemployment"]}
    )

    referral_id = await silta.send_and_deliver(notice)

    view: dict[str, Any] = await silta.municipality_view(referral_id)
    assert view["referral"]["service_need_checklist"] == notice["service_need_checklist"]
    assert [(item["code"], item["fi"], item["sv"]) for item in view["service_need_checklist"]] == [
        (
            "housing_at_risk",
            "Asuminen uhattuna tai asunnottomuus",
            "Hotat boende eller bostadslöshet",
        ),
        ("long_term_unemployment", "Pitkäaikaistyöttömyys", "Långtidsarbetslöshet"),
    ]


def _under_non_disclosure(notice: dict[str, Any]) -> dict[str, Any]:
    notice["client"] |= {"address_non_disclosure": True, "contact": None}
    notice["basis"]["covers"] = ["notice_of_need"]
    return notice


async def test_under_turvakielto_the_county_gets_the_county_code_and_nothing_of_the_location(
    silta, bodies, bus
):
    notice = _under_non_disclosure(bodies.notice_of_need())

    referral_id = await silta.send_and_deliver(notice)

    at_county = (await silta.municipality_view(referral_id))["referral"]["client"]
    assert at_county["municipality_code"] is None
    assert at_county["county_code"] == "11"
    assert at_county["address_non_disclosure"] is True
    assert (await silta.kela_view(referral_id))["county_code"] == "11"

    # A sender that carries the municipality under turvakielto is parked, never stored.
    valid = referral_adapter.validate_python(bodies.notice_of_need())
    envelope = json.loads(
        seal(valid, sender="kela", recipient="county-11", referral_id=uuid.uuid4()).to_bytes()
    )
    envelope["payload"] = _under_non_disclosure(envelope["payload"])
    await bus.publish(json.dumps(envelope).encode(), routing_key="notice_of_need.11")
    [parked] = await bus.take(f"{silta.municipality.queue_name}.parked", 1)
    assert parked.headers["x-silta-reason"] == "client.location_under_non_disclosure"
    assert envelope["referral_id"] not in {item["id"] for item in await silta.inbox()}


async def test_on_hold_with_its_reason_code_reaches_kela_and_so_does_the_resumption(silta, bodies):
    referral_id = await silta.send_and_deliver(bodies.notice_of_need())
    await silta.advance(
        referral_id,
        {"status": "accepted"},
        {"status": "on_hold", "hold_reason": "client_temporarily_unavailable"},
    )

    held = await silta.wait_kela_status(referral_id, "on_hold")
    assert held["history"][-1]["hold_reason"] == "client_temporarily_unavailable"
    assert held["history"][-1]["reason"] is None

    await silta.advance(referral_id, {"status": "in_progress", "event": "resumed"})
    resumed = await silta.wait_kela_status(referral_id, "in_progress")
    assert [(c["status"], c["event"], c["hold_reason"]) for c in resumed["history"][-2:]] == [
        ("on_hold", None, "client_temporarily_unavailable"),
        ("in_progress", "resumed", None),
    ]

    transfer = await silta.send_and_deliver(bodies.application_transfer())
    await silta.advance(
        transfer, {"status": "accepted"}, {"status": "completed", "outcome": "decided"}
    )
    decided = await silta.wait_kela_status(transfer, "completed")
    assert " ".join(c["status"] for c in decided["history"]) == "sent delivered accepted completed"
    assert decided["overdue"] is False
