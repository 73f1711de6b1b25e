"""The main flow, as Kela's case system and the county's client information system see it.

Kela sends a notice; the county finds it in its inbox as delivered; Kela learns it was
delivered; every status change the county makes shows up at Kela, in order, with who made
it, when and why. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

COUNTY_STEPS: list[dict[str, Any]] = [
    {"status": "accepted"},
    {"status": "in_progress", "event": "contact_attempted"},
    {"status": "in_progress", "event": "client_reached"},
    {"status": "completed", "outcome": "client_relationship_started"},
]


def _when(change: dict[str, Any]) -> datetime:
    moment = datetime.fromisoformat(change["changed_at"])
    assert moment.tzinfo is not None, "changed_at must say its time zone"
    return moment


def _what(change: dict[str, Any]) -> tuple[Any, ...]:
    return (
        change["sequence"],
        change["status"],
        change["changed_by"],
        change["event"],
        change["outcome"],
        change["reason"],
    )


async def test_notice_of_need_travels_to_the_county_and_its_status_back(any_silta, bodies):
    silta = any_silta
    notice = bodies.notice_of_need()

    created = await silta.send(notice)
    referral_id = created["id"]
    assert created["kind"] == "notice_of_need"
    assert created["county_code"] == "11"
    assert created["recipient"] == "county-11"
    assert [(c["sequence"], c["status"], c["changed_by"]) for c in created["history"]] == [
        (0, "sent", "kela")
    ]

    # The county's inbox shows it as delivered, with what Kela sent.
    await silta.wait_delivered(referral_id)
    [item] = [item for item in await silta.inbox() if item["id"] == referral_id]
    assert item["status"] == "delivered"
    assert item["kind"] == "notice_of_need"
    assert item["urgency"] == "normal"
    received = await silta.municipality_view(referral_id)
    assert received["referral"]["client"] == notice["client"]
    assert received["referral"]["description"] == notice["description"]
    assert received["referral"]["support_needs"] == notice["support_needs"]
    assert [_what(c) for c in received["history"]] == [
        (1, "delivered", "county-11", None, None, None)
    ]

    # Kela sees sent (by Kela), then delivered (by the county).
    at_kela = await silta.kela_view(referral_id)
    assert [_what(c) for c in at_kela["history"]] == [
        (0, "sent", "kela", None, None, None),
        (1, "delivered", "county-11", None, None, None),
    ]

    # The county works the referral.
    for step in COUNTY_STEPS:
        response = await silta.set_status(referral_id, step)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == step["status"]

    at_kela = await silta.wait_kela_status(referral_id, "completed")
    expected = [
        (0, "sent", "kela", None, None, None),
        (1, "delivered", "county-11", None, None, None),
        (2, "accepted", "county-11", None, None, None),
        (3, "in_progress", "county-11", "contact_attempted", None, None),
        (4, "in_progress", "county-11", "client_reached", None, None),
        (5, "completed", "county-11", None, "client_relationship_started", None),
    ]
    assert [_what(c) for c in at_kela["history"]] == expected

    # When: in order, and the very moments the county recorded.
    moments = [_when(c) for c in at_kela["history"]]
    assert moments == sorted(moments)
    county = await silta.municipality_view(referral_id)
    assert county["status"] == "completed"
    assert [_what(c) for c in county["history"]] == expected[1:]
    assert [_when(c) for c in county["history"]] == moments[1:]

    # Kela's list by status finds it where it now is.
    assert referral_id in {item["id"] for item in await silta.kela_list(status="completed")}
    assert referral_id not in {item["id"] for item in await silta.kela_list(status="sent")}
    silta.assert_no_identity_code_in_logs()


async def test_basic_amount_reduction_flows_through_and_a_rejection_reason_reaches_kela(
    any_silta, bodies
):
    silta = any_silta
    created = await silta.send(bodies.basic_amount_reduction())
    referral_id = created["id"]
    assert created["kind"] == "basic_amount_reduction"

    await silta.wait_delivered(referral_id)
    received = await silta.municipality_view(referral_id)
    assert received["kind"] == "basic_amount_reduction"
    assert received["status"] == "delivered"
    assert received["urgency"] is None
    assert received["referral"]["reduction_percent"] == 20
    assert received["referral"]["client"]["identity_code"] == bodies.identity_code

    reason = "The client already has a referral open at this unit."
    response = await silta.set_status(referral_id, {"status": "rejected", "reason": reason})
    assert response.status_code == 200, response.text

    at_kela = await silta.wait_kela_status(referral_id, "rejected")
    assert [_what(c) for c in at_kela["history"]] == [
        (0, "sent", "kela", None, None, None),
        (1, "delivered", "county-11", None, None, None),
        (2, "rejected", "county-11", None, None, reason),
    ]
    silta.assert_no_identity_code_in_logs()
