"""Working-day deadlines with Finnish public holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from silta_platform.settings import ServiceSettings
from silta_records.deadlines import FINLAND, add_working_days, due_at, is_overdue, is_working_day
from silta_schemas.status import ReferralStatus

from tests.scripts import load_script

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 3, 2), True),  # a Monday
        (date(2026, 3, 7), False),  # Saturday
        (date(2026, 3, 8), False),  # Sunday
        (date(2026, 4, 3), False),  # Good Friday
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 5, 14), False),  # Ascension Day
        (date(2026, 6, 19), False),  # Midsummer Eve
        (date(2026, 12, 24), False),  # Christmas Eve
        (date(2026, 12, 7), True),  # Monday after Independence Day (a Sunday)
        (date(2027, 1, 6), False),  # Epiphany, another year
    ],
)
def test_working_days_follow_the_finnish_calendar(day: date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "days", "due_day"),
    [
        (datetime(2026, 3, 2, 10, 0, tzinfo=FINLAND), 7, date(2026, 3, 11)),  # plain weeks
        (datetime(2026, 3, 6, 16, 0, tzinfo=FINLAND), 1, date(2026, 3, 9)),  # over a weekend
        (datetime(2026, 4, 1, 9, 0, tzinfo=FINLAND), 2, date(2026, 4, 7)),  # over Easter
        (datetime(2026, 12, 22, 9, 0, tzinfo=FINLAND), 3, date(2026, 12, 29)),  # Christmas
        (datetime(2026, 6, 18, 9, 0, tzinfo=FINLAND), 1, date(2026, 6, 22)),  # Midsummer
        (datetime(2026, 3, 2, 10, 0, tzinfo=FINLAND), 0, date(2026, 3, 2)),  # same day
    ],
)
def test_a_deadline_is_the_end_of_the_nth_working_day(
    start: datetime, days: int, due_day: date
) -> None:
    due = add_working_days(start, days)
    assert due.astimezone(FINLAND).date() == due_day
    assert (due + timedelta(microseconds=1)).astimezone(FINLAND).date() == due_day + timedelta(1)


def test_the_day_counts_in_finnish_time_not_utc() -> None:
    late_thursday_utc = datetime(2026, 3, 5, 22, 30, tzinfo=UTC)  # already Friday in Finland
    # counted from Friday: Monday; counted (wrongly) from Thursday it would be Friday
    assert add_working_days(late_thursday_utc, 1).astimezone(FINLAND).date() == date(2026, 3, 9)


def test_deadline_per_kind_and_urgency_come_from_configuration() -> None:
    start = datetime(2026, 3, 2, 10, 0, tzinfo=FINLAND)
    days = {"notice_of_need": 7}
    assert due_at("notice_of_need", False, start, days, 1) == add_working_days(start, 7)
    assert due_at("notice_of_need", True, start, days, 1) == add_working_days(start, 1)
    assert due_at("statement", False, start, days, 1) is None


@pytest.mark.parametrize(
    ("kind", "status", "overdue"),
    [
        # a notice: overdue only while the county has not reacted
        ("notice_of_need", ReferralStatus.SENT, True),
        ("notice_of_need", ReferralStatus.DELIVERED, True),
        ("notice_of_need", ReferralStatus.ACCEPTED, False),
        ("notice_of_need", ReferralStatus.REJECTED, False),
        ("notice_of_need", ReferralStatus.COMPLETED, False),
        # a transfer: overdue until the county has decided
        ("application_transfer", ReferralStatus.DELIVERED, True),
        ("application_transfer", ReferralStatus.ACCEPTED, True),
        ("application_transfer", ReferralStatus.IN_PROGRESS, True),
        ("application_transfer", ReferralStatus.COMPLETED, False),
        ("application_transfer", ReferralStatus.FORWARDED, False),
        ("application_transfer", ReferralStatus.CANCELLED, False),
    ],
)
def test_overdue_while_the_county_owes_its_reaction_or_decision_and_the_deadline_passed(
    kind: str, status: ReferralStatus, overdue: bool
) -> None:
    now = datetime(2026, 3, 20, tzinfo=UTC)
    assert is_overdue(kind, status, now - timedelta(seconds=1), now) is overdue
    assert is_overdue(kind, status, now + timedelta(seconds=1), now) is False
    assert is_overdue(kind, status, None, now) is False


def test_transfer_deadline_defaults_to_seven_working_days() -> None:
    days = ServiceSettings(database_url="sqlite+aiosqlite://", port=1).deadline_working_days
    start = datetime(2026, 4, 1, 10, 0, tzinfo=FINLAND)  # Wednesday before Easter 2026
    due = due_at("application_transfer", False, start, days, 1)
    # Thu 2, (Good Friday 3), (Easter Monday 6), Tue 7 .. Fri 10 = 5, Mon 13, Tue 14 = 7
    assert due is not None
    assert due.astimezone(FINLAND).date() == date(2026, 4, 14)


def test_the_shipped_calendar_is_the_holiday_librarys_for_every_year_it_covers() -> None:
    """The services read Finland's days off from a generated table (importing `holidays` costs
    each service about 18 MB); it must say what the pinned library says, year by year, and a
    year outside it is asked of the library."""
    import holidays
    from silta_records import _finnish_holidays as table

    for year in range(table.FIRST_YEAR, table.LAST_YEAR + 1):
        library = set(holidays.country_holidays("FI", years=year))
        shipped = {day for day in library if not is_working_day(day)}
        assert shipped == library, year
        weekdays = [date(year, 1, 1) + timedelta(days=n) for n in range(365)]
        free = {day for day in weekdays if day.weekday() < 5 and not is_working_day(day)}
        assert free == {day for day in library if day.weekday() < 5}, year
    beyond = table.LAST_YEAR + 5
    assert not is_working_day(date(beyond, 12, 6))  # Independence Day, from the library
    assert (
        load_script(REPO / "tools" / "gen_holidays.py", "gen_holidays").render()
        == (
            REPO / "shared" / "records" / "src" / "silta_records" / "_finnish_holidays.py"
        ).read_text()
    )
