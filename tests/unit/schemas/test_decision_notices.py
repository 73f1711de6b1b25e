"""Decision notices (county → Kela): the fact of a supplementary or preventive assistance
decision or an activation plan, never its content; the outcome fits the type; the legal basis
the county states is the envelope's."""

import pytest
from silta_schemas import MessageKind, Purpose, open_message, seal
from silta_schemas.cooperation_examples import (
    DECISION_NOTICE_EXAMPLE,
    DECISION_NOTICE_REQUEST_EXAMPLE,
    DEFAULT_DECISION_NOTICE_BASIS,
)
from silta_schemas.decisions import DecisionNotice, DecisionNoticeRequest

from .support import Body, assert_rule, example_fixture, rejected, sealed

notice = example_fixture(DECISION_NOTICE_EXAMPLE)
notice_request = example_fixture(DECISION_NOTICE_REQUEST_EXAMPLE)


def test_the_default_basis_cites_the_act_on_social_assistance() -> None:
    assert "1412/1997 §18" in DEFAULT_DECISION_NOTICE_BASIS
    assert "confirm" in DEFAULT_DECISION_NOTICE_BASIS
    assert len(DEFAULT_DECISION_NOTICE_BASIS) <= 200


def test_an_activation_plan_has_no_outcome(notice_request: Body) -> None:
    notice_request |= {"decision_type": "activation_plan"}
    assert_rule(DecisionNoticeRequest, notice_request, "decision_notice.outcome_not_for_plan")
    notice_request["outcome"] = None
    assert DecisionNoticeRequest.model_validate(notice_request).outcome is None


@pytest.mark.parametrize("decision_type", ["supplementary_assistance", "preventive_assistance"])
def test_an_assistance_decision_says_granted_or_refused(
    notice_request: Body, decision_type: str
) -> None:
    notice_request |= {"decision_type": decision_type, "outcome": None}
    assert_rule(DecisionNoticeRequest, notice_request, "decision_notice.outcome_required")
    notice_request["outcome"] = "refused"
    assert DecisionNoticeRequest.model_validate(notice_request).outcome == "refused"
    notice_request["outcome"] = "partly"
    assert_rule(DecisionNoticeRequest, notice_request, "enum", ("outcome",))


@pytest.mark.parametrize("content", ["amount", "reason", "expense_categories", "description"])
def test_no_content_of_the_decision_is_carried(notice: Body, content: str) -> None:
    notice[content] = "120 euros for moving costs"
    assert_rule(DecisionNotice, notice, "extra_forbidden", (content,))


def test_nothing_about_the_client_but_the_identity_code(notice: Body) -> None:
    notice["client"]["municipality_code"] = "405"
    assert_rule(DecisionNotice, notice, "extra_forbidden", ("client", "municipality_code"))
    notice["client"] = {"identity_code": "131052-308U"}
    assert_rule(
        DecisionNotice, notice, "identity_code.control_character", ("client", "identity_code")
    )


def test_the_envelope_states_the_basis_the_county_configured(notice: Body) -> None:
    notice["legal_basis"] = "Act on Social Assistance 1412/1997 §18"
    payload = DecisionNotice.model_validate(notice)
    envelope = seal(payload, sender="county-11", recipient="kela")
    assert envelope.kind is MessageKind.DECISION_NOTICE
    assert (envelope.purpose, envelope.legal_basis) == (
        Purpose.DECISION_NOTICE,
        "Act on Social Assistance 1412/1997 §18",
    )
    assert envelope.referral_id is None
    assert open_message(envelope.to_bytes()).payload == payload


def test_another_basis_in_the_envelope_than_in_the_payload_is_rejected(notice: Body) -> None:
    envelope = sealed(DecisionNotice.model_validate(notice), "county-11", "kela")
    envelope["legal_basis"] = "Social Welfare Act 1301/2014 §41"
    assert rejected(envelope).rule == "envelope.purpose_mismatch"


def test_only_a_county_sends_it_to_kela_and_about_no_referral(notice: Body) -> None:
    payload = DecisionNotice.model_validate(notice)
    envelope = sealed(payload, "county-11", "kela")
    assert rejected(envelope | {"sender": "kela", "recipient": "county-11"}).rule == (
        "envelope.sender_not_allowed"
    )
    assert rejected(envelope | {"recipient": "county-05"}).rule == "envelope.wrong_recipient"
    referral = "0b6e5f8a-3f43-4c55-9b51-6f1d2a7c9e10"
    assert rejected(envelope | {"referral_id": referral}).rule == (
        "envelope.referral_id_not_allowed"
    )
