"""The pure rules of cancelling and forwarding on Kela's side (no I/O); the county's are in
``tests/unit/municipality``."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from kela_side.domain.referrals import Decision, TrackedReferral, decide, forwarded_payload
from silta_schemas import examples
from silta_schemas.errors import RuleRefused
from silta_schemas.status import ReferralStatus, StatusAcknowledgement

S = ReferralStatus
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def ack(
    sequence: int, status: S, changed_by: str = "county-11", **details: object
) -> StatusAcknowledgement:
    return StatusAcknowledgement.model_validate(
        {
            "kind": "status_acknowledgement",
            "referral_id": str(uuid4()),
            "sequence": sequence,
            "status": status,
            "changed_at": NOW.isoformat(),
            "changed_by": changed_by,
            "reason": "Sent in error." if status in (S.CANCELLED, S.REJECTED) else None,
            **details,
        }
    )


def test_after_kelas_cancellation_every_report_is_history_only() -> None:
    cancelled = TrackedReferral("county-11", S.CANCELLED, 1)
    assert decide(cancelled, ack(2, S.ACCEPTED), "county-11") is Decision.HISTORY_ONLY
    assert decide(cancelled, ack(3, S.CANCELLED, "kela"), "county-11") is Decision.HISTORY_ONLY


@pytest.mark.parametrize("status", [S.COMPLETED, S.REJECTED])
def test_a_county_that_closed_the_referral_first_has_the_last_word(status: S) -> None:
    cancelled = TrackedReferral("county-11", S.CANCELLED, 3)
    outcome = "no_need_found" if status == S.COMPLETED else None
    assert decide(cancelled, ack(4, status, outcome=outcome), "county-11") is Decision.ADVANCE
    older = ack(3, status, outcome=outcome)
    assert decide(cancelled, older, "county-11") is Decision.HISTORY_ONLY


def test_a_forwarding_before_the_cancellation_is_not_followed() -> None:
    cancelled = TrackedReferral("county-11", S.CANCELLED, 1)
    forwarded = ack(
        2, S.FORWARDED, reason="Moved.", forwarded_to_county="90", forwarded_to_municipality="091"
    )
    assert decide(cancelled, forwarded, "county-11") is Decision.HISTORY_ONLY


def test_a_cancellation_kela_did_not_make_is_refused() -> None:
    with pytest.raises(RuleRefused) as caught:
        decide(
            TrackedReferral("county-11", S.ACCEPTED, 2), ack(3, S.CANCELLED, "kela"), "county-11"
        )
    assert caught.value.rule == "acknowledgement.not_cancelled_here"


def test_the_wrong_county_cannot_report_a_cancellation() -> None:
    with pytest.raises(RuleRefused) as caught:
        decide(
            TrackedReferral("county-11", S.CANCELLED, 1), ack(2, S.CANCELLED, "kela"), "county-05"
        )
    assert caught.value.rule == "acknowledgement.wrong_sender"


def test_forwarded_payload_changes_only_the_municipality_and_says_where_from() -> None:
    original = examples.NOTICE_OF_NEED_EXAMPLE
    forwarded = ack(
        2,
        S.FORWARDED,
        reason="Moved to Helsinki.",
        forwarded_to_county="90",
        forwarded_to_municipality="091",
    )
    payload = forwarded_payload(dict(original), forwarded, "11")
    assert payload["client"]["municipality_code"] == "091"
    assert payload["forwarded_from"] == {
        "referral_id": str(forwarded.referral_id),
        "county_code": "11",
        "reason": "Moved to Helsinki.",
    }
    assert original["client"]["municipality_code"] == "405"  # the stored original is untouched
    assert {k: v for k, v in payload.items() if k not in ("client", "forwarded_from")} == {
        k: v for k, v in original.items() if k not in ("client", "forwarded_from")
    }
