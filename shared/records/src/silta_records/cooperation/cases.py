"""Cooperation cases (yhteistyöasiakkuus) as both sides keep and show them: one client's
referrals, statements, case-manager periods and consultations tied together by id, with a
follow-up date; both sides list the cases due for follow-up."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query
from pydantic import Field
from silta_schemas.cooperation import (
    CaseLink,
    ClientIdentity,
    CooperationCase,
    CooperationCaseAction,
)
from sqlalchemy import ColumnElement, MetaData, Row, Table

from silta_records.cooperation.dates import finnish_today, is_due
from silta_records.cooperation.reads import ReadSide, RecordSummary, record_fields
from silta_records.cooperation.snapshots import SnapshotKind, replicated

DATES = {"opened_on": True, "follow_up_on": False, "closed_on": False}


def cooperation_cases(metadata: MetaData) -> SnapshotKind[CooperationCase]:
    """The cases, in table ``cooperation_cases`` of ``metadata``."""
    return replicated(
        metadata, "cooperation_cases", CooperationCase, lambda c: c.case_id, DATES, "follow_up_on"
    )


class CaseSummary(RecordSummary):
    """A cooperation case's tracking data: dates, nothing personal."""

    action: CooperationCaseAction = Field(description="The last thing Kela did.")
    opened_on: date = Field(description="When the case was opened.")
    follow_up_on: date | None = Field(description="The next follow-up date, if any.")
    closed_on: date | None = Field(description="When the case was closed, if it was.")
    due: bool = Field(
        description="Open and its follow-up date reached today (Finnish time): on both sides "
        "alike, without a message."
    )


class CaseView(CaseSummary):
    """A cooperation case in full: the client and what it ties together (ids only)."""

    client: ClientIdentity = Field(description="The client.")
    links: list[CaseLink] = Field(description="What the case ties together, by id.")


def _summary_fields(row: Any) -> dict[str, Any]:
    due = is_due(row.follow_up_on, row.closed_on, finnish_today())
    return record_fields(row, DATES) | {"due": due}


def case_summary(row: Any) -> CaseSummary:
    return CaseSummary(**_summary_fields(row))


def case_view(row: Row[Any], case: CooperationCase) -> CaseView:
    return CaseView(**_summary_fields(row), client=case.client, links=list(case.links))


def _due_filter(table: Table) -> Any:
    def filters(
        due: Annotated[
            bool,
            Query(description="Only open cases whose follow-up date has come (Finnish time)."),
        ] = False,
        due_before: Annotated[
            date | None,
            Query(description="Only open cases with a follow-up date before this day."),
        ] = None,
        open_only: Annotated[
            bool, Query(alias="open", description="Only cases not closed.")
        ] = False,
    ) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if due or due_before is not None or open_only:
            conditions.append(table.c.closed_on.is_(None))
        if due:
            conditions.append(table.c.follow_up_on <= finnish_today())
        if due_before is not None:
            conditions.append(table.c.follow_up_on < due_before)
        return conditions

    return filters


def cooperation_case_reads(kind: SnapshotKind[CooperationCase], purpose: str) -> ReadSide:
    """How a side shows its cooperation cases; ``purpose`` for its access log."""
    table = kind.table
    return ReadSide(
        kind=kind,
        prefix="/v1/cooperation-cases",
        tag="cooperation cases",
        purpose=purpose,
        summary=CaseSummary,
        detail=CaseView,
        summarise=case_summary,
        describe=case_view,
        filters=_due_filter(table),
        order=lambda: [table.c.follow_up_on.asc().nulls_last(), table.c.opened_on.desc()],
        words="cooperation cases",
    )
