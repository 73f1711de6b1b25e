from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from silta_schemas import (
    ConsentBasis,
    NoticeOfBasicAmountReduction,
    NoticeOfNeed,
    SupportNeed,
    Urgency,
    referral_adapter,
)
from silta_schemas.examples import EXAMPLE_IDENTITY_CODE

from .support import Body, assert_no_identity_code, assert_rule, errors

EXCEPTION_BASIS = {
    "type": "legal_exception",
    "ground": "unable_to_look_after_own_care",
    "justification": "Client was confused and could not be asked for consent.",
}
ADDRESS = {"street": "Katu 1", "postal_code": "53100", "post_office": "Lappeenranta"}


# --- notice of need -------------------------------------------------------------------------


def test_example_is_valid_and_routes(notice: Body) -> None:
    model = NoticeOfNeed.model_validate(notice)
    assert model.county_code == "11"
    assert model.support_needs == (SupportNeed.FINANCIAL, SupportNeed.EVERYDAY_LIFE)
    assert not model.is_child_welfare_notice
    assert model.model_dump(mode="json") == notice


def test_repr_hides_identity_code_and_description(notice: Body) -> None:
    text = repr(NoticeOfNeed.model_validate(notice))
    assert EXAMPLE_IDENTITY_CODE not in text
    assert notice["description"] not in text
    assert "+358 40" not in text


def test_missing_basis_is_rejected(notice: Body) -> None:
    del notice["basis"]
    assert_rule(NoticeOfNeed, notice, "missing", ("basis",))


def test_both_bases_are_rejected(notice: Body) -> None:
    notice["basis"] |= {"ground": "child_interest", "justification": "x"}
    error = assert_rule(NoticeOfNeed, notice, "extra_forbidden", ("basis", "consent", "ground"))
    assert (("basis", "consent", "justification"), "extra_forbidden") in errors(error)


def test_top_level_consent_key_is_rejected(notice: Body) -> None:
    notice["consent"] = notice["basis"]
    assert_rule(NoticeOfNeed, notice, "extra_forbidden", ("consent",))


def test_unknown_basis_type_is_rejected(notice: Body) -> None:
    notice["basis"]["type"] = "implied"
    assert_rule(NoticeOfNeed, notice, "union_tag_invalid", ("basis",))


def test_consent_after_notice_is_rejected(notice: Body) -> None:
    notice["basis"]["given_at"] = "2026-03-02T10:15:01+02:00"
    error = assert_rule(NoticeOfNeed, notice, "basis.consent_after_notice", ("basis",))
    assert "§35" in error.errors()[0]["msg"]


def test_consent_at_the_same_instant_in_another_offset_is_accepted(notice: Body) -> None:
    notice["basis"]["given_at"] = "2026-03-02T08:15:00Z"  # == made_at
    basis = NoticeOfNeed.model_validate(notice).basis
    assert isinstance(basis, ConsentBasis)
    assert basis.given_at == datetime(2026, 3, 2, 8, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("covers", "rule", "loc"),
    [
        (["contact_details"], "basis.consent_scope", ("basis", "consent", "covers")),
        ([], "too_short", ("basis", "consent", "covers")),
        (
            ["notice_of_need", "notice_of_need"],
            "basis.consent_scope_duplicate",
            ("basis", "consent", "covers"),
        ),
        (["everything"], "enum", ("basis", "consent", "covers", 0)),
    ],
)
def test_consent_scope_rules(
    notice: Body, covers: list[str], rule: str, loc: tuple[Any, ...]
) -> None:
    notice["basis"]["covers"] = covers
    notice["client"]["contact"] = None
    assert_rule(NoticeOfNeed, notice, rule, loc)


@pytest.mark.parametrize("field", ["given_at", "method", "recorded_by", "covers"])
def test_consent_fields_are_required(notice: Body, field: str) -> None:
    del notice["basis"][field]
    assert_rule(NoticeOfNeed, notice, "missing", ("basis", "consent", field))


def test_naive_timestamps_are_rejected(notice: Body) -> None:
    notice["made_at"] = "2026-03-02T10:15:00"
    assert_rule(NoticeOfNeed, notice, "timezone_aware", ("made_at",))


def test_contact_without_contact_consent_is_rejected(notice: Body) -> None:
    notice["basis"]["covers"] = ["notice_of_need", "information_exchange"]
    error = assert_rule(NoticeOfNeed, notice, "client.contact_not_covered")
    assert "contact_details" in error.errors()[0]["msg"]


def test_no_contact_needs_no_contact_consent(notice: Body) -> None:
    notice["basis"]["covers"] = ["notice_of_need"]
    notice["client"]["contact"] = None
    assert NoticeOfNeed.model_validate(notice).client.contact is None


@pytest.mark.parametrize("ground", ["unable_to_look_after_own_care", "child_interest"])
def test_legal_exception_allows_contact(notice: Body, ground: str) -> None:
    notice["basis"] = EXCEPTION_BASIS | {"ground": ground}
    model = NoticeOfNeed.model_validate(notice)
    assert model.client.contact is not None
    assert model.is_child_welfare_notice is (ground == "child_interest")


def test_legal_exception_needs_justification(notice: Body) -> None:
    notice["basis"] = EXCEPTION_BASIS | {"justification": "  "}
    assert_rule(
        NoticeOfNeed, notice, "string_too_short", ("basis", "legal_exception", "justification")
    )


def test_address_under_non_disclosure_is_rejected(notice: Body) -> None:
    notice["client"]["address_non_disclosure"] = True
    notice["client"]["contact"] = {"phone": "+358 40 000 0000", "address": ADDRESS}
    assert_rule(NoticeOfNeed, notice, "client.address_non_disclosure", ("client",))


def test_phone_under_non_disclosure_is_accepted(notice: Body) -> None:
    notice["client"]["address_non_disclosure"] = True
    assert NoticeOfNeed.model_validate(notice).client.address_non_disclosure


def test_address_without_non_disclosure_is_accepted(notice: Body) -> None:
    notice["client"]["contact"] = {"address": ADDRESS}
    assert NoticeOfNeed.model_validate(notice).client.contact is not None


@pytest.mark.parametrize(("municipality", "county"), [("091", "90"), ("405", "11"), ("853", "05")])
def test_notice_routes_by_municipality(notice: Body, municipality: str, county: str) -> None:
    notice["client"]["municipality_code"] = municipality
    assert NoticeOfNeed.model_validate(notice).county_code == county


@pytest.mark.parametrize(
    ("municipality", "rule"),
    [("478", "routing.aland"), ("999", "routing.unknown_municipality")],
)
def test_notice_that_cannot_route_is_rejected(notice: Body, municipality: str, rule: str) -> None:
    notice["client"]["municipality_code"] = municipality
    error = assert_rule(NoticeOfNeed, notice, rule, ("client",))
    assert error.errors()[0]["msg"].startswith("client.municipality_code")


def test_routing_uses_the_year_of_the_notice(notice: Body) -> None:
    notice["client"]["municipality_code"] = "588"  # Pertunmaa, merged on 2025-01-01
    notice["made_at"] = "2024-12-31T12:00:00+02:00"
    notice["basis"]["given_at"] = "2024-12-31T11:00:00+02:00"
    assert NoticeOfNeed.model_validate(notice).county_code == "12"
    notice["made_at"] = "2025-01-02T12:00:00+02:00"
    assert_rule(NoticeOfNeed, notice, "routing.unknown_municipality", ("client",))


def test_municipality_code_format(notice: Body) -> None:
    notice["client"]["municipality_code"] = "91"
    assert_rule(NoticeOfNeed, notice, "string_pattern_mismatch", ("client", "municipality_code"))


def test_invalid_identity_code_is_rejected(notice: Body) -> None:
    notice["client"]["identity_code"] = "131052-308U"
    assert_rule(
        NoticeOfNeed, notice, "identity_code.control_character", ("client", "identity_code")
    )


@pytest.mark.parametrize(
    ("needs", "rule", "loc"),
    [
        ([3, 3], "support_needs.duplicate", ("support_needs",)),
        ([], "too_short", ("support_needs",)),
        ([0], "enum", ("support_needs", 0)),
        ([11], "enum", ("support_needs", 0)),
    ],
)
def test_support_need_rules(
    notice: Body, needs: list[int], rule: str, loc: tuple[Any, ...]
) -> None:
    notice["support_needs"] = needs
    assert_rule(NoticeOfNeed, notice, rule, loc)


def test_all_ten_support_needs_are_accepted(notice: Body) -> None:
    notice["support_needs"] = list(range(1, 11))
    assert len(NoticeOfNeed.model_validate(notice).support_needs) == 10


def test_other_trigger_needs_description(notice: Body) -> None:
    notice["trigger"] = "other"
    assert_rule(NoticeOfNeed, notice, "trigger.description_required", ("trigger_description",))
    notice["trigger_description"] = "Eviction notice received"
    assert NoticeOfNeed.model_validate(notice).trigger_description == "Eviction notice received"


@pytest.mark.parametrize(
    ("field", "path"),
    [
        ("description", ("description",)),
        ("trigger_description", ("trigger_description",)),
        ("recorded_by", ("basis", "consent", "recorded_by")),
    ],
)
def test_identity_code_in_free_text_is_rejected(
    notice: Body, field: str, path: tuple[str, ...]
) -> None:
    target = notice["basis"] if field == "recorded_by" else notice
    target[field] = f"Spouse {'010594Y9032'} also needs help"
    assert_rule(NoticeOfNeed, notice, "free_text.identity_code", path)


def test_description_length_limit(notice: Body) -> None:
    notice["description"] = "x" * 2001
    assert_rule(NoticeOfNeed, notice, "string_too_long", ("description",))


def test_urgency_defaults_to_normal(notice: Body) -> None:
    del notice["urgency"]
    assert NoticeOfNeed.model_validate(notice).urgency == "normal"


def test_notice_is_frozen(notice: Body) -> None:
    model = NoticeOfNeed.model_validate(notice)
    with pytest.raises(ValidationError):
        model.urgency = Urgency.URGENT  # type: ignore[misc]


def test_str_of_validation_error_hides_input(notice: Body) -> None:
    notice["client"]["identity_code"] = "131052-308U"
    notice["description"] = "x" * 2001
    with pytest.raises(ValidationError) as caught:
        NoticeOfNeed.model_validate(notice)
    assert_no_identity_code(str(caught.value), "131052-308U")
    assert "xxxx" not in str(caught.value)


# --- notice of basic amount reduction -------------------------------------------------------


def test_reduction_example_is_valid(reduction: Body) -> None:
    model = NoticeOfBasicAmountReduction.model_validate(reduction)
    assert model.county_code == "11"
    assert model.model_dump(mode="json") == reduction


@pytest.mark.parametrize("key", ["basis", "consent"])
def test_reduction_carries_no_consent(reduction: Body, key: str) -> None:
    reduction[key] = {"type": "consent"}
    error = assert_rule(NoticeOfBasicAmountReduction, reduction, "basis.not_allowed")
    assert "ASA §10" in error.errors()[0]["msg"]


@pytest.mark.parametrize("percent", [0, 10, 30, 50, 100, "twenty"])
def test_reduction_percent_is_20_or_40(reduction: Body, percent: object) -> None:
    reduction["reduction_percent"] = percent
    assert_rule(NoticeOfBasicAmountReduction, reduction, "literal_error", ("reduction_percent",))


def test_reduction_of_40_percent_is_accepted(reduction: Body) -> None:
    reduction["reduction_percent"] = 40
    assert NoticeOfBasicAmountReduction.model_validate(reduction).reduction_percent == 40


def test_reduction_period_order(reduction: Body) -> None:
    reduction["period_end"] = "2026-02-28"
    assert_rule(NoticeOfBasicAmountReduction, reduction, "period.order", ("period_end",))
    reduction["period_end"] = reduction["period_start"]
    assert NoticeOfBasicAmountReduction.model_validate(reduction)


def test_reduction_carries_no_contact(reduction: Body) -> None:
    reduction["client"]["contact"] = {"phone": "+358 40 000 0000"}
    assert_rule(NoticeOfBasicAmountReduction, reduction, "client.contact_not_covered", ("client",))


def test_reduction_for_aland_is_rejected(reduction: Body) -> None:
    reduction["client"]["municipality_code"] = "478"
    assert_rule(NoticeOfBasicAmountReduction, reduction, "routing.aland", ("client",))


def test_reduction_rejects_extra_fields(reduction: Body) -> None:
    reduction["description"] = "free text has no place here"
    assert_rule(NoticeOfBasicAmountReduction, reduction, "extra_forbidden", ("description",))


# --- the union ------------------------------------------------------------------------------


def test_adapter_tells_kinds_apart(notice: Body, reduction: Body) -> None:
    assert isinstance(referral_adapter.validate_python(notice), NoticeOfNeed)
    assert isinstance(referral_adapter.validate_python(reduction), NoticeOfBasicAmountReduction)


@pytest.mark.parametrize("kind", ["cancellation", "status_acknowledgement", None])
def test_adapter_rejects_other_kinds(notice: Body, kind: str | None) -> None:
    notice["kind"] = kind
    with pytest.raises(ValidationError) as caught:
        referral_adapter.validate_python(notice)
    assert errors(caught.value)[0][1] in {"union_tag_invalid", "union_tag_not_found"}


def test_adapter_error_text_hides_input(notice: Body) -> None:
    notice["client"]["identity_code"] = "131052-308U"
    with pytest.raises(ValidationError) as caught:
        referral_adapter.validate_python(notice)
    assert errors(caught.value) == [
        (("notice_of_need", "client", "identity_code"), "identity_code.control_character")
    ]
    assert_no_identity_code(str(caught.value), "131052-308U")


def test_schema_documents_every_field() -> None:
    schema = referral_adapter.json_schema()
    assert schema["discriminator"]["propertyName"] == "kind"
    for name, definition in schema["$defs"].items():
        for field, prop in definition.get("properties", {}).items():
            assert "description" in prop, f"{name}.{field}"
    assert schema["$defs"]["NoticeOfNeed"]["examples"][0]["kind"] == "notice_of_need"
