"""What a county's side decides about a referral it holds: pure rules, no I/O."""

from __future__ import annotations

from datetime import datetime

from silta_schemas.codes import MessageKind
from silta_schemas.lifecycle import Actor, check_outcome_for_kind, check_transition
from silta_schemas.status import ReferralStatus, StatusUpdate
from silta_service.tracking import StatusChange

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
    return StatusChange(
        sequence=sequence + 1,
        status=update.status,
        changed_at=now,
        changed_by=county,
        event=update.event,
        outcome=update.outcome,
        reason=update.reason,
    )
