"""What Kela's side answers about its referrals and the statements it received."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from silta_records.status_history import StatusChange
from silta_schemas.errors import RuleRefused
from silta_schemas.status import ReferralStatus


@dataclass(frozen=True)
class Leg:
    """One county's part of a (possibly forwarded) referral."""

    referral_id: UUID
    county_code: str
    status: ReferralStatus


@dataclass(frozen=True)
class ReferralRecord:
    id: UUID
    kind: str
    county_code: str
    recipient: str
    status: ReferralStatus
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None = None
    new_referral_reason: str | None = None
    forwarded_from_id: UUID | None = None
    forwarded_to_id: UUID | None = None
    cancelled_at: datetime | None = None
    cancellation_reason: str | None = None
    history: Sequence[StatusChange] = ()
    chain: Sequence[Leg] = ()
    purged_at: datetime | None = None


class Submitted(NamedTuple):
    """A submitted referral, and whether this request created it (not a replay)."""

    referral: ReferralRecord
    created: bool


@dataclass(frozen=True)
class Stored:
    """A referral of a batch that is stored: ``created`` by this request, or earlier under
    the same Idempotency-Key and body."""

    id: UUID
    created: bool


BatchOutcome = Stored | RuleRefused
"""One batch entry's outcome: stored, or refused by a rule (``RuleRefused`` and its kinds)."""


@dataclass(frozen=True)
class StatementRecord:
    id: UUID
    county_code: str
    sender: str
    referral_id: UUID | None
    made_at: datetime
    received_at: datetime
    statement: Mapping[str, Any] = field(repr=False)


class Recorded(NamedTuple):
    """A cooperation record (case-manager period, cooperation case) as Kela's side now keeps
    it: its stored row's columns, and whether this request changed it."""

    row: Mapping[str, Any]
    changed: bool
