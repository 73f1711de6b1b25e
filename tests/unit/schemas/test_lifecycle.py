import itertools

import pytest
from pydantic_core import PydanticCustomError
from silta_schemas import (
    TERMINAL_STATUSES,
    Actor,
    MessageKind,
    Outcome,
    ReferralStatus,
    TransitionNotAllowed,
    allowed_next,
    check_outcome_for_kind,
    check_transition,
    is_open,
    may_set,
)

S = ReferralStatus

# The lifecycle, written out independently of the implementation.
ALLOWED = {
    (S.SENT, S.DELIVERED), (S.SENT, S.CANCELLED),
    (S.DELIVERED, S.ACCEPTED), (S.DELIVERED, S.REJECTED),
    (S.DELIVERED, S.FORWARDED), (S.DELIVERED, S.CANCELLED),
    (S.ACCEPTED, S.IN_PROGRESS), (S.ACCEPTED, S.REJECTED),
    (S.ACCEPTED, S.FORWARDED), (S.ACCEPTED, S.CANCELLED),
    (S.IN_PROGRESS, S.IN_PROGRESS), (S.IN_PROGRESS, S.COMPLETED), (S.IN_PROGRESS, S.CANCELLED),
    (S.ACCEPTED, S.ON_HOLD), (S.IN_PROGRESS, S.ON_HOLD),
    (S.ON_HOLD, S.IN_PROGRESS), (S.ON_HOLD, S.CANCELLED),
}  # fmt: skip
BACKWARDS = {
    (S.DELIVERED, S.SENT), (S.ACCEPTED, S.SENT), (S.ACCEPTED, S.DELIVERED),
    (S.IN_PROGRESS, S.SENT), (S.IN_PROGRESS, S.DELIVERED), (S.IN_PROGRESS, S.ACCEPTED),
    (S.IN_PROGRESS, S.REJECTED), (S.IN_PROGRESS, S.FORWARDED),
    (S.ON_HOLD, S.SENT), (S.ON_HOLD, S.DELIVERED), (S.ON_HOLD, S.ACCEPTED),
    (S.ON_HOLD, S.REJECTED), (S.ON_HOLD, S.FORWARDED),
}  # fmt: skip
SKIP = {
    (S.SENT, S.ACCEPTED), (S.SENT, S.IN_PROGRESS), (S.SENT, S.COMPLETED),
    (S.SENT, S.REJECTED), (S.SENT, S.FORWARDED),
    (S.DELIVERED, S.IN_PROGRESS), (S.DELIVERED, S.COMPLETED), (S.ACCEPTED, S.COMPLETED),
    (S.SENT, S.ON_HOLD), (S.DELIVERED, S.ON_HOLD), (S.ON_HOLD, S.COMPLETED),
}  # fmt: skip
TERMINAL = {S.COMPLETED, S.REJECTED, S.FORWARDED, S.CANCELLED}
KELA_SETS = {S.SENT, S.CANCELLED}
PAIRS = list(itertools.product(S, S))


def expected_rule(current: S, new: S) -> str | None:
    if (current, new) in ALLOWED:
        return None
    if current in TERMINAL:
        return "lifecycle.terminal"
    if current == new:
        return "lifecycle.repeated"
    if (current, new) in BACKWARDS:
        return "lifecycle.backwards"
    assert (current, new) in SKIP
    return "lifecycle.skip"


def setter(status: S) -> Actor:
    return Actor.KELA if status in KELA_SETS else Actor.COUNTY


def test_tables_cover_every_pair() -> None:
    classified = ALLOWED | BACKWARDS | SKIP
    rest = {(c, n) for c, n in PAIRS if (c, n) not in classified}
    assert all(c in TERMINAL or c == n for c, n in rest)
    assert len(PAIRS) == 81


@pytest.mark.parametrize(("current", "new"), PAIRS, ids=lambda s: s.value)
def test_transition_by_the_side_that_sets_it(current: S, new: S) -> None:
    rule = expected_rule(current, new)
    if rule is None:
        check_transition(current, new, setter(new))
        return
    with pytest.raises(TransitionNotAllowed) as caught:
        check_transition(current, new, setter(new))
    assert caught.value.rule == rule
    assert (caught.value.current, caught.value.new) == (current, new)
    assert current.value.replace("_", " ") in str(caught.value)


@pytest.mark.parametrize(("current", "new"), PAIRS, ids=lambda s: s.value)
def test_the_other_side_may_never_set_it(current: S, new: S) -> None:
    other = Actor.COUNTY if setter(new) == Actor.KELA else Actor.KELA
    with pytest.raises(TransitionNotAllowed) as caught:
        check_transition(current, new, other)
    assert caught.value.rule == "lifecycle.not_permitted_for_actor"


@pytest.mark.parametrize("status", list(S), ids=str)
def test_allowed_next_and_openness(status: S) -> None:
    assert allowed_next(status) == {n for c, n in ALLOWED if c == status}
    assert is_open(status) is (status not in TERMINAL)
    assert may_set(Actor.KELA, status) is (status in KELA_SETS)


def test_terminal_statuses() -> None:
    assert TERMINAL == TERMINAL_STATUSES


@pytest.mark.parametrize(
    ("current", "new", "message"),
    [
        (S.DELIVERED, S.COMPLETED, "the referral must be accepted and in progress first"),
        (S.SENT, S.COMPLETED, "must be delivered, accepted and in progress first"),
        (S.SENT, S.REJECTED, "must be delivered first"),
        (S.ACCEPTED, S.DELIVERED, "cannot go from accepted back to delivered"),
        (S.IN_PROGRESS, S.REJECTED, "can only be put on hold, completed or cancelled"),
        (S.ON_HOLD, S.COMPLETED, "must be in progress first"),
        (S.COMPLETED, S.IN_PROGRESS, "completed is final"),
        (S.ACCEPTED, S.ACCEPTED, "already accepted"),
    ],
)
def test_messages_explain_what_is_missing(current: S, new: S, message: str) -> None:
    with pytest.raises(TransitionNotAllowed, match=message):
        check_transition(current, new, setter(new))


@pytest.mark.parametrize("kind", list(MessageKind), ids=str)
@pytest.mark.parametrize("outcome", [*Outcome, None], ids=str)
def test_outcome_for_kind(kind: MessageKind, outcome: Outcome | None) -> None:
    if outcome == Outcome.DECIDED and kind != MessageKind.APPLICATION_TRANSFER:
        with pytest.raises(PydanticCustomError) as caught:
            check_outcome_for_kind(kind, outcome)
        assert caught.value.type == "status.outcome_not_for_kind"
    else:
        check_outcome_for_kind(kind, outcome)


def test_a_transfer_is_decided_once_accepted_without_an_in_progress_step() -> None:
    transfer = MessageKind.APPLICATION_TRANSFER
    check_transition(S.ACCEPTED, S.COMPLETED, Actor.COUNTY, transfer)
    assert S.COMPLETED in allowed_next(S.ACCEPTED, transfer)
    for kind in (MessageKind.NOTICE_OF_NEED, MessageKind.BASIC_AMOUNT_REDUCTION, None):
        with pytest.raises(TransitionNotAllowed) as caught:
            check_transition(S.ACCEPTED, S.COMPLETED, Actor.COUNTY, kind)
        assert caught.value.rule == "lifecycle.skip"
    with pytest.raises(TransitionNotAllowed):  # still nothing before it is accepted
        check_transition(S.DELIVERED, S.COMPLETED, Actor.COUNTY, transfer)
