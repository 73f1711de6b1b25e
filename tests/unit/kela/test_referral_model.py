"""Kela's side's referral model (``kela_side.domain``): taking referrals in, applying the
counties' acknowledgements, cancelling, forwarding. Pure: no database, no broker."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from kela_side.domain.referrals import (
    Acknowledgement,
    TrackedReferral,
    apply_acknowledgements,
    cancel,
    forward,
)
from kela_side.domain.submission import (
    Candidate,
    DuplicateReferral,
    KeyTaken,
    OpenReferral,
    admit,
    check_request,
    refuse_duplicate,
)
from pydantic import ValidationError
from silta_schemas import examples
from silta_schemas.code_lists import DEFAULT_CHECKLIST
from silta_schemas.errors import RuleRefused
from silta_schemas.idempotency import IdempotencyKeyReused, check_replay, fingerprint
from silta_schemas.lifecycle import TransitionNotAllowed
from silta_schemas.referrals import referral_adapter
from silta_schemas.status import ReferralStatus, StatusAcknowledgement

S = ReferralStatus
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
COUNTY = "county-11"


def candidate(client: str, *, reason: str | None = None, key: str | None = None) -> Candidate:
    return Candidate(uuid4(), client, "notice_of_need", "11", reason, key)


# Taking referrals in


def test_a_group_is_decided_as_if_its_referrals_came_one_at_a_time() -> None:
    stored = OpenReferral(uuid4(), S.ACCEPTED)
    group = [
        candidate("a"),
        candidate("b"),  # b has one open already
        candidate("a"),  # a's first one is earlier in this group
        candidate("b", reason="The situation changed."),  # a reason allows another
        candidate("c", key="k1"),
        candidate("d", key="k1"),  # the key was taken earlier in this group
        candidate("e", key="k0"),  # the key was stored before
    ]

    verdicts = admit(group, {"k0"}, {("b", "notice_of_need", "11"): stored})

    assert [v is None for v in verdicts] == [True, False, False, True, True, False, False]
    assert isinstance(verdicts[1], DuplicateReferral)
    assert (verdicts[1].existing_id, verdicts[1].existing_status) == (stored.id, S.ACCEPTED)
    assert isinstance(verdicts[2], DuplicateReferral)
    assert (verdicts[2].existing_id, verdicts[2].existing_status) == (group[0].referral_id, S.SENT)
    assert all(isinstance(verdict, KeyTaken) for verdict in verdicts[5:])


def test_another_kind_or_county_is_not_a_duplicate() -> None:
    first = candidate("a")
    other_kind = Candidate(uuid4(), "a", "basic_amount_reduction", "11", None, None)
    other_county = Candidate(uuid4(), "a", "notice_of_need", "90", None, None)
    assert admit([first, other_kind, other_county], set(), {}) == [None, None, None]


def test_a_duplicate_names_the_field_and_rule_to_answer_with() -> None:
    refuse_duplicate(None)
    existing = OpenReferral(uuid4(), S.IN_PROGRESS)
    with pytest.raises(DuplicateReferral) as caught:
        refuse_duplicate(existing)
    assert isinstance(caught.value, RuleRefused)
    assert (caught.value.field, caught.value.rule) == (
        "new_referral_reason",
        "referral.duplicate_open",
    )
    assert caught.value.existing_id == existing.id


def test_a_replay_must_repeat_the_body() -> None:
    body = copy.deepcopy(examples.NOTICE_OF_NEED_EXAMPLE)
    same = fingerprint(dict(reversed(list(body.items()))))  # key order does not matter
    check_replay(fingerprint(body), same)
    body["description"] = "Something else."
    with pytest.raises(IdempotencyKeyReused) as caught:
        check_replay(same, fingerprint(body))
    assert isinstance(caught.value, RuleRefused)


def test_kelas_case_systems_cannot_say_a_referral_was_forwarded() -> None:
    check_request(
        referral_adapter.validate_python(examples.NOTICE_OF_NEED_EXAMPLE), DEFAULT_CHECKLIST
    )
    forwarded = copy.deepcopy(examples.NOTICE_OF_NEED_EXAMPLE)
    forwarded["forwarded_from"] = {"referral_id": str(uuid4()), "county_code": "90", "reason": "x"}
    with pytest.raises(RuleRefused) as caught:
        check_request(referral_adapter.validate_python(forwarded), DEFAULT_CHECKLIST)
    assert (caught.value.field, caught.value.rule) == (
        "forwarded_from",
        "forwarded_from.not_allowed",
    )


# Applying acknowledgements


def ack(referral_id: UUID, sequence: int, status: S, **details: Any) -> StatusAcknowledgement:
    return StatusAcknowledgement.model_validate(
        {
            "kind": "status_acknowledgement",
            "referral_id": str(referral_id),
            "sequence": sequence,
            "status": status,
            "changed_at": NOW.isoformat(),
            "changed_by": COUNTY,
            "reason": "Not ours." if status in (S.REJECTED, S.FORWARDED) else None,
            **details,
        }
    )


def arrived(change: StatusAcknowledgement, sender: str = COUNTY) -> Acknowledgement:
    return Acknowledgement(uuid4(), sender, change.referral_id, change)


def test_acknowledgements_apply_in_sequence_order_and_late_ones_only_join_the_history() -> None:
    referral_id = uuid4()
    tracked = {referral_id: TrackedReferral(COUNTY, S.SENT, 0)}
    batch = [
        arrived(ack(referral_id, 2, S.ACCEPTED)),
        arrived(ack(referral_id, 1, S.DELIVERED)),
    ]

    applied = apply_acknowledgements(batch, tracked, set())

    assert [item.ack.sequence for item in applied.recorded] == [1, 2]
    assert applied.advanced[referral_id].status == S.ACCEPTED
    assert (applied.refused, applied.forwarded) == ({}, [])

    late = apply_acknowledgements(
        [arrived(ack(referral_id, 1, S.DELIVERED))],
        {referral_id: TrackedReferral(COUNTY, S.ACCEPTED, 2)},
        set(),
    )
    assert (len(late.recorded), late.advanced) == (1, {})


def test_a_change_already_recorded_changes_nothing() -> None:
    referral_id = uuid4()
    applied = apply_acknowledgements(
        [arrived(ack(referral_id, 1, S.DELIVERED))],
        {referral_id: TrackedReferral(COUNTY, S.DELIVERED, 1)},
        {(referral_id, 1)},
    )
    assert (applied.recorded, applied.advanced, applied.refused) == ([], {}, {})


def test_another_county_repeating_a_recorded_change_is_refused_not_absorbed() -> None:
    referral_id = uuid4()
    forged = arrived(ack(referral_id, 1, S.DELIVERED, changed_by="county-90"), "county-90")
    applied = apply_acknowledgements(
        [forged],
        {referral_id: TrackedReferral(COUNTY, S.DELIVERED, 1)},
        {(referral_id, 1)},
    )
    assert {m: r.rule for m, r in applied.refused.items()} == {
        forged.message_id: "acknowledgement.wrong_sender"
    }


def test_refused_acknowledgements_name_their_rule() -> None:
    known, unknown = uuid4(), uuid4()
    mismatched = Acknowledgement(uuid4(), COUNTY, uuid4(), ack(known, 1, S.DELIVERED))
    wrong_sender = arrived(ack(known, 1, S.DELIVERED), "county-90")
    not_ours = arrived(ack(unknown, 1, S.DELIVERED))

    applied = apply_acknowledgements(
        [mismatched, wrong_sender, not_ours], {known: TrackedReferral(COUNTY, S.SENT, 0)}, set()
    )

    assert {m: r.rule for m, r in applied.refused.items()} == {
        mismatched.message_id: "acknowledgement.referral_mismatch",
        wrong_sender.message_id: "acknowledgement.wrong_sender",
        not_ours.message_id: "referral.unknown",
    }
    assert not applied.recorded


def test_a_forwarding_is_followed_unless_kela_cancelled_the_referral() -> None:
    referral_id = uuid4()
    forwarded = ack(
        referral_id, 2, S.FORWARDED, forwarded_to_county="90", forwarded_to_municipality="091"
    )
    applied = apply_acknowledgements(
        [arrived(forwarded)], {referral_id: TrackedReferral(COUNTY, S.DELIVERED, 1)}, set()
    )
    assert applied.forwarded == [forwarded]

    withdrawn = apply_acknowledgements(
        [arrived(forwarded)], {referral_id: TrackedReferral(COUNTY, S.CANCELLED, 1)}, set()
    )
    assert (len(withdrawn.recorded), withdrawn.advanced, withdrawn.forwarded) == (1, {}, [])


# Cancelling and forwarding


def test_kela_cancels_an_open_referral_only() -> None:
    cancellation = cancel(S.ACCEPTED, "Sent in error.", NOW)
    assert (cancellation.cancelled_at, cancellation.reason) == (NOW, "Sent in error.")
    with pytest.raises(TransitionNotAllowed):
        cancel(S.COMPLETED, "Sent in error.", NOW)


def test_the_next_leg_of_a_forwarded_referral_is_a_valid_referral_to_the_new_county() -> None:
    forwarded = ack(
        uuid4(), 2, S.FORWARDED, forwarded_to_county="90", forwarded_to_municipality="091"
    )
    stored = referral_adapter.validate_python(examples.NOTICE_OF_NEED_EXAMPLE)

    leg = forward(stored.model_dump(mode="json"), forwarded, stored.county_code)

    assert leg.county_code == "90"
    assert leg.forwarded_from is not None
    assert leg.forwarded_from.referral_id == forwarded.referral_id
    broken = stored.model_dump(mode="json")
    broken["client"]["identity_code"] = "not a code"
    with pytest.raises(ValidationError):
        forward(broken, forwarded, stored.county_code)
