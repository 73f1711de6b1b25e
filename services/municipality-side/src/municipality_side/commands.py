"""What the counties' client information systems ask a county's side to do over its API.

``counties`` is what the caller may see (``api.scope``): a referral of any other county is
not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from silta_platform.handlers import Command
from silta_protection.access_log import UNAUTHENTICATED, Actor
from silta_schemas.decisions import DecisionNoticeRequest
from silta_schemas.statements import StatementRequest
from silta_schemas.status import StatusUpdate
from silta_schemas.workers import ResponsibleWorkerRequest

from municipality_side.records import Assignment, DecisionNoticeRecord, Named, ReferralRecord, Sent


@dataclass(frozen=True)
class ChangeStatus(Command[ReferralRecord]):
    """A county worker moves the referral along its lifecycle (forwarding included)."""

    referral_id: UUID
    update: StatusUpdate
    counties: frozenset[str]
    actor: Actor = UNAUTHENTICATED


@dataclass(frozen=True)
class NameResponsibleWorker(Command[Named]):
    """Name the referral's responsible worker, or change them."""

    referral_id: UUID
    request: ResponsibleWorkerRequest
    counties: frozenset[str]


@dataclass(frozen=True)
class SendStatement(Command[Sent]):
    """Send a statement of social work to Kela (``idempotency_key``: the same key answers
    with the same statement)."""

    request: StatementRequest
    counties: frozenset[str]
    idempotency_key: str | None = None
    actor: Actor = UNAUTHENTICATED


@dataclass(frozen=True)
class AssignReferral(Command[Assignment]):
    """Put the referral on a worker's worklist, or move it to another's."""

    referral_id: UUID
    worker_id: str
    directory_entry_id: UUID | None
    counties: frozenset[str]


@dataclass(frozen=True)
class SendDecisionNotice(Command[tuple[DecisionNoticeRecord, bool]]):
    """Tell Kela that a decision was made for a client (the record, and whether this request
    sent it: not a replay of its ``idempotency_key``)."""

    request: DecisionNoticeRequest
    counties: frozenset[str]
    idempotency_key: str | None = None
    actor: Actor = UNAUTHENTICATED
