"""What a county's side decides about a referral it holds: pure rules, no I/O."""

from __future__ import annotations

from datetime import datetime

from pydantic_core import PydanticCustomError
from silta_records.status_history.change import StatusChange
from silta_schemas.codes import MessageKind
from silta_schemas.lifecycle import Actor, check_outcome_for_kind, check_transition
from silta_schemas.parties import KELA, county_organisation
from silta_schemas.status import ReferralStatus, StatusUpdate, check_forwarding

DELIVERED_SEQUENCE = 1


def delivered(county: str, now: datetime) -> StatusChange:
    """The automatic first change: the county side has stored the referral."""
    return StatusChange(DELIVERED_SEQUENCE, ReferralStatus.DELIVERED, now, county)


def next_change(
    *,
    kind: MessageKind,
    status: ReferralStatus,
    sequence: int,
    update: StatusUpdate,
    county: str,
    now: datetime,
) -> StatusChange:
    """The change ``update`` makes; raises ``TransitionNotAllowed`` if the lifecycle forbids it."""
    check_transition(status, update.status, Actor.COUNTY)
    check_outcome_for_kind(kind, update.outcome)
    forwarded_to = check_forwarding(update.status, update.forwarded_to_municipality, now.date())
    if forwarded_to is not None and county_organisation(forwarded_to) == county:
        raise PydanticCustomError(
            "forward.same_county",
            "forwarded_to_municipality belongs to this county: forwarding is for a referral "
            "that belongs to another county",
            {"field": "forwarded_to_municipality"},
        )
    return StatusChange(
        sequence=sequence + 1,
        status=update.status,
        changed_at=now,
        changed_by=county,
        event=update.event,
        outcome=update.outcome,
        reason=update.reason,
        forwarded_to_county=forwarded_to,
        forwarded_to_municipality=update.forwarded_to_municipality,
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
