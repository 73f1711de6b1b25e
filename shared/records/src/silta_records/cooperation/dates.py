"""The day it is in Finland, and what a record's dates mean on it: pure, no clock of its own.

A case-manager period ends by itself when its last day has passed, and a cooperation case
comes due for follow-up on its follow-up date: both sides read the same dates on the same
(Finnish) day, so they show the same without any message.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel

FINLAND = ZoneInfo("Europe/Helsinki")

M = TypeVar("M", bound=BaseModel)


def finnish_today(now: datetime | None = None) -> date:
    """The date in Finland at ``now`` (now if None)."""
    return (now or datetime.now(UTC)).astimezone(FINLAND).date()


class PeriodState(StrEnum):
    """Where a case-manager period stands on a day."""

    UPCOMING = "upcoming"
    ACTIVE = "active"
    ENDED = "ended"


def last_day(ends_on: date, ended_on: date | None) -> date:
    """The period's last day: the day it was ended early, else its end date."""
    return ended_on if ended_on is not None else ends_on


def period_state(starts_on: date, ends_on: date, ended_on: date | None, today: date) -> PeriodState:
    """Upcoming before its first day, ended after its last, active in between."""
    if today > last_day(ends_on, ended_on):
        return PeriodState.ENDED
    return PeriodState.UPCOMING if today < starts_on else PeriodState.ACTIVE


def is_due(follow_up_on: date | None, closed_on: date | None, today: date) -> bool:
    """An open case is due for follow-up from its follow-up date on."""
    return closed_on is None and follow_up_on is not None and follow_up_on <= today


def next_snapshot(current: M, now: datetime, **changes: Any) -> M:
    """``current`` with ``changes``, validated again, recorded at ``now``: later than
    ``current`` even if the clock stepped back, so that the county keeps it as the newest."""
    data = current.model_dump()
    recorded_at = max(now, data["recorded_at"] + timedelta(microseconds=1))
    return type(current).model_validate(data | changes | {"recorded_at": recorded_at})
