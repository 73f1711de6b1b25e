"""The pure rules of both sides for statements and responsible workers."""

from datetime import UTC, datetime, timedelta

import pytest
from kela_side.domain.statements import (
    CountyMessageRejected,
    check_referral_of_sender,
    check_same_sender,
)
from municipality_side.domain.statements import (
    Refused,
    check_county_served,
    check_directory_entry,
    check_may_name,
    check_statement_referral,
    next_naming,
)
from silta_schemas import examples
from silta_schemas.status import ReferralStatus
from silta_schemas.workers import ResponsibleWorkerChange, ResponsibleWorkerRequest

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def request(name: str = "Sanna Sosiaalityöntekijä") -> ResponsibleWorkerRequest:
    body = examples.RESPONSIBLE_WORKER_REQUEST_EXAMPLE
    return ResponsibleWorkerRequest.model_validate(
        body | {"worker": body["worker"] | {"name": name}}
    )


@pytest.mark.parametrize("status", list(ReferralStatus), ids=str)
def test_a_worker_is_named_only_while_the_county_works_on_the_referral(
    status: ReferralStatus,
) -> None:
    if status in (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS):
        check_may_name(status)
        return
    with pytest.raises(Refused) as caught:
        check_may_name(status)
    assert (caught.value.rule, caught.value.field) == (
        "responsible_worker.referral_not_in_work",
        "status",
    )


def test_first_naming_then_the_same_again_then_a_change() -> None:
    first = next_naming(None, request(), NOW)
    assert first is not None
    assert (first.change, first.named_at) == (ResponsibleWorkerChange.NAMED, NOW)
    assert next_naming(first, request(), NOW + timedelta(hours=1)) is None
    changed = next_naming(first, request("Pekka"), NOW + timedelta(hours=1))
    assert changed is not None
    assert changed.change == ResponsibleWorkerChange.CHANGED
    assert changed.worker.name == "Pekka"


def test_a_change_is_always_later_even_if_the_clock_steps_back() -> None:
    first = next_naming(None, request(), NOW)
    assert first is not None
    changed = next_naming(first, request("Pekka"), NOW - timedelta(minutes=5))
    assert changed is not None
    assert changed.named_at > first.named_at


@pytest.mark.parametrize(
    ("organisation", "rule"),
    [
        (None, "responsible_worker.directory_entry_unknown"),
        ("county-90", "responsible_worker.directory_entry_other_organisation"),
        ("kela", "responsible_worker.directory_entry_other_organisation"),
    ],
)
def test_the_directory_entry_must_be_the_countys(organisation: str | None, rule: str) -> None:
    check_directory_entry("county-11", "county-11")
    with pytest.raises(Refused) as caught:
        check_directory_entry(organisation, "county-11")
    assert (caught.value.rule, caught.value.field) == (rule, "directory_entry_id")


def test_statement_county_and_referral() -> None:
    check_county_served("11", frozenset({"11", "90"}))
    check_statement_referral("11", "11")
    for call, rule in [
        (lambda: check_county_served("05", frozenset({"11"})), "statement.county_not_served"),
        (lambda: check_statement_referral(None, "11"), "statement.referral_unknown"),
        (lambda: check_statement_referral("90", "11"), "statement.referral_other_county"),
    ]:
        with pytest.raises(Refused) as caught:
            call()
        assert caught.value.rule == rule


def test_kela_takes_only_what_concerns_a_referral_it_sent_to_the_sender() -> None:
    check_referral_of_sender("county-11", "county-11", "statement")
    check_same_sender("county-11", "county-11")
    for call, rule in [
        (lambda: check_referral_of_sender(None, "county-11", "statement"), "referral.unknown"),
        (
            lambda: check_referral_of_sender("county-90", "county-11", "responsible_worker"),
            "responsible_worker.wrong_county",
        ),
        (lambda: check_same_sender("county-90", "county-11"), "statement.duplicate_id"),
    ]:
        with pytest.raises(CountyMessageRejected) as caught:
            call()
        assert caught.value.rule == rule
