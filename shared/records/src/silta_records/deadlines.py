"""Deadlines in working days, counted with Finnish public holidays.

A working day is Monday to Friday except Finnish public holidays and the de-facto days off
that the `holidays` library lists with them (Midsummer Eve, Christmas Eve). The day a
referral arrives is day 0; it is due at the end of the N-th working day after it, in
Finnish time. Defaults follow the law (Social Welfare Act 1301/2014 §36: the assessment
of need starts at the latest on the 7th working day; urgent cases at once), and are
configuration, not code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from silta_platform.settings import ServiceSettings
from silta_schemas.codes import MessageKind, Urgency
from silta_schemas.lifecycle import is_open
from silta_schemas.status import ReferralStatus
from sqlalchemy import ColumnElement, Table, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from silta_records._finnish_holidays import DAYS_OFF

FINLAND = ZoneInfo("Europe/Helsinki")

AWAITING_FIRST_REACTION = frozenset({ReferralStatus.SENT, ReferralStatus.DELIVERED})
"""While a referral is in these, the county has not yet reacted to it: the deadline runs."""
AWAITING_DECISION = frozenset(status for status in ReferralStatus if is_open(status))
"""An application transfer's deadline is for the county's decision (ASA 1412/1997 §14):
it runs until the transfer is completed, whatever the county did first."""
DECISION_KINDS = frozenset({MessageKind.APPLICATION_TRANSFER})


def awaiting(kind: str) -> frozenset[ReferralStatus]:
    """The statuses in which a referral of ``kind`` is still waiting for what is due."""
    return AWAITING_DECISION if kind in DECISION_KINDS else AWAITING_FIRST_REACTION


def overdue_clause(table: Table, now: datetime) -> ColumnElement[bool]:
    """SQL for `is_overdue`, on a table with ``kind``, ``status`` and ``due_at``."""
    decision_kinds = sorted(DECISION_KINDS)
    return and_(
        table.c.due_at < now,
        or_(
            and_(
                table.c.kind.in_(decision_kinds),
                table.c.status.in_(sorted(AWAITING_DECISION)),
            ),
            and_(
                table.c.kind.not_in(decision_kinds),
                table.c.status.in_(sorted(AWAITING_FIRST_REACTION)),
            ),
        ),
    )


def overdue_by_county(
    table: Table,
) -> Callable[[AsyncConnection, datetime], Awaitable[dict[str, int]]]:
    """Overdue referrals per county code (every county with referrals, 0 included), for the
    ``silta_referrals_overdue`` gauge: counts, never ids."""

    async def count(conn: AsyncConnection, now: datetime) -> dict[str, int]:
        overdue = func.count().filter(overdue_clause(table, now))
        rows = await conn.execute(
            select(table.c.county_code, overdue).group_by(table.c.county_code)
        )
        return {str(code): int(n) for code, n in rows}

    return count


@lru_cache(maxsize=32)
def _holidays(year: int) -> frozenset[date]:
    listed = DAYS_OFF.get(year)
    if listed is not None:  # the years shipped as a table (tools/gen_holidays.py)
        return frozenset(date(year, int(day[:2]), int(day[2:])) for day in listed.split())
    # Any other year from the library itself: importing it loads every country it knows
    # (about 18 MB resident), so only when a deadline falls outside the table.
    import holidays

    return frozenset(holidays.country_holidays("FI", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: datetime, days: int) -> datetime:
    """The end of the ``days``-th working day after the (Finnish) day of ``start``."""
    return _end_of_working_day_after(start.astimezone(FINLAND).date(), days)


@lru_cache(maxsize=1024)
def _end_of_working_day_after(day: date, days: int) -> datetime:
    # Cached: every referral of a day gets the same deadline, counted once, not per referral.
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    end_of_day = datetime.combine(day + timedelta(days=1), time.min, tzinfo=FINLAND)
    return end_of_day - timedelta(microseconds=1)


def due_at(
    kind: str,
    urgent: bool,
    start: datetime,
    working_days: Mapping[str, int],
    urgent_working_days: int,
) -> datetime | None:
    """When the county's first reaction to a referral of ``kind`` is due; None if no deadline."""
    days = urgent_working_days if urgent else working_days.get(kind)
    return None if days is None else add_working_days(start, days)


def referral_due_at(
    referral: object, start: datetime, settings: ServiceSettings
) -> datetime | None:
    """``due_at`` for a referral payload (its ``kind`` and, if it has one, its ``urgency``)
    with the deadlines configured in ``settings``."""
    return due_at(
        str(getattr(referral, "kind")),  # noqa: B009 - every referral kind has one
        getattr(referral, "urgency", None) == Urgency.URGENT,
        start,
        settings.deadline_working_days,
        settings.urgent_deadline_working_days,
    )


def is_overdue(kind: str, status: ReferralStatus, due: datetime | None, now: datetime) -> bool:
    """Past its deadline while the county has not yet done what is due."""
    return due is not None and due < now and status in awaiting(kind)
