"""The records about a client a side keeps besides referrals and statements (case-manager
periods, cooperation cases, consultations, decision notices): where their content is sealed
(what ``reencrypt`` rewrites), and when each has closed, for retention: it is deleted whole
(the deletion logged as a purge) ``RETENTION_DAYS`` after that.

- a case-manager period: after its last day (the day Kela ended it early, else its end date);
- a cooperation case: after the day it was closed (an open case is kept);
- a consultation: after it was answered or declined, or, never answered, after its deadline;
- a decision notice: after this side stored it (a county's side sent it, Kela's received it).

Dates are compared on the day in Finland, as both sides read them (``cooperation.dates``):
both sides delete the same records on the same day without any message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from silta_protection.encryption import SealedColumn
from silta_protection.retention import ClosedRecords
from silta_schemas.consultations import ConsultationStatus
from sqlalchemy import ColumnElement, Table, and_, func, or_

from silta_records.consultations.store import status_clause
from silta_records.consultations.table import sealed_columns
from silta_records.cooperation.dates import finnish_today
from silta_records.cooperation.snapshots import SnapshotKind
from silta_records.record_columns import KeptRecords


class CooperationTables(Protocol):
    """A side's cooperation module: its case-manager periods and cooperation cases."""

    CASE_MANAGERS: SnapshotKind[Any]
    COOPERATION_CASES: SnapshotKind[Any]


class RecordTables(Protocol):
    """A side's tables module: its consultations and decision notices."""

    consultations: Table
    decision_notices: Table
    DECISION_NOTICE_PAYLOAD: SealedColumn


ANSWERED = [ConsultationStatus.ANSWERED.value, ConsultationStatus.DECLINED.value]


def _last_day_before(last_day: ColumnElement[Any]) -> Callable[[datetime], ColumnElement[bool]]:
    return lambda cutoff: last_day < finnish_today(cutoff)


def _consultation_closed(table: Table) -> Callable[[datetime], ColumnElement[bool]]:
    def closed_before(cutoff: datetime) -> ColumnElement[bool]:
        answered = and_(table.c.status.in_(ANSWERED), table.c.answered_at < cutoff)
        return or_(answered, status_clause(table, ConsultationStatus.EXPIRED, cutoff))

    return closed_before


def kept_records(cooperation: CooperationTables, tables: RecordTables) -> KeptRecords:
    """A side's case-manager periods, cooperation cases, consultations and decision notices:
    their sealed columns, and each with the rule saying it closed before a given instant."""
    periods, cases = cooperation.CASE_MANAGERS, cooperation.COOPERATION_CASES
    consultations, notices = tables.consultations, tables.decision_notices
    sealed = {
        "case_manager_periods": periods.sealed,
        "cooperation_cases": cases.sealed,
        "decision_notices": tables.DECISION_NOTICE_PAYLOAD,
        **sealed_columns(consultations),
    }
    period, case = periods.table.c, cases.table.c
    closed = (
        ClosedRecords(
            periods.resource,
            periods.table,
            _last_day_before(func.coalesce(period.ended_on, period.ends_on)),
        ),
        ClosedRecords(cases.resource, cases.table, _last_day_before(case.closed_on)),
        ClosedRecords("consultation", consultations, _consultation_closed(consultations)),
        ClosedRecords("decision_notice", notices, lambda cutoff: notices.c.recorded_at < cutoff),
    )
    return KeptRecords(sealed, closed)
