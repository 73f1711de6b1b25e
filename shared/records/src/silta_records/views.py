"""The referral views both services show in the same shape: history, list entries, list filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol
from uuid import UUID

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from silta_platform.http import MAX_OFFSET
from silta_schemas.code_lists import CodeListName, described
from silta_schemas.codes import MessageKind
from silta_schemas.status import ReferralStatus

from silta_records.deadlines import is_overdue


class StatusChangeView(BaseModel):
    """One change in a referral's history: what, when, by which organisation, why."""

    sequence: int = Field(
        description="Order of the change: 0 is Kela's `sent`, the county numbers its own from 1."
    )
    status: ReferralStatus = Field(
        description=described(CodeListName.STATUSES, "The status the referral took.")
    )
    event: str | None = Field(
        None, description=described(CodeListName.EVENTS, "With `in_progress`: what happened.")
    )
    outcome: str | None = Field(
        None, description=described(CodeListName.OUTCOMES, "With `completed`: how it ended.")
    )
    hold_reason: str | None = Field(
        None,
        description=described(CodeListName.HOLD_REASONS, "With `on_hold`: why (a code)."),
    )
    reason: str | None = Field(None, description="Why, where the status requires a reason.")
    forwarded_to_county: str | None = Field(
        None, description="With `forwarded`: the county the referral went on to."
    )
    changed_at: datetime = Field(description="When the change was made.")
    changed_by: str = Field(description="Organisation that made it: `kela` or `county-NN`.")
    changed_by_unit: str | None = Field(
        None,
        description="The county unit that made it, where the county's system said (work data; "
        "never the worker).",
    )


class ReferralSummaryBase(BaseModel):
    """What both sides show of a referral in a list: tracking data, no personal data."""

    id: UUID = Field(description="The referral's id, shared by both sides.")
    kind: MessageKind = Field(description="What was sent, e.g. `notice_of_need`.")
    status: ReferralStatus = Field(description=described(CodeListName.STATUSES, "Current status."))
    county_code: str = Field(
        description="Wellbeing services county it was routed to (`01`–`21`, Helsinki `90`)."
    )
    updated_at: datetime = Field(description="When its status last changed.")
    due_at: datetime | None = Field(
        description="When the county's first reaction is due (working days, Finnish holidays); "
        "for an application transfer, its decision."
    )
    overdue: bool = Field(
        description="Past `due_at` without the county's first reaction (for an application "
        "transfer: without its decision)."
    )


class TrackedReferral(Protocol):
    """A side's record of a referral, as far as a list shows it."""

    @property
    def id(self) -> UUID: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> ReferralStatus: ...
    @property
    def county_code(self) -> str: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def due_at(self) -> datetime | None: ...


_SUMMARY = ("id", "kind", "status", "county_code", "updated_at", "due_at")


def summary_fields(record: TrackedReferral, *own: str) -> dict[str, Any]:
    """The ``ReferralSummaryBase`` fields of ``record`` (``overdue`` as of now) and the
    attributes its side adds to the summary (``own``)."""
    fields = {name: getattr(record, name) for name in (*_SUMMARY, *own)}
    now = datetime.now(UTC)
    return fields | {"overdue": is_overdue(record.kind, record.status, record.due_at, now)}


@dataclass(frozen=True)
class ListQuery:
    status: ReferralStatus | None
    limit: int
    offset: int
    overdue: bool


async def list_query(
    status: Annotated[
        ReferralStatus | None, Query(description="Only referrals in this status.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
    overdue: Annotated[
        bool,
        Query(
            description="Only referrals past their deadline that the county has not yet "
            "reacted to (still `sent` or `delivered`), and application transfers past their "
            "decision deadline and not yet decided."
        ),
    ] = False,
) -> ListQuery:
    return ListQuery(status, limit, offset, overdue)


ListQueryDep = Annotated[ListQuery, Depends(list_query)]
