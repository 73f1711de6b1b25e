"""What a county's side decides about the referrals it receives and holds: pure, no I/O.

A referral arrives from Kela (:func:`admit`, :func:`first_deliveries`) and is ``delivered``
at once (:func:`delivered`); the county's workers move it along its lifecycle, forwarding
included (:func:`next_change`); Kela may cancel it while it is open (:func:`cancellation`).
Every decision is a :class:`~silta_records.status_history.StatusChange` for the handler to
store and announce to Kela, or a refusal: ``RuleRefused`` naming the rule, or
``TransitionNotAllowed`` for a lifecycle rule.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from pydantic_core import PydanticCustomError
from silta_records.status_history.change import StatusChange
from silta_schemas.code_lists import Checklist
from silta_schemas.codes import MessageKind
from silta_schemas.errors import RuleRefused
from silta_schemas.lifecycle import Actor, check_outcome_for_kind, check_transition
from silta_schemas.parties import KELA, county_code_of, county_organisation
from silta_schemas.referrals import NoticeOfNeed
from silta_schemas.status import ProgressEvent, ReferralStatus, StatusUpdate, check_forwarding

DELIVERED_SEQUENCE = 1


def check_served(county_code: str | None, served: frozenset[str]) -> None:
    """A message for a county this deployment does not serve was routed here by mistake."""
    if county_code not in served:
        raise RuleRefused(
            "routing.county_not_served", f"this deployment does not serve county {county_code}"
        )


def check_contents(referral: object, checklist: Checklist) -> None:
    """What a referral from Kela may carry here beyond its schema: only the service-need
    checklist items this deployment accepts."""
    if isinstance(referral, NoticeOfNeed) and referral.service_need_checklist is not None:
        checklist.check(referral.service_need_checklist.items, "service_need_checklist.items")


@dataclass(frozen=True)
class Arrival:
    """A referral as it arrives: the message carrying it, its id and its recipient county
    (``county-NN``)."""

    message_id: UUID
    referral_id: UUID
    recipient: str


@dataclass(frozen=True)
class Sorted:
    """Arrivals sorted: those to store (``accepted``) and why the others are refused, by
    message id."""

    accepted: list[Arrival]
    refused: dict[UUID, RuleRefused]


def admit(arrivals: Sequence[Arrival], served: frozenset[str]) -> Sorted:
    """The arrivals for a county served, each referral id once in the batch."""
    sorted_ = Sorted([], {})
    seen: set[UUID] = set()
    for arrival in arrivals:
        try:
            check_served(county_code_of(arrival.recipient), served)
            if arrival.referral_id in seen:
                raise RuleRefused(
                    "referral.duplicate_id", "another message in this batch has the referral's id"
                )
        except RuleRefused as refusal:
            sorted_.refused[arrival.message_id] = refusal
            continue
        seen.add(arrival.referral_id)
        sorted_.accepted.append(arrival)
    return sorted_


def first_deliveries(admitted: Sequence[Arrival], known: Collection[UUID]) -> Sorted:
    """The admitted arrivals whose referral this side does not hold yet (``known``)."""
    sorted_ = Sorted([], {})
    for arrival in admitted:
        if arrival.referral_id in known:
            sorted_.refused[arrival.message_id] = RuleRefused(
                "referral.duplicate_id", "a different message already delivered this referral"
            )
        else:
            sorted_.accepted.append(arrival)
    return sorted_


def delivered(county: str, now: datetime) -> StatusChange:
    """The automatic first change: the county side has stored the referral."""
    return StatusChange(DELIVERED_SEQUENCE, ReferralStatus.DELIVERED, now, county)


@dataclass(frozen=True)
class HeldReferral:
    """A referral as the county holds it: whose it is and where its lifecycle stands."""

    kind: MessageKind
    county_code: str
    status: ReferralStatus
    sequence: int

    @property
    def county(self) -> str:
        """The county's organisation id (``county-NN``)."""
        return county_organisation(self.county_code)


def next_change(
    *,
    kind: MessageKind,
    status: ReferralStatus,
    sequence: int,
    update: StatusUpdate,
    county: str,
    now: datetime,
    worker: str | None = None,
) -> StatusChange:
    """The change a county worker's ``update`` makes (``worker``: who, as their token's
    subject names them; kept on this side only).

    Raises ``TransitionNotAllowed`` if the lifecycle forbids it, ``RuleRefused`` (naming the
    field) for an outcome the kind does not have or a forwarding that goes nowhere else.
    """
    check_transition(status, update.status, Actor.COUNTY, kind)
    if (update.event == ProgressEvent.RESUMED) != (status == ReferralStatus.ON_HOLD):
        raise RuleRefused(
            "status.resumed",
            "a referral on hold resumes with event resumed, and only a referral on hold does",
            field="event",
        )
    try:
        check_outcome_for_kind(kind, update.outcome)
        forwarded_to = check_forwarding(update.status, update.forwarded_to_municipality, now.date())
    except PydanticCustomError as error:
        field = (error.context or {}).get("field")
        raise RuleRefused(error.type, error.message(), field=field) from None
    if forwarded_to is not None and county_organisation(forwarded_to) == county:
        raise RuleRefused(
            "forward.same_county",
            "forwarded_to_municipality belongs to this county: forwarding is for a referral "
            "that belongs to another county",
            field="forwarded_to_municipality",
        )
    return StatusChange(
        sequence=sequence + 1,
        status=update.status,
        changed_at=now,
        changed_by=county,
        event=update.event,
        outcome=update.outcome,
        hold_reason=update.hold_reason,
        reason=update.reason,
        forwarded_to_county=forwarded_to,
        forwarded_to_municipality=update.forwarded_to_municipality,
        changed_by_unit=update.unit,
        changed_by_worker=worker,
    )


def change_by_county(
    held: HeldReferral, update: StatusUpdate, now: datetime, worker: str | None = None
) -> StatusChange:
    """:func:`next_change` of the referral as held."""
    return next_change(
        kind=held.kind,
        status=held.status,
        sequence=held.sequence,
        update=update,
        county=held.county,
        now=now,
        worker=worker,
    )


def cancelled_by_kela(
    status: ReferralStatus, sequence: int, reason: str, now: datetime
) -> StatusChange:
    """Kela's cancellation applied here; raises ``TransitionNotAllowed`` if it is too late."""
    check_transition(status, ReferralStatus.CANCELLED, Actor.KELA)
    return StatusChange(
        sequence=sequence + 1,
        status=ReferralStatus.CANCELLED,
        changed_at=now,
        changed_by=KELA,
        reason=reason,
    )


def cancellation(
    held: HeldReferral | None,
    *,
    recipient: str,
    served: frozenset[str],
    reason: str,
    now: datetime,
) -> StatusChange:
    """Kela's cancellation of ``held`` (None: this side has no such referral), addressed to
    ``recipient``.

    Raises ``RuleRefused`` for a referral this side does not hold for a county it serves
    (``referral.unknown``) or holds for another county than the recipient
    (``envelope.wrong_recipient``), ``TransitionNotAllowed`` once the referral is closed.
    """
    if held is None or held.county_code not in served:
        raise RuleRefused("referral.unknown", "no such referral at the counties this side serves")
    if held.county != recipient:
        raise RuleRefused("envelope.wrong_recipient", "the referral is held by another county")
    return cancelled_by_kela(held.status, held.sequence, reason, now)
