"""Case-manager periods (asiakkuusvastaava) as both sides keep and show them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query
from pydantic import Field
from silta_schemas.cooperation import CaseManagerAction, CaseManagerPeriod, ClientIdentity
from silta_schemas.work_contact import WorkContact
from sqlalchemy import ColumnElement, MetaData, Row, Table, func

from silta_records.cooperation.dates import PeriodState, finnish_today, last_day, period_state
from silta_records.cooperation.reads import ReadSide, RecordSummary, record_fields
from silta_records.cooperation.snapshots import SnapshotKind, replicated

DATES = {"starts_on": True, "ends_on": True, "ended_on": False}


class PeriodSummary(RecordSummary):
    """A case-manager period's tracking data: dates and state, nothing personal."""

    state: PeriodState = Field(
        description="`upcoming`, `active` or `ended` today (Finnish time): a period ends by "
        "itself after its last day, on both sides alike, without a message."
    )
    action: CaseManagerAction = Field(description="The last thing Kela did: named, changed, ended.")
    starts_on: date = Field(description="First day of the period.")
    ends_on: date = Field(description="Last day as agreed.")
    ended_on: date | None = Field(description="Last day of a period Kela ended early.")
    last_day: date = Field(description="The period's last day: `ended_on`, else `ends_on`.")


class PeriodView(PeriodSummary):
    """A case-manager period in full: the client and the case manager."""

    client: ClientIdentity = Field(description="The client.")
    case_manager: WorkContact = Field(description="The case manager's work contact.")
    directory_entry_id: UUID | None = Field(
        description="The case manager's entry in Kela's part of the contact directory, if any."
    )


def _summary_fields(row: Any) -> dict[str, Any]:
    state = period_state(row.starts_on, row.ends_on, row.ended_on, finnish_today())
    derived = {"last_day": last_day(row.ends_on, row.ended_on), "state": state}
    return record_fields(row, DATES) | derived


def period_summary(row: Any) -> PeriodSummary:
    return PeriodSummary(**_summary_fields(row))


def period_view(row: Row[Any], period: CaseManagerPeriod) -> PeriodView:
    return PeriodView(
        **_summary_fields(row),
        client=period.client,
        case_manager=period.case_manager,
        directory_entry_id=period.directory_entry_id,
    )


def _state_filter(table: Table) -> Any:
    def filters(
        state: Annotated[
            PeriodState | None,
            Query(description="Only periods in this state today (Finnish time)."),
        ] = None,
    ) -> list[ColumnElement[bool]]:
        if state is None:
            return []
        today = finnish_today()
        # The last day is ended_on where Kela ended the period early (NULL-safe: coalesce).
        ended = func.coalesce(table.c.ended_on, table.c.ends_on) < today
        if state == PeriodState.ENDED:
            return [ended]
        if state == PeriodState.UPCOMING:
            return [~ended, table.c.starts_on > today]
        return [~ended, table.c.starts_on <= today]

    return filters


def case_manager_reads(kind: SnapshotKind[CaseManagerPeriod], purpose: str) -> ReadSide:
    """How a side shows its case-manager periods; ``purpose`` for its access log."""
    return ReadSide(
        kind=kind,
        prefix="/v1/case-manager-periods",
        tag="case managers",
        purpose=purpose,
        summary=PeriodSummary,
        detail=PeriodView,
        summarise=period_summary,
        describe=period_view,
        filters=_state_filter(kind.table),
        order=lambda: [kind.table.c.starts_on.desc()],
        words="case-manager periods",
    )


def case_manager_periods(metadata: MetaData) -> SnapshotKind[CaseManagerPeriod]:
    """The periods, in table ``case_manager_periods`` of ``metadata``."""
    return replicated(
        metadata, "case_manager_periods", CaseManagerPeriod, lambda p: p.period_id, DATES, "ends_on"
    )
