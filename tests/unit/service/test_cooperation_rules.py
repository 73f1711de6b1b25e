"""The pure rules of Kela's side for case-manager periods and cooperation cases, and the
dates both sides read alike (a period ends, a follow-up comes due, on the Finnish day)."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from kela_side.domain import case_managers as periods
from kela_side.domain import cooperation_cases as cases
from silta_records.cooperation.dates import PeriodState, finnish_today, is_due, period_state
from silta_schemas import cooperation as co
from silta_schemas import cooperation_examples as ex
from silta_schemas.errors import RuleRefused

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
TODAY = date(2026, 12, 4)


def refused(rule: str, call: Any) -> None:
    with pytest.raises(RuleRefused) as caught:
        call()
    assert caught.value.rule == rule


def named(**changes: Any) -> co.CaseManagerPeriod:
    body = copy.deepcopy(ex.CASE_MANAGER_PERIOD_REQUEST_EXAMPLE)
    body |= {"starts_on": "2026-12-01", "ends_on": "2027-05-31", **changes}
    request = co.CaseManagerPeriodRequest.model_validate(body)
    return periods.named(request, uuid.uuid4(), NOW, TODAY)


def test_the_finnish_day_decides_the_state_and_what_is_due() -> None:
    # 22:30 UTC on 3 December is already 4 December in Helsinki.
    assert finnish_today(datetime(2026, 12, 3, 22, 30, tzinfo=UTC)) == TODAY
    start, end = date(2026, 12, 1), date(2026, 12, 31)
    assert period_state(start, end, None, date(2026, 11, 30)) is PeriodState.UPCOMING
    assert period_state(start, end, None, end) is PeriodState.ACTIVE  # the last day counts
    assert period_state(start, end, None, end + timedelta(days=1)) is PeriodState.ENDED
    assert period_state(start, end, TODAY, TODAY + timedelta(days=1)) is PeriodState.ENDED
    assert is_due(TODAY, None, TODAY)
    assert not is_due(TODAY, TODAY, TODAY)  # closed
    assert not is_due(None, None, TODAY)
    assert not is_due(TODAY + timedelta(days=1), None, TODAY)


def test_a_period_is_routed_on_kelas_side_and_carries_only_the_county_code() -> None:
    period = named()
    assert (period.county_code, period.action) == ("11", co.CaseManagerAction.NAMED)
    assert "municipality_code" not in period.model_dump()["client"]
    refused("case_manager.period_over", lambda: named(starts_on="2026-01-01", ends_on="2026-06-30"))
    aland = copy.deepcopy(ex.CASE_MANAGER_PERIOD_REQUEST_EXAMPLE)
    aland["client"]["municipality_code"] = "478"
    request = co.CaseManagerPeriodRequest.model_validate(aland)
    refused("routing.aland", lambda: periods.named(request, uuid.uuid4(), NOW, TODAY))


def test_changes_and_endings_follow_the_period() -> None:
    period = named()
    new_end = co.CaseManagerChangeRequest(ends_on=date(2027, 8, 31))
    changed = periods.changed(period, new_end, NOW, TODAY)
    assert changed is not None
    assert (changed.action, changed.ends_on) == (co.CaseManagerAction.CHANGED, date(2027, 8, 31))
    assert changed.recorded_at > period.recorded_at
    assert periods.changed(changed, new_end, NOW, TODAY) is None  # the same again: nothing
    ended = periods.ended(changed, co.CaseManagerEndRequest(), NOW, TODAY)
    assert (ended.action, ended.ended_on) == (co.CaseManagerAction.ENDED, TODAY)
    tomorrow = TODAY + timedelta(days=1)
    refused("case_manager.period_ended", lambda: periods.changed(ended, new_end, NOW, tomorrow))
    early = co.CaseManagerEndRequest(ended_on=date(2026, 11, 1))
    refused(
        "case_manager.ended_on_outside_period", lambda: periods.ended(period, early, NOW, TODAY)
    )


def test_a_client_has_one_case_manager_at_a_time() -> None:
    periods.check_no_overlap([(date(2026, 1, 1), date(2026, 11, 30))], TODAY, TODAY)
    refused(
        periods.OVERLAPPING,
        lambda: periods.check_no_overlap([(date(2026, 1, 1), TODAY)], TODAY, TODAY),
    )


def opened(**changes: Any) -> co.CooperationCase:
    body = copy.deepcopy(ex.COOPERATION_CASE_REQUEST_EXAMPLE) | changes
    return cases.opened(co.CooperationCaseRequest.model_validate(body), uuid.uuid4(), NOW, TODAY)


def test_a_case_links_only_this_clients_records_with_this_county() -> None:
    referral, statement = uuid.uuid4(), uuid.uuid4()
    links = [co.CaseLink(type=co.LinkType.REFERRAL, id=referral)]
    owners = {("referral", str(referral)): ("key", "11")}
    cases.check_links(links, owners, "key", "11")
    refused(
        "cooperation_case.link_other_client",
        lambda: cases.check_links(links, owners, "other", "11"),
    )
    refused(
        "cooperation_case.link_other_client", lambda: cases.check_links(links, owners, "key", "90")
    )
    unknown = [co.CaseLink(type=co.LinkType.STATEMENT, id=statement)]
    refused(
        "cooperation_case.link_unknown", lambda: cases.check_links(unknown, owners, "key", "11")
    )
    consultation = [co.CaseLink(type=co.LinkType.CONSULTATION, id=uuid.uuid4())]
    cases.check_links(consultation, {}, "key", "11")  # an opaque id


def test_a_case_follows_up_links_and_closes() -> None:
    case = opened(follow_up_on=None)
    assert (case.county_code, case.opened_on, case.action) == ("11", TODAY, "opened")
    refused(
        "cooperation_case.follow_up_past",
        lambda: cases.follow_up_set(
            case, co.FollowUpRequest(follow_up_on=date(2026, 1, 1)), NOW, TODAY
        ),
    )
    set_ = cases.follow_up_set(case, co.FollowUpRequest(follow_up_on=TODAY), NOW, TODAY)
    assert set_ is not None
    assert set_.follow_up_on == TODAY
    again = co.LinkRequest(links=list(case.links))
    assert cases.linked(case, cases.new_links(case, again), NOW) is None  # nothing new
    closed = cases.closed(set_, NOW, TODAY)
    assert (closed.action, closed.closed_on) == ("closed", TODAY)
    refused(cases.CLOSED, lambda: cases.new_links(closed, again))
    refused(cases.ALREADY_OPEN, lambda: cases.check_none_open(["a-case"]))
    cases.check_none_open([])
