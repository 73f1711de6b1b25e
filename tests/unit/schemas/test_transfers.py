"""Application transfer (ASA §14) and cancellation: valid and invalid cases per rule."""

from typing import Any

import pytest
from silta_schemas import (
    APPLICATION_TRANSFER_EXAMPLE,
    ApplicationTransfer,
    Cancellation,
    CancellationRequest,
    Purpose,
    purpose_and_legal_basis,
    referral_adapter,
)

from .support import Body, assert_rule, example_fixture

transfer = example_fixture(APPLICATION_TRANSFER_EXAMPLE)


def test_example_routes_and_is_sent_under_section_14(transfer: Body) -> None:
    model = referral_adapter.validate_python(transfer)
    assert isinstance(model, ApplicationTransfer)
    assert model.county_code == "11"  # Kuopio (405) → Pohjois-Savo
    purpose, basis = purpose_and_legal_basis(model)
    assert purpose == Purpose.APPLICATION_TRANSFER
    assert "1412/1997 §14" in basis


def test_other_expense_with_description(transfer: Body) -> None:
    transfer["expense_categories"] = ["other"]
    transfer["expense_description"] = "Glasses"
    assert ApplicationTransfer.model_validate(transfer).expense_description == "Glasses"


@pytest.mark.parametrize(
    ("path", "value", "rule", "loc"),
    [
        ("expense_categories", [], "too_short", ("expense_categories",)),
        (
            "expense_categories",
            ["moving_costs", "moving_costs"],
            "expense_categories.duplicate",
            ("expense_categories",),
        ),
        ("expense_categories", ["other"], "expense_description.required", ("expense_description",)),
        ("expense_categories", ["holiday"], "enum", ("expense_categories", 0)),
        ("assistance_sought", [], "too_short", ("assistance_sought",)),
        (
            "assistance_sought",
            ["preventive", "preventive"],
            "assistance_sought.duplicate",
            ("assistance_sought",),
        ),
        ("assistance_sought", ["basic"], "enum", ("assistance_sought", 0)),
        ("applicant_request", None, "model_type", ("applicant_request",)),
        (
            "applicant_request",
            {"requested_at": "2026-03-04T09:00:00+02:00", "method": "phone"},
            "transfer.request_after_transfer",
            ("applicant_request",),
        ),
        (
            "kela_decision",
            {"reference": "T 1", "decided_on": "2026-03-03"},
            "string_pattern_mismatch",
            ("kela_decision", "reference"),
        ),
        (
            "kela_decision",
            {"reference": "TO-2026-1", "decided_on": "2026-02-01"},
            "transfer.decision_before_application",
            (),
        ),
        (
            "kela_decision",
            {"reference": "TO-2026-1", "decided_on": "2026-03-10"},
            "transfer.decision_after_transfer",
            (),
        ),
        ("kela_decision", None, "model_type", ("kela_decision",)),
        ("basis", {"type": "consent"}, "extra_forbidden", ("basis",)),
        ("amount_eur", 250, "extra_forbidden", ("amount_eur",)),
        (
            "expense_description",
            "Client 131052-308T's glasses",
            "free_text.identity_code",
            ("expense_description",),
        ),
    ],
)
def test_transfer_rules(
    transfer: Body, path: str, value: Any, rule: str, loc: tuple[str | int, ...]
) -> None:
    transfer[path] = value
    assert_rule(ApplicationTransfer, transfer, rule, loc)


def test_transfer_carries_no_contact_details(transfer: Body) -> None:
    transfer["client"]["contact"] = {"phone": "+358 40 000 0000", "email": None, "address": None}
    assert_rule(ApplicationTransfer, transfer, "client.contact_not_covered", ("client",))


@pytest.mark.parametrize(
    ("code", "rule"), [("478", "routing.aland"), ("000", "routing.unknown_municipality")]
)
def test_transfer_routing(transfer: Body, code: str, rule: str) -> None:
    transfer["client"]["municipality_code"] = code
    assert_rule(ApplicationTransfer, transfer, rule, ("client",))


def test_forwarded_from_names_the_forwarding_county(transfer: Body) -> None:
    transfer["forwarded_from"] = {
        "referral_id": "0b6e5f8a-3f43-4c55-9b51-6f1d2a7c9e10",
        "county_code": "90",
        "reason": "The client moved to Kuopio.",
    }
    model = ApplicationTransfer.model_validate(transfer)
    assert model.forwarded_from is not None
    assert model.forwarded_from.county_code == "90"
    transfer["forwarded_from"]["county_code"] = "22"
    assert_rule(
        ApplicationTransfer, transfer, "string_pattern_mismatch", ("forwarded_from", "county_code")
    )


# --- cancellation ------------------------------------------------------------------------


def test_cancellation_needs_a_reason() -> None:
    assert_rule(CancellationRequest, {}, "missing", ("reason",))
    assert_rule(CancellationRequest, {"reason": ""}, "string_too_short", ("reason",))
    assert CancellationRequest.model_validate({"reason": "Sent in error."}).reason


@pytest.mark.parametrize(
    ("changes", "rule", "loc"),
    [
        ({"reason": None}, "string_type", ("reason",)),
        ({"reason": "Wrong client 131052-308T"}, "free_text.identity_code", ("reason",)),
        ({"cancelled_at": "2026-03-02T11:00:00"}, "timezone_aware", ("cancelled_at",)),
        ({"client": {"identity_code": "131052-308T"}}, "extra_forbidden", ("client",)),
    ],
)
def test_cancellation_rules(changes: Body, rule: str, loc: tuple[str, ...]) -> None:
    body = {"kind": "cancellation", "cancelled_at": "2026-03-02T11:00:00+02:00", "reason": "x"}
    assert_rule(Cancellation, body | changes, rule, loc)
