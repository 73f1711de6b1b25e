"""What Kela's side decides about its referrals: pure rules, no I/O.

Kela's own change (``sent``) is sequence 0; the county numbers every change it makes from 1
in the order it made them. Acknowledgements may arrive out of order or twice: the sequence
decides whether one advances the current status or only fills in the history.
"""

from __future__ import annotations

import copy
import enum
from dataclasses import dataclass
from typing import Any

from silta_schemas.lifecycle import Actor, TransitionNotAllowed, check_transition, may_set
from silta_schemas.parties import KELA
from silta_schemas.status import ReferralStatus, StatusAcknowledgement

SENT_SEQUENCE = 0


class AcknowledgementRejected(Exception):
    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule
        self.detail = detail


class Decision(enum.Enum):
    ADVANCE = "advance"
    """The newest change: it becomes the referral's current status."""
    HISTORY_ONLY = "history_only"
    """An older change arriving late: it joins the history, the current status stays."""


@dataclass(frozen=True)
class TrackedReferral:
    """The part of a referral that acknowledgements are checked against."""

    recipient: str
    status: ReferralStatus
    status_sequence: int


def decide(referral: TrackedReferral, ack: StatusAcknowledgement, sender: str) -> Decision:
    """Check ``ack`` (sent by ``sender``) against ``referral``; raise if it is not acceptable."""
    if sender != referral.recipient:
        raise AcknowledgementRejected(
            "acknowledgement.wrong_sender",
            "only the county the referral was sent to may acknowledge it",
        )
    kelas_cancellation = ack.status == ReferralStatus.CANCELLED
    if ack.changed_by != (KELA if kelas_cancellation else sender):
        raise AcknowledgementRejected(
            "acknowledgement.changed_by_mismatch",
            "changed_by must be the sending organisation (kela for a cancellation)",
        )
    if referral.status == ReferralStatus.CANCELLED:
        # Kela cancelled it: what the county did before it learnt that is history only,
        # unless the county had already closed the referral (the cancellation came too late:
        # Kela shows how it really ended). A forwarding is not followed: Kela withdrew it.
        too_late = ack.status in (ReferralStatus.COMPLETED, ReferralStatus.REJECTED)
        if too_late and ack.sequence > referral.status_sequence:
            return Decision.ADVANCE
        return Decision.HISTORY_ONLY
    if kelas_cancellation:
        raise AcknowledgementRejected(
            "acknowledgement.not_cancelled_here",
            "the county reports a cancellation that Kela's side has not made",
        )
    if ack.sequence <= referral.status_sequence:
        return Decision.HISTORY_ONLY
    if ack.sequence > referral.status_sequence + 1:
        # Earlier changes are still on their way: check what can be checked without them.
        if not may_set(Actor.COUNTY, ack.status):
            raise AcknowledgementRejected(
                "lifecycle.not_permitted_for_actor", f"a county may not set {ack.status}"
            )
        return Decision.ADVANCE
    try:
        check_transition(referral.status, ack.status, Actor.COUNTY)
    except TransitionNotAllowed as error:
        raise AcknowledgementRejected(error.rule, str(error)) from error
    return Decision.ADVANCE


def forwarded_payload(
    payload: dict[str, Any], ack: StatusAcknowledgement, from_county: str
) -> dict[str, Any]:
    """The referral as Kela re-sends it to the county ``ack`` forwarded it to.

    Only the municipality of residence changes (the forwarding county knows it better), and
    the referral says where it comes from; the receiving county decides the rest anew.
    """
    assert ack.forwarded_to_municipality is not None
    assert ack.reason is not None
    forwarded = copy.deepcopy(payload)
    forwarded["client"]["municipality_code"] = ack.forwarded_to_municipality
    forwarded["forwarded_from"] = {
        "referral_id": str(ack.referral_id),
        "county_code": from_county,
        "reason": ack.reason,
    }
    return forwarded
