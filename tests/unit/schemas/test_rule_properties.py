"""Property tests: for any input hypothesis draws, the models agree with the rule as stated
in DOMAIN.md, checked against an oracle written here independently of the package."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from silta_schemas import (
    APPLICATION_TRANSFER_EXAMPLE,
    NOTICE_OF_NEED_EXAMPLE,
    ApplicationTransfer,
    NoticeOfNeed,
    RoutingError,
    StatusUpdate,
    county_for_municipality,
)
from silta_schemas.text import FreeText

from .support import copied, identity_codes

CSV = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "data" / "municipalities.csv"
ROWS = list(csv.DictReader(CSV.open(encoding="utf-8")))
BY_YEAR: dict[int, dict[str, str]] = {}
for row in ROWS:
    BY_YEAR.setdefault(int(row["valid_year"]), {})[row["municipality_code"]] = row["county_code"]

STATUSES = ["accepted", "in_progress", "completed", "rejected", "forwarded"]
EVENTS = [None, "contact_attempted", "client_reached", "client_not_reached"]
OUTCOMES = [None, "client_declined", "no_need_found", "client_relationship_started"]
REASONS = [None, "Not ours."]
MUNICIPALITIES = [None, "091", "478"]


def _valid_update(status: str, event: Any, outcome: Any, reason: Any, municipality: Any) -> bool:
    """DOMAIN.md: an event only (and always) in progress, an outcome only when completed, a
    reason exactly when rejected or forwarded, a routable municipality exactly when forwarded."""
    return (
        (event is not None) == (status == "in_progress")
        and (outcome is not None) == (status == "completed")
        and (reason is not None) == (status in ("rejected", "forwarded"))
        and (municipality is not None) == (status == "forwarded")
        and municipality != "478"  # Åland has no county
    )


@given(
    st.sampled_from(STATUSES),
    st.sampled_from(EVENTS),
    st.sampled_from(OUTCOMES),
    st.sampled_from(REASONS),
    st.sampled_from(MUNICIPALITIES),
)
def test_a_status_update_carries_exactly_what_its_status_needs(
    status: str, event: Any, outcome: Any, reason: Any, municipality: Any
) -> None:
    body = {
        "status": status,
        "event": event,
        "outcome": outcome,
        "reason": reason,
        "forwarded_to_municipality": municipality,
    }
    try:
        StatusUpdate.model_validate(body)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted == _valid_update(status, event, outcome, reason, municipality)


@settings(max_examples=200)
@given(st.sampled_from(sorted(BY_YEAR)), st.data())
def test_every_municipality_routes_as_the_packaged_classification_says(
    year: int, data: st.DataObject
) -> None:
    code = data.draw(st.sampled_from(sorted(BY_YEAR[year])))
    expected = BY_YEAR[year][code]
    on = date(year, data.draw(st.integers(1, 12)), 1)
    if expected:
        assert county_for_municipality(code, on) == expected
    else:  # Åland: no county
        with pytest.raises(RoutingError) as caught:
            county_for_municipality(code, on)
        assert caught.value.rule == "routing.aland"


@given(st.integers(0, 999).map(lambda n: f"{n:03d}"))
def test_a_code_that_is_no_municipality_is_refused(code: str) -> None:
    if any(code in mapping for mapping in BY_YEAR.values()):
        return
    with pytest.raises(RoutingError) as caught:
        county_for_municipality(code, date(2026, 1, 1))
    assert caught.value.rule == "routing.unknown_municipality"


FREE_TEXT = TypeAdapter(FreeText)


@given(st.text(max_size=40), identity_codes(), st.text(max_size=40))
def test_free_text_never_carries_another_persons_identity_code(
    before: str, code: str, after: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        FREE_TEXT.validate_python(f"{before} {code} {after}")
    assert caught.value.errors()[0]["type"] == "free_text.identity_code"


@given(st.integers(-3 * 24, 3 * 24))
def test_consent_covers_the_notice_only_if_given_before_it(hours: int) -> None:
    body = copied(NOTICE_OF_NEED_EXAMPLE)
    made_at = datetime.fromisoformat(body["made_at"])
    body["basis"]["given_at"] = (made_at + timedelta(hours=hours)).isoformat()
    if hours <= 0:
        assert NoticeOfNeed.model_validate(body).basis.type == "consent"
        return
    with pytest.raises(ValidationError) as caught:
        NoticeOfNeed.model_validate(body)
    assert [e["type"] for e in caught.value.errors()] == ["basis.consent_after_notice"]


CATEGORIES = [
    "housing_costs",
    "moving_costs",
    "household_equipment",
    "childrens_hobbies",
    "other",
]


@given(st.lists(st.sampled_from(CATEGORIES), max_size=6), st.booleans())
def test_a_transfer_lists_distinct_expenses_and_describes_other(
    categories: list[str], described: bool
) -> None:
    body = copied(APPLICATION_TRANSFER_EXAMPLE)
    body["expense_categories"] = categories
    body["expense_description"] = "Glasses" if described else None
    expected = (
        len(categories) >= 1
        and len(set(categories)) == len(categories)
        and (described or "other" not in categories)
    )
    try:
        ApplicationTransfer.model_validate(body)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted == expected
