"""The county side's decisions about the referrals it receives and holds (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from municipality_side.domain.referrals import (
    Arrival,
    HeldReferral,
    admit,
    cancellation,
    cancelled_by_kela,
    change_by_county,
    delivered,
    first_deliveries,
    next_change,
)
from silta_records.status_history import StatusChange
from silta_schemas import examples
from silta_schemas.codes import MessageKind
from silta_schemas.errors import RuleRefused
from silta_schemas.lifecycle import TransitionNotAllowed
from silta_schemas.status import ReferralStatus, StatusUpdate

S = ReferralStatus
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
SERVED = frozenset({"11", "90"})


def arrival(recipient: str = "county-11", referral_id: UUID | None = None) -> Arrival:
    return Arrival(uuid4(), referral_id or uuid4(), recipient)


def held(status: S, sequence: int = 2, county_code: str = "11") -> HeldReferral:
    return HeldReferral(MessageKind.NOTICE_OF_NEED, county_code, status, sequence)


def update(example: str) -> StatusUpdate:
    return StatusUpdate.model_validate(examples.STATUS_UPDATE_EXAMPLES[example])


def rules(refused: dict[UUID, RuleRefused]) -> dict[UUID, str]:
    return {message_id: refusal.rule for message_id, refusal in refused.items()}


def test_a_referral_for_a_county_not_served_is_refused() -> None:
    ours, theirs = arrival("county-11"), arrival("county-05")
    admitted = admit([ours, theirs], SERVED)
    assert admitted.accepted == [ours]
    assert rules(admitted.refused) == {theirs.message_id: "routing.county_not_served"}


def test_the_same_referral_twice_in_a_batch_is_stored_once() -> None:
    first = arrival()
    again = arrival(referral_id=first.referral_id)
    admitted = admit([first, again], SERVED)
    assert admitted.accepted == [first]
    assert rules(admitted.refused) == {again.message_id: "referral.duplicate_id"}


def test_a_referral_not_served_does_not_take_the_id_from_one_that_is() -> None:
    theirs = arrival("county-05")
    ours = arrival("county-11", theirs.referral_id)
    admitted = admit([theirs, ours], SERVED)
    assert admitted.accepted == [ours]
    assert rules(admitted.refused) == {theirs.message_id: "routing.county_not_served"}


def test_a_referral_this_side_already_holds_is_refused() -> None:
    old, new = arrival(), arrival()
    delivering = first_deliveries([old, new], {old.referral_id})
    assert delivering.accepted == [new]
    assert rules(delivering.refused) == {old.message_id: "referral.duplicate_id"}


def test_a_stored_referral_is_delivered_first_of_all() -> None:
    change = delivered("county-11", NOW)
    assert (change.sequence, change.status, change.changed_by, change.changed_at) == (
        1,
        S.DELIVERED,
        "county-11",
        NOW,
    )


def test_county_forwarding_names_the_other_county() -> None:
    def forward(municipality: str) -> StatusChange:
        update = StatusUpdate(
            status=S.FORWARDED, reason="Not ours.", forwarded_to_municipality=municipality
        )
        return next_change(
            kind=MessageKind.NOTICE_OF_NEED,
            status=S.DELIVERED,
            sequence=1,
            update=update,
            county="county-11",
            now=NOW,
        )

    change = forward("091")
    assert (change.sequence, change.forwarded_to_county, change.changed_by) == (
        2,
        "90",
        "county-11",
    )
    with pytest.raises(RuleRefused) as caught:
        forward("153")
    assert (caught.value.rule, caught.value.field) == (
        "forward.same_county",
        "forwarded_to_municipality",
    )


def test_a_county_worker_moves_the_referral_as_held_one_step_on() -> None:
    change = change_by_county(held(S.DELIVERED, 1), StatusUpdate(status=S.ACCEPTED), NOW)
    assert (change.sequence, change.status, change.changed_by) == (2, S.ACCEPTED, "county-11")
    with pytest.raises(TransitionNotAllowed) as skipped:
        change_by_county(held(S.DELIVERED, 1), update("in_progress"), NOW)
    assert skipped.value.rule == "lifecycle.skip"


def test_the_schemas_rules_of_a_status_update_are_refused_naming_the_field() -> None:
    no_target = StatusUpdate.model_construct(
        status=S.FORWARDED, reason="Not ours.", forwarded_to_municipality=None
    )
    with pytest.raises(RuleRefused) as caught:
        change_by_county(held(S.DELIVERED, 1), no_target, NOW)
    assert (caught.value.rule, caught.value.field) == (
        "status.forward_target_required",
        "forwarded_to_municipality",
    )


@pytest.mark.parametrize("status", [S.DELIVERED, S.ACCEPTED, S.IN_PROGRESS])
def test_kelas_cancellation_applies_to_an_open_referral(status: S) -> None:
    change = cancelled_by_kela(status, 4, "Sent in error.", NOW)
    assert (change.sequence, change.status, change.changed_by) == (5, S.CANCELLED, "kela")


@pytest.mark.parametrize("status", [S.COMPLETED, S.REJECTED, S.FORWARDED, S.CANCELLED])
def test_kelas_cancellation_is_too_late_for_a_closed_referral(status: S) -> None:
    with pytest.raises(TransitionNotAllowed) as caught:
        cancelled_by_kela(status, 4, "Sent in error.", NOW)
    assert caught.value.rule == "lifecycle.terminal"


def test_kelas_cancellation_of_a_referral_held_here() -> None:
    change = cancellation(
        held(S.ACCEPTED), recipient="county-11", served=SERVED, reason="Sent in error.", now=NOW
    )
    assert (change.sequence, change.status, change.reason) == (3, S.CANCELLED, "Sent in error.")


@pytest.mark.parametrize(
    ("referral", "recipient", "rule"),
    [
        (None, "county-11", "referral.unknown"),
        (held(S.ACCEPTED, county_code="05"), "county-05", "referral.unknown"),
        (held(S.ACCEPTED, county_code="90"), "county-11", "envelope.wrong_recipient"),
    ],
)
def test_kelas_cancellation_of_a_referral_not_held_for_its_recipient_is_refused(
    referral: HeldReferral | None, recipient: str, rule: str
) -> None:
    with pytest.raises(RuleRefused) as caught:
        cancellation(referral, recipient=recipient, served=SERVED, reason="Error.", now=NOW)
    assert caught.value.rule == rule
