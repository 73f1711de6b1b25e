"""Malformed messages on the bus are parked with the rule they broke; the consumer goes on.

The test publishes straight onto the Kela exchange, as a broken or hostile sender would.
Operations find each message in ``<queue>.parked`` with ``x-silta-reason``; the detail
names fields and rules, never values.
"""

from __future__ import annotations

import json
from uuid import uuid4

import pytest
from silta_schemas.envelope import seal
from silta_schemas.examples import STATUS_ACKNOWLEDGEMENT_EXAMPLE
from silta_schemas.parties import KELA, county_organisation
from silta_schemas.referrals import referral_adapter
from silta_schemas.status import StatusAcknowledgement

from tests import signing

pytestmark = pytest.mark.e2e

ROUTING_KEY = "notice_of_need.11"


def _valid_envelope(notice: dict) -> dict:
    payload = referral_adapter.validate_python(notice)
    envelope = seal(payload, sender=KELA, recipient=county_organisation("11"), referral_id=uuid4())
    return json.loads(envelope.to_bytes())


async def test_malformed_messages_are_parked_with_their_rule_and_consumption_goes_on(
    silta, bus, bodies
):
    bad_code = bodies.wrong_control_character()

    unknown_kind = _valid_envelope(bodies.notice_of_need())
    unknown_kind["kind"] = "court_order"
    unknown_kind["payload"]["kind"] = "court_order"

    invalid_identity = _valid_envelope(bodies.notice_of_need())
    invalid_identity["payload"]["client"]["identity_code"] = bad_code

    newer_version = _valid_envelope(bodies.notice_of_need())
    newer_version["schema_version"] = "2"

    oversized = _valid_envelope(bodies.notice_of_need())
    oversized["padding"] = "x" * 300_000

    no_envelope = json.loads(json.dumps(invalid_identity["payload"]))  # a bare payload
    no_envelope["client"]["identity_code"] = bodies.identity_code

    poison = {  # what is wrong: (the rule it is parked with, the body)
        "not JSON": ("message.not_json", b"this is not JSON {"),
        "not an envelope": ("envelope.invalid", json.dumps({"hello": "world"}).encode()),
        "unknown kind": ("envelope.unknown_kind", json.dumps(unknown_kind).encode()),
        "invalid payload": ("payload.invalid", json.dumps(invalid_identity).encode()),
        "wrong schema version": (
            "envelope.schema_version",
            json.dumps(newer_version).encode(),
        ),
        "oversized": ("message.too_large", json.dumps(oversized).encode()),
        "missing envelope": ("envelope.invalid", json.dumps(no_envelope).encode()),
    }
    sent = {}
    what_by_id = {}
    for what, (rule, body) in poison.items():
        message_id = str(uuid4())
        sent[message_id] = rule
        what_by_id[message_id] = what
        await bus.publish(body, routing_key=ROUTING_KEY, message_id=message_id)

    parking = f"{silta.municipality.queue_name}.parked"
    parked = await bus.take(parking, len(poison))
    assert {message.message_id: message.headers["x-silta-reason"] for message in parked} == sent
    for message in parked:
        rule, body = poison[what_by_id[message.message_id]]
        assert signing.decrypted(message.body) == body, "parked as received (encrypted)"
        assert message.headers["x-silta-parked-by"] == silta.municipality.queue_name
        assert message.headers["x-silta-original-routing-key"] == ROUTING_KEY
        detail = message.headers["x-silta-detail"]
        assert detail, f"{rule}: no detail for operations"
        assert bad_code not in detail
        assert bodies.identity_code not in detail
    [bare] = [m for m in parked if what_by_id[m.message_id] == "missing envelope"]
    assert "message_id: missing" in bare.headers["x-silta-detail"]
    [payload_invalid] = [m for m in parked if sent[m.message_id] == "payload.invalid"]
    assert "payload.client.identity_code" in payload_invalid.headers["x-silta-detail"]
    assert "identity_code.control_character" in payload_invalid.headers["x-silta-detail"]

    # Nothing of it reached the inbox, nothing is stuck in the queue, nothing more parked...
    assert await silta.inbox() == []
    # ... and a valid notice sent afterwards still arrives and is acknowledged.
    referral_id = await silta.send_and_deliver(bodies.notice_of_need())
    assert [item["id"] for item in await silta.inbox()] == [referral_id]
    assert await bus.message_count(silta.municipality.queue_name) == 0
    assert await bus.message_count(parking) == 0
    assert silta.municipality.running()
    silta.assert_no_identity_code_in_logs(bad_code)


async def test_valid_messages_the_county_must_not_take_are_parked_too(silta, bus, bodies):
    """Well-formed envelopes that break the county side's own rules."""
    referral_id = await silta.send_and_deliver(bodies.notice_of_need())

    # Another message claiming the same referral id (a replay under a new message id).
    payload = referral_adapter.validate_python(bodies.notice_of_need(urgency="urgent"))
    same_referral = seal(
        payload, sender=KELA, recipient=county_organisation("11"), referral_id=referral_id
    )
    # A county's acknowledgement sent the wrong way, onto Kela's exchange (and encrypted to
    # the county: encrypted to Kela, the county could not even open it).
    ack = StatusAcknowledgement.model_validate(
        {**STATUS_ACKNOWLEDGEMENT_EXAMPLE, "referral_id": referral_id}
    )
    wrong_way = seal(ack, sender="county-11", recipient=KELA, referral_id=referral_id)

    expected = {
        str(same_referral.message_id): "referral.duplicate_id",
        str(wrong_way.message_id): "kind.not_for_county",
    }
    await bus.publish(
        same_referral.to_bytes(),
        routing_key="notice_of_need.11",
        message_id=str(same_referral.message_id),
    )
    await bus.publish(
        wrong_way.to_bytes(),
        routing_key="status_acknowledgement.11",
        message_id=str(wrong_way.message_id),
        encrypt_to="county-11",
    )

    parked = await bus.take(f"{silta.municipality.queue_name}.parked", 2)
    assert {m.message_id: m.headers["x-silta-reason"] for m in parked} == expected

    # The referral the county holds is untouched, and Kela heard nothing more of it.
    sentinel = await silta.send_and_deliver(bodies.notice_of_need())
    county = await silta.municipality_view(referral_id)
    assert county["urgency"] == "normal"
    assert [c["status"] for c in county["history"]] == ["delivered"]
    at_kela = await silta.kela_view(referral_id)
    assert [c["status"] for c in at_kela["history"]] == ["sent", "delivered"]
    assert sorted(item["id"] for item in await silta.inbox()) == sorted([referral_id, sentinel])
    silta.assert_no_identity_code_in_logs()
