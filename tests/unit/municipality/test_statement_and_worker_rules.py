"""The county side's rules for the statements it sends, Kela's receipts of them and the
responsible workers it names (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from municipality_side.domain.statements import (
    SentStatement,
    check_county_served,
    check_statement_referral,
    receipt_time,
)
from municipality_side.domain.workers import check_directory_entry, check_may_name, next_naming
from silta_schemas import examples
from silta_schemas.errors import RuleRefused
from silta_schemas.idempotency import IdempotencyKeyReused, check_replay, fingerprint
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
    if status in (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS, ReferralStatus.ON_HOLD):
        check_may_name(status)
        return
    with pytest.raises(RuleRefused) as caught:
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
    with pytest.raises(RuleRefused) as caught:
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
        with pytest.raises(RuleRefused) as caught:
            call()
        assert caught.value.rule == rule


def test_an_idempotency_key_repeats_only_with_the_same_body() -> None:
    body = {"county_code": "11", "topics": ["move"]}
    check_replay(fingerprint(body), fingerprint(dict(reversed(body.items()))))
    with pytest.raises(IdempotencyKeyReused) as caught:
        check_replay(fingerprint(body), fingerprint(body | {"county_code": "90"}))
    assert (caught.value.rule, caught.value.field) == ("idempotency_key.reused", "Idempotency-Key")


def test_kelas_receipt_is_recorded_once() -> None:
    waiting = SentStatement("county-11", None)
    assert receipt_time(waiting, "county-11", NOW) == NOW
    received = SentStatement("county-11", NOW)
    assert receipt_time(received, "county-11", NOW + timedelta(hours=1)) is None


@pytest.mark.parametrize(
    ("sent", "rule"),
    [
        (None, "statement.unknown"),
        (SentStatement("county-90", None), "statement_receipt.wrong_county"),
    ],
)
def test_a_receipt_of_a_statement_the_recipient_did_not_send_is_refused(
    sent: SentStatement | None, rule: str
) -> None:
    with pytest.raises(RuleRefused) as caught:
        receipt_time(sent, "county-11", NOW)
    assert caught.value.rule == rule
