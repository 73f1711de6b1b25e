"""The referral state machine: HL7 FHIR Task (requested → received → accepted → in-progress
⇄ on-hold → completed | rejected | cancelled) mapped to the domain. Pure: no storage, no clock."""

from collections import deque
from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from pydantic_core import PydanticCustomError

from silta_schemas.codes import MessageKind
from silta_schemas.referral_status import Outcome, ReferralStatus

S = ReferralStatus


class Actor(StrEnum):
    """Which side makes a change."""

    KELA = "kela"
    COUNTY = "county"


INITIAL_STATUS: Final = S.SENT
TRANSITIONS: Final[Mapping[ReferralStatus, frozenset[ReferralStatus]]] = {
    S.SENT: frozenset({S.DELIVERED, S.CANCELLED}),
    S.DELIVERED: frozenset({S.ACCEPTED, S.REJECTED, S.FORWARDED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.IN_PROGRESS, S.ON_HOLD, S.REJECTED, S.FORWARDED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.REJECTED: frozenset(),
    S.FORWARDED: frozenset(),
    S.CANCELLED: frozenset(),
}
"""Allowed next statuses; in_progress → in_progress records a new progress event; on_hold
(with a hold reason) resumes to in_progress."""

KIND_TRANSITIONS: Final[
    Mapping[MessageKind, Mapping[ReferralStatus, frozenset[ReferralStatus]]]
] = {
    MessageKind.APPLICATION_TRANSFER: {S.ACCEPTED: frozenset({S.COMPLETED})},
}
"""Further steps one kind allows: a transfer is decided (completed, outcome decided) once
accepted, without an in-progress step made up first (ASA 1412/1997 §14)."""

TERMINAL_STATUSES: Final = frozenset(s for s, nexts in TRANSITIONS.items() if not nexts)

SET_BY: Final[Mapping[ReferralStatus, Actor]] = {
    S.SENT: Actor.KELA,
    S.CANCELLED: Actor.KELA,
    **{s: Actor.COUNTY for s in (S.DELIVERED, S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD)},
    S.COMPLETED: Actor.COUNTY,
    **{s: Actor.COUNTY for s in (S.REJECTED, S.FORWARDED)},
}
"""Kela sends and cancels; the county sets everything after sent."""

# Position along the referral, to tell backwards from skipping ahead. Rejecting and forwarding
# decide whether to take the referral, so they come before work starts (in_progress).
_RANK: Final[Mapping[ReferralStatus, int]] = {
    S.SENT: 0,
    S.DELIVERED: 1,
    S.ACCEPTED: 2,
    S.REJECTED: 3,
    S.FORWARDED: 3,
    S.IN_PROGRESS: 4,
    S.ON_HOLD: 4,
    S.COMPLETED: 5,
    S.CANCELLED: 5,
}


class TransitionNotAllowed(Exception):
    """A status change the lifecycle forbids; `rule` names which rule (`lifecycle.*`)."""

    def __init__(self, current: ReferralStatus, new: ReferralStatus, rule: str, message: str):
        super().__init__(message)
        self.current = current
        self.new = new
        self.rule = rule
        self.message = message


def is_open(status: ReferralStatus) -> bool:
    """True while the referral can still change."""
    return status not in TERMINAL_STATUSES


def allowed_next(
    status: ReferralStatus, kind: MessageKind | None = None
) -> frozenset[ReferralStatus]:
    """Statuses that may follow `status` (of a referral of `kind`), whoever sets them."""
    extra = KIND_TRANSITIONS.get(kind, {}) if kind is not None else {}
    return TRANSITIONS[status] | extra.get(status, frozenset())


def may_set(actor: Actor, status: ReferralStatus) -> bool:
    """True if `actor` is the side that sets `status`."""
    return SET_BY[status] == actor


def _words(status: ReferralStatus) -> str:
    return status.value.replace("_", " ")


def _steps_between(current: ReferralStatus, new: ReferralStatus) -> list[ReferralStatus]:
    """The statuses a shortest allowed path from `current` to `new` passes through."""
    previous: dict[ReferralStatus, ReferralStatus] = {}
    queue = deque([current])
    while queue:
        status = queue.popleft()
        for nxt in sorted(TRANSITIONS[status]):
            if nxt not in previous and nxt != current:
                previous[nxt] = status
                queue.append(nxt)
    steps: list[ReferralStatus] = []
    status = previous.get(new, current)
    while status != current:
        steps.append(status)
        status = previous[status]
    return steps[::-1]


def check_transition(
    current: ReferralStatus, new: ReferralStatus, actor: Actor, kind: MessageKind | None = None
) -> None:
    """Raise `TransitionNotAllowed` unless `actor` may move a referral (of `kind`) from
    `current` to `new`."""
    here, there = _words(current), _words(new)
    if not may_set(actor, new):
        raise TransitionNotAllowed(
            current,
            new,
            "lifecycle.not_permitted_for_actor",
            f"{actor.value} may not set {there}: Kela sends and cancels, the county sets "
            "everything after sent",
        )
    if new in allowed_next(current, kind):
        return
    if current in TERMINAL_STATUSES:
        raise TransitionNotAllowed(
            current, new, "lifecycle.terminal", f"cannot go from {here} to {there}: {here} is final"
        )
    if new == current:
        raise TransitionNotAllowed(
            current,
            new,
            "lifecycle.repeated",
            f"the referral is already {here}: a repeated status changes nothing",
        )
    if _RANK[new] < _RANK[current]:
        why = ": once in progress it can only be put on hold, completed or cancelled"
        raise TransitionNotAllowed(
            current,
            new,
            "lifecycle.backwards",
            f"cannot go from {here} back to {there}"
            + (why if current in (S.IN_PROGRESS, S.ON_HOLD) else ""),
        )
    *before, last = [_words(s) for s in _steps_between(current, new)]
    steps = f"{', '.join(before)} and {last}" if before else last
    raise TransitionNotAllowed(
        current,
        new,
        "lifecycle.skip",
        f"cannot go from {here} to {there}: the referral must be {steps} first",
    )


def check_outcome_for_kind(kind: MessageKind, outcome: Outcome | None) -> None:
    """`decided` ends an application transfer only; other referrals end with what happened."""
    if outcome == Outcome.DECIDED and kind != MessageKind.APPLICATION_TRANSFER:
        raise PydanticCustomError(
            "status.outcome_not_for_kind",
            "outcome decided is only for an application transfer (Act on Social Assistance "
            "1412/1997 §14)",
            {"field": "outcome"},
        )
