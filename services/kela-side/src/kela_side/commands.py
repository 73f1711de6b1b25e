"""What Kela's case systems ask Kela's side to do over its HTTP API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from silta_platform.handlers import Command
from silta_protection.access_log import UNAUTHENTICATED, Actor
from silta_schemas.referrals import ReferralRequest

from kela_side.records import BatchOutcome, Recorded, ReferralRecord, Submitted


@dataclass(frozen=True)
class SubmitReferral(Command[Submitted]):
    """Send a referral to the client's county (``idempotency_key``: the same key answers
    with the same referral)."""

    referral: ReferralRequest
    idempotency_key: str | None = None
    actor: Actor = UNAUTHENTICATED


@dataclass(frozen=True)
class CancelReferral(Command[ReferralRecord]):
    """Cancel a referral sent in error, for ``reason``."""

    referral_id: UUID
    reason: str
    actor: Actor = UNAUTHENTICATED


@dataclass(frozen=True)
class BatchEntry:
    """One referral of a batch, with its own Idempotency-Key."""

    referral: ReferralRequest
    idempotency_key: str


@dataclass(frozen=True)
class SubmitReferrals(Command[list[BatchOutcome]]):
    """Send a batch of referrals (a night's notices): each decided by the rules of
    ``SubmitReferral``, as if sent one at a time in order; one outcome each, in order."""

    entries: Sequence[BatchEntry]
    actor: Actor = UNAUTHENTICATED


@dataclass(frozen=True)
class CloseCase:
    """What closing a cooperation case asks (its request has no body)."""


@dataclass(frozen=True)
class ChangeRecord(Command[Recorded]):
    """A step in a cooperation record's life: name a case manager or open a cooperation case
    (``record_id`` None), or change the record ``record_id`` as ``request`` says (a request of
    ``silta_schemas.cooperation``, or ``CloseCase``); the client's county is told."""

    request: Any
    record_id: UUID | None = None
    actor: Actor = UNAUTHENTICATED
