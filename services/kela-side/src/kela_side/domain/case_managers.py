"""What Kela's side decides about a client's case-manager period (asiakkuusvastaava): pure
rules, no I/O. Each function returns the period as it then stands, to be sent whole."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from uuid import UUID

from pydantic_core import PydanticCustomError
from silta_records.cooperation.dates import PeriodState, last_day, next_snapshot, period_state
from silta_schemas.cooperation import (
    CaseManagerAction,
    CaseManagerChangeRequest,
    CaseManagerEndRequest,
    CaseManagerPeriod,
    CaseManagerPeriodRequest,
    RoutedClient,
)
from silta_schemas.errors import RuleRefused

PERIOD_ENDED = "case_manager.period_ended"
OVERLAPPING = "case_manager.overlapping_period"
CONFLICTS = frozenset({PERIOD_ENDED, OVERLAPPING})
"""Rules refused as a conflict with the period's state (``409``), not as invalid input."""


def routed(client: RoutedClient, today: date) -> str:
    """The client's county, routed on Kela's side (only the county code is sent)."""
    try:
        return client.county_code(today)
    except PydanticCustomError as error:
        raise RuleRefused(error.type, error.message(), field="client.municipality_code") from None


def _not_over(ends_on: date, today: date) -> None:
    if ends_on < today:
        raise RuleRefused(
            "case_manager.period_over",
            "ends_on has passed: the period would already be over",
            field="ends_on",
        )


def check_no_overlap(others: Iterable[tuple[date, date]], starts_on: date, last: date) -> None:
    """A client has one case manager at a time: no two periods share a day."""
    for other_start, other_last in others:
        if other_start <= last and starts_on <= other_last:
            raise RuleRefused(
                OVERLAPPING,
                "the client already has a case-manager period on some of these days",
                field="starts_on",
            )


def named(
    request: CaseManagerPeriodRequest, period_id: UUID, now: datetime, today: date
) -> CaseManagerPeriod:
    """The period a request names."""
    county = routed(request.client, today)
    _not_over(request.ends_on, today)
    if request.consent.given_at > now:
        raise RuleRefused(
            "case_manager.consent_in_future",
            "the consent's given_at is in the future",
            field="consent.given_at",
        )
    return CaseManagerPeriod(
        kind="case_manager_period",
        period_id=period_id,
        action=CaseManagerAction.NAMED,
        recorded_at=now,
        county_code=county,
        client=request.client.identity(),
        consent=request.consent,
        case_manager=request.case_manager,
        directory_entry_id=request.directory_entry_id,
        starts_on=request.starts_on,
        ends_on=request.ends_on,
    )


def _still_open(current: CaseManagerPeriod, today: date) -> None:
    if (
        period_state(current.starts_on, current.ends_on, current.ended_on, today)
        is PeriodState.ENDED
    ):
        raise RuleRefused(
            PERIOD_ENDED, "the period has ended: name a new period instead", field="period_id"
        )


def changed(
    current: CaseManagerPeriod, request: CaseManagerChangeRequest, now: datetime, today: date
) -> CaseManagerPeriod | None:
    """The period with a new case manager or end date; None if nothing changes."""
    _still_open(current, today)
    ends_on = request.ends_on or current.ends_on
    if ends_on != current.ends_on:
        _not_over(ends_on, today)
        if ends_on < current.starts_on:
            raise RuleRefused(
                "case_manager.period_order", "ends_on may not be before starts_on", field="ends_on"
            )
    manager, entry = current.case_manager, current.directory_entry_id
    if request.case_manager is not None:
        manager, entry = request.case_manager, request.directory_entry_id
    if (manager, entry, ends_on) == (
        current.case_manager,
        current.directory_entry_id,
        current.ends_on,
    ):
        return None
    return next_snapshot(
        current,
        now,
        action=CaseManagerAction.CHANGED,
        case_manager=manager.model_dump(),
        directory_entry_id=entry,
        ends_on=ends_on,
    )


def ended(
    current: CaseManagerPeriod, request: CaseManagerEndRequest, now: datetime, today: date
) -> CaseManagerPeriod:
    """The period ended early, on ``request.ended_on`` (today if not given)."""
    _still_open(current, today)
    ended_on = request.ended_on or today
    if not current.starts_on <= ended_on <= current.ends_on:
        raise RuleRefused(
            "case_manager.ended_on_outside_period",
            "ended_on must fall within the period (starts_on to ends_on)",
            field="ended_on",
        )
    return next_snapshot(current, now, action=CaseManagerAction.ENDED, ended_on=ended_on)


def span(period: CaseManagerPeriod) -> tuple[date, date]:
    """The days a period covers, first and last."""
    return period.starts_on, last_day(period.ends_on, period.ended_on)
