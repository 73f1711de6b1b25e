"""What Kela's side decides about a referral it sent: pure rules, no I/O.

Kela's own change (``sent``) is sequence 0; the county numbers every change it makes from 1
in the order it made them. Acknowledgements may arrive out of order or twice: the sequence
decides whether one advances the current status or only fills in the history. Kela may
cancel a referral while it is open, and sends a forwarded referral on to the county the
forwarding county named (taking in a new referral: ``kela_side.domain.submission``).
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from silta_schemas.cancellation import Cancellation
from silta_schemas.codes import MessageKind
from silta_schemas.errors import RuleRefused
from silta_schemas.lifecycle import Actor, TransitionNotAllowed, check_transition, may_set
from silta_schemas.parties import KELA
from silta_schemas.referrals import ReferralRequest, referral_adapter
from silta_schemas.status import ReferralStatus, StatusAcknowledgement

SENT_SEQUENCE = 0


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
    kind: MessageKind | None = None
    """Some kinds allow a step more (``lifecycle.KIND_TRANSITIONS``)."""


@dataclass(frozen=True)
class Tracked:
    """The referrals an acknowledgement batch names, as stored: each one's tracked part, its
    client's keyed hash (for the access log) and, by id, its county code and kind (for the
    history's events)."""

    referrals: dict[UUID, TrackedReferral]
    client_keys: dict[UUID, str | None]
    counties_and_kinds: dict[str, tuple[str, str]]


def check_sender(referral: TrackedReferral, sender: str) -> None:
    """Only the county the referral was sent to may acknowledge it: checked first, before the
    acknowledgement is compared with anything recorded (a stranger repeating a known change
    is refused, not taken for a duplicate)."""
    if sender != referral.recipient:
        raise RuleRefused(
            "acknowledgement.wrong_sender",
            "only the county the referral was sent to may acknowledge it",
        )


def decide(referral: TrackedReferral, ack: StatusAcknowledgement, sender: str) -> Decision:
    """Check ``ack`` (sent by ``sender``) against ``referral``; raise ``RuleRefused`` if it is
    not acceptable."""
    check_sender(referral, sender)
    kelas_cancellation = ack.status == ReferralStatus.CANCELLED
    if ack.changed_by != (KELA if kelas_cancellation else sender):
        raise RuleRefused(
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
        raise RuleRefused(
            "acknowledgement.not_cancelled_here",
            "the county reports a cancellation that Kela's side has not made",
        )
    if ack.sequence <= referral.status_sequence:
        return Decision.HISTORY_ONLY
    if ack.sequence > referral.status_sequence + 1:
        # Earlier changes are still on their way: check what can be checked without them.
        if not may_set(Actor.COUNTY, ack.status):
            raise RuleRefused(
                "lifecycle.not_permitted_for_actor", f"a county may not set {ack.status}"
            )
        return Decision.ADVANCE
    try:
        check_transition(referral.status, ack.status, Actor.COUNTY, referral.kind)
    except TransitionNotAllowed as error:
        raise RuleRefused(error.rule, str(error)) from error
    return Decision.ADVANCE


@dataclass(frozen=True)
class Acknowledgement:
    """A county's status acknowledgement as it arrived: in which message, from whom, and
    the referral its envelope names."""

    message_id: UUID
    sender: str
    envelope_referral_id: UUID | None
    ack: StatusAcknowledgement


@dataclass
class Applied:
    """What a batch of acknowledgements changes."""

    refused: dict[UUID, RuleRefused] = field(default_factory=dict)
    """Message id -> the rule that refused it."""
    recorded: list[Acknowledgement] = field(default_factory=list)
    """The changes that join their referral's history, in the order they are applied."""
    advanced: dict[UUID, StatusAcknowledgement] = field(default_factory=dict)
    """Referral id -> the change that becomes its current status."""
    forwarded: list[StatusAcknowledgement] = field(default_factory=list)
    """Forwardings to follow: Kela sends each referral on to the county it names."""


def apply_acknowledgements(
    acknowledgements: Sequence[Acknowledgement],
    tracked: Mapping[UUID, TrackedReferral],
    recorded: set[tuple[UUID, int]],
) -> Applied:
    """Apply a batch to the referrals it names (``tracked``; the ones Kela has), whose
    history already holds the ``(referral id, sequence)`` pairs ``recorded``.

    Each referral's acknowledgements are applied in sequence order, each against the status
    the ones before left; one from the referral's county whose sequence is recorded already
    (the same change under another message id) changes nothing; one from anybody else is
    refused whatever its sequence.
    """
    applied = Applied()
    recorded = set(recorded)
    by_referral: dict[UUID, list[Acknowledgement]] = {}
    for item in acknowledgements:
        if item.ack.referral_id != item.envelope_referral_id:
            applied.refused[item.message_id] = RuleRefused(
                "acknowledgement.referral_mismatch", "payload and envelope name different referrals"
            )
        else:
            by_referral.setdefault(item.ack.referral_id, []).append(item)
    for referral_id, items in by_referral.items():
        referral = tracked.get(referral_id)
        for item in sorted(items, key=lambda item: item.ack.sequence):
            ack = item.ack
            if referral is None:
                applied.refused[item.message_id] = RuleRefused(
                    "referral.unknown", "no such referral at Kela"
                )
                continue
            try:
                check_sender(referral, item.sender)
                if (referral_id, ack.sequence) in recorded:
                    continue
                decision = decide(referral, ack, item.sender)
            except RuleRefused as refusal:
                applied.refused[item.message_id] = refusal
                continue
            recorded.add((referral_id, ack.sequence))
            applied.recorded.append(item)
            if decision is Decision.ADVANCE:
                referral = TrackedReferral(
                    referral.recipient, ack.status, ack.sequence, referral.kind
                )
                applied.advanced[referral_id] = ack
                if ack.status == ReferralStatus.FORWARDED:
                    applied.forwarded.append(ack)
    return applied


def cancel(status: ReferralStatus, reason: str, now: datetime) -> Cancellation:
    """Kela cancels a referral now in ``status``: the cancellation to record and to send the
    county. Raises ``TransitionNotAllowed`` when the referral is no longer open."""
    check_transition(status, ReferralStatus.CANCELLED, Actor.KELA)
    return Cancellation(kind="cancellation", cancelled_at=now, reason=reason)


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
    forwarded["client"]["county_code"] = None  # the municipality decides the county now
    forwarded["forwarded_from"] = {
        "referral_id": str(ack.referral_id),
        "county_code": from_county,
        "reason": ack.reason,
    }
    return forwarded


def forward(
    payload: dict[str, Any], ack: StatusAcknowledgement, from_county: str
) -> ReferralRequest:
    """The next leg of a forwarded referral, as a request to send; raises pydantic's
    ``ValidationError`` when the stored referral no longer passes the schema."""
    return referral_adapter.validate_python(forwarded_payload(payload, ack, from_county))
