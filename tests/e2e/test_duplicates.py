"""At-least-once delivery must not mean twice: repeated messages and repeated requests.

The test plays a broker that redelivers (the same envelope bytes, same message_id) and a
case system that retries its HTTP request with the same Idempotency-Key.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from silta_schemas.envelope import seal
from silta_schemas.parties import KELA, county_organisation
from silta_schemas.referrals import referral_adapter
from silta_schemas.status import StatusAcknowledgement

from tests import signing

pytestmark = pytest.mark.e2e

ROUTING_KEY = "notice_of_need.11"


async def test_the_same_envelope_published_again_is_delivered_once(silta, bus, bodies):
    # Tap the Kela exchange to get the exact bytes Kela's side published.
    async with bus.connection.channel() as channel:
        tap = await channel.declare_queue(exclusive=True, auto_delete=True)
        await tap.bind("silta.kela", routing_key=ROUTING_KEY)
        referral_id = await silta.send_and_deliver(bodies.notice_of_need())
        original = await tap.get(no_ack=True, fail=True, timeout=10)
    envelope = signing.opened(original.body)
    assert envelope["referral_id"] == referral_id
    assert original.message_id == envelope["message_id"]

    # The broker hands the same message over twice more.
    for _ in range(2):
        await bus.publish(original.body, routing_key=ROUTING_KEY, message_id=original.message_id)
    # A notice sent afterwards arrives after them: by then they have been consumed.
    sentinel = await silta.send_and_deliver(bodies.notice_of_need())

    assert sorted(item["id"] for item in await silta.inbox()) == sorted([referral_id, sentinel])
    county = await silta.municipality_view(referral_id)
    assert [c["status"] for c in county["history"]] == ["delivered"]
    at_kela = await silta.kela_view(referral_id)
    assert [c["status"] for c in at_kela["history"]] == ["sent", "delivered"]
    # Absorbed, not parked as poison, and nothing left waiting.
    queue = silta.municipality.queue_name
    assert await bus.message_count(f"{queue}.parked") == 0
    assert await bus.message_count(queue) == 0
    silta.assert_no_identity_code_in_logs()


async def test_a_new_envelope_published_twice_at_once_becomes_one_referral(silta, bus, bodies):
    """Both copies arrive together (likely in one batch) before either is stored."""
    referral_id = uuid4()
    notice = referral_adapter.validate_python(bodies.notice_of_need())
    envelope = seal(
        notice, sender=KELA, recipient=county_organisation("11"), referral_id=referral_id
    )
    body, message_id = envelope.to_bytes(), str(envelope.message_id)
    for _ in range(2):
        await bus.publish(body, routing_key=ROUTING_KEY, message_id=message_id)
    sentinel = await silta.send_and_deliver(bodies.notice_of_need())

    inbox = [item["id"] for item in await silta.inbox()]
    assert sorted(inbox) == sorted([str(referral_id), sentinel])
    county = await silta.municipality_view(str(referral_id))
    assert [(c["status"], c["changed_by"]) for c in county["history"]] == [
        ("delivered", "county-11")
    ]
    assert await bus.message_count(f"{silta.municipality.queue_name}.parked") == 0

    # Kela never sent this one: its single acknowledgement is parked at Kela, not applied.
    [parked] = await bus.take(f"{silta.kela.queue_name}.parked", 1)
    assert parked.headers["x-silta-reason"] == "referral.unknown"
    assert signing.opened(parked.body)["referral_id"] == str(referral_id)
    assert await bus.message_count(f"{silta.kela.queue_name}.parked") == 0
    unknown = await silta.kela_http.get(f"/v1/referrals/{referral_id}")
    assert unknown.status_code == 404
    silta.assert_no_identity_code_in_logs()


async def test_an_idempotency_key_replay_returns_the_same_referral_and_sends_once(silta, bodies):
    notice = bodies.notice_of_need()
    key = f"case-4711-{uuid4()}"

    first = await silta.kela_http.post(
        "/v1/referrals", json=notice, headers={"Idempotency-Key": key}
    )
    assert first.status_code == 201, first.text
    replay = await silta.kela_http.post(
        "/v1/referrals", json=notice, headers={"Idempotency-Key": key}
    )
    assert replay.status_code == 200, replay.text
    referral_id = first.json()["id"]
    assert replay.json()["id"] == referral_id
    assert replay.headers["location"] == first.headers["location"] == f"/v1/referrals/{referral_id}"

    # The same key with another body is a client error, not a second referral.
    other = bodies.notice_of_need(urgency="urgent")
    misuse = await silta.kela_http.post(
        "/v1/referrals", json=other, headers={"Idempotency-Key": key}
    )
    assert misuse.status_code == 422, misuse.text
    assert misuse.headers["content-type"].startswith("application/problem+json")

    await silta.wait_delivered(referral_id)
    # After delivery, a replay shows the referral as it now is.
    late = await silta.kela_http.post(
        "/v1/referrals", json=notice, headers={"Idempotency-Key": key}
    )
    assert late.status_code == 200, late.text
    assert late.json()["id"] == referral_id
    assert late.json()["status"] == "delivered"

    sentinel = await silta.send_and_deliver(bodies.notice_of_need())
    assert sorted(item["id"] for item in await silta.inbox()) == sorted([referral_id, sentinel])
    assert sorted(item["id"] for item in await silta.kela_list()) == sorted([referral_id, sentinel])
    silta.assert_no_identity_code_in_logs()


async def test_acknowledgements_out_of_order_and_repeated_give_kela_one_true_history(
    silta, bus, bodies
):
    """The county's changes reach Kela late, reversed and twice; Kela's view is still right."""
    referral_id = await silta.send_and_deliver(bodies.notice_of_need())
    start = datetime.now(UTC)

    def acknowledgement(sequence: int, status: str, **details: str):
        ack = StatusAcknowledgement(
            kind="status_acknowledgement",
            referral_id=UUID(referral_id),
            sequence=sequence,
            status=status,
            changed_at=start + timedelta(seconds=sequence),
            changed_by="county-11",
            **details,
        )
        return seal(ack, sender="county-11", recipient=KELA, referral_id=UUID(referral_id))

    completed = acknowledgement(4, "completed", outcome="client_declined")
    in_progress = acknowledgement(3, "in_progress", event="client_reached")
    accepted = acknowledgement(2, "accepted")
    accepted_resent = acknowledgement(2, "accepted")  # same change, another message id
    for envelope in (completed, in_progress, accepted, accepted_resent, accepted):
        await bus.publish(
            envelope.to_bytes(),
            exchange="silta.county",
            routing_key="status_acknowledgement.11",
            message_id=str(envelope.message_id),
        )
    # Acknowledgements of a later referral queue up behind them at Kela.
    await silta.send_and_deliver(bodies.notice_of_need())

    at_kela = await silta.kela_view(referral_id)
    assert at_kela["status"] == "completed"
    assert [(c["sequence"], c["status"], c["event"], c["outcome"]) for c in at_kela["history"]] == [
        (0, "sent", None, None),
        (1, "delivered", None, None),
        (2, "accepted", None, None),
        (3, "in_progress", "client_reached", None),
        (4, "completed", None, "client_declined"),
    ]
    assert await bus.message_count(f"{silta.kela.queue_name}.parked") == 0
