"""What a county's side answers about the referrals it holds, their responsible workers and
the statements it sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from silta_records.responsible_workers import Naming
from silta_records.status_history import StatusChange
from silta_schemas.status import ReferralStatus


@dataclass(frozen=True)
class ReferralRecord:
    id: UUID
    kind: str
    county_code: str
    status: ReferralStatus
    urgency: str | None
    received_at: datetime
    updated_at: datetime
    due_at: datetime | None = None
    child_welfare: bool = False
    payload: Mapping[str, Any] | None = None
    history: Sequence[StatusChange] = ()
    purged_at: datetime | None = None
    assigned_to: str | None = None


@dataclass(frozen=True)
class Namings:
    """A referral's responsible workers: every naming, oldest first."""

    county_code: str
    history: Sequence[Naming]

    @property
    def current(self) -> Naming | None:
        return self.history[-1] if self.history else None


class Named(NamedTuple):
    """A referral's namings after a naming, whether it was the first and whether it changed
    anything (naming the same worker again changes nothing and tells Kela nothing)."""

    namings: Namings
    first: bool
    changed: bool


@dataclass(frozen=True)
class StatementRecord:
    id: UUID
    county_code: str
    referral_id: UUID | None
    topics: Sequence[str]
    made_at: datetime
    sent_at: datetime
    received_by_kela_at: datetime | None
    statement: Mapping[str, Any] | None = field(default=None, repr=False)


class Sent(NamedTuple):
    """A statement sent, and whether this request sent it (not a replay)."""

    statement: StatementRecord
    created: bool


@dataclass(frozen=True)
class Assignment:
    """Whom a referral is assigned to (their token's subject), since when, with their entry
    in the county's part of the directory; ``first``: nobody had it before."""

    referral_id: UUID
    assigned_to: str | None
    assigned_at: datetime | None
    directory_entry_id: UUID | None
    first: bool = False


@dataclass(frozen=True)
class DecisionNoticeRecord:
    """A decision notice as sent: the notice itself only where the caller read it."""

    id: UUID
    county_code: str
    sent_at: datetime
    notice: Mapping[str, Any] | None = field(default=None, repr=False)
