"""What Kela's case systems ask Kela's side to do over its HTTP API."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from silta_platform.handlers import Command
from silta_protection.access_log import UNAUTHENTICATED, Actor
from silta_schemas.cooperation import (
    CaseManagerChangeRequest,
    CaseManagerEndRequest,
    CaseManagerPeriodRequest,
    CooperationCaseRequest,
    FollowUpRequest,
    LinkRequest,
)
from silta_schemas.referrals import ReferralRequest

from kela_side.records import Recorded, ReferralRecord, Submitted


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
class NameCaseManager(Command[Recorded]):
    """Name a client's case manager for a period; the client's county is told."""

    request: CaseManagerPeriodRequest
    actor: Actor = UNAUTHENTICATED


@dataclass(frozen=True)
class ChangeCaseManager(Command[Recorded]):
    """Another case manager or end date for a period; the county is told."""

    period_id: UUID
    request: CaseManagerChangeRequest
    actor: Actor = UNAUTHENTICATED


@dataclass(frozen=True)
class EndCaseManagerPeriod(Command[Recorded]):
    """End a period early; the county is told."""

    period_id: UUID
    request: CaseManagerEndRequest
    actor: Actor = UNAUTHENTICATED


@dataclass(frozen=True)
class OpenCooperationCase(Command[Recorded]):
    """Open a client's cooperation case with the county; the county is told."""

    request: CooperationCaseRequest
    actor: Actor = UNAUTHENTICATED


@dataclass(frozen=True)
class SetFollowUp(Command[Recorded]):
    """Set a case's next follow-up date; the county is told."""

    case_id: UUID
    request: FollowUpRequest
    actor: Actor = UNAUTHENTICATED


@dataclass(frozen=True)
class LinkToCase(Command[Recorded]):
    """Link more of the client's records to a case; the county is told."""

    case_id: UUID
    request: LinkRequest
    actor: Actor = UNAUTHENTICATED


@dataclass(frozen=True)
class CloseCooperationCase(Command[Recorded]):
    """Close a case; the county is told."""

    case_id: UUID
    actor: Actor = UNAUTHENTICATED
