"""Consultations: with consent or anonymous, the answer within the question's purposes, either
side asking the other; the legal basis follows whether a client is named."""

import pytest
from silta_schemas import MessageKind, Purpose, seal
from silta_schemas.consultations import (
    ANSWER_FIELDS,
    ConsultationAnswer,
    ConsultationAnswerBody,
    ConsultationPurpose,
    ConsultationRequest,
    ConsultationRequestBody,
)
from silta_schemas.cooperation_examples import (
    CONSULTATION_ANSWER_EXAMPLE,
    CONSULTATION_EXAMPLE,
    CONSULTATION_REQUEST_EXAMPLE,
)
from silta_schemas.kinds.consultation_request import ANONYMOUS, WITH_CONSENT

from .support import Body, assert_rule, example_fixture, rejected, sealed

question = example_fixture(CONSULTATION_EXAMPLE)
body = example_fixture(CONSULTATION_REQUEST_EXAMPLE)
answer = example_fixture(CONSULTATION_ANSWER_EXAMPLE)


def test_every_purpose_allows_some_answer_field() -> None:
    assert set(ANSWER_FIELDS) == set(ConsultationPurpose)
    assert all(ANSWER_FIELDS.values())


def test_a_named_client_needs_the_consent_recorded_before_the_question(question: Body) -> None:
    del question["client"]["consent"]
    assert_rule(ConsultationRequest, question, "missing", ("client", "consent"))
    question["client"]["consent"] = dict(CONSULTATION_EXAMPLE["client"]["consent"])
    question["client"]["consent"]["given_at"] = "2026-03-04T11:00:00+02:00"
    assert_rule(ConsultationRequest, question, "consultation.consent_after_question")


def test_an_anonymous_question_carries_no_identity_code(body: Body) -> None:
    body["client"] = None
    assert ConsultationRequestBody.model_validate(body).client is None
    body["question"] = "Is the client 131052-308T already a client of adult social work?"
    assert_rule(ConsultationRequestBody, body, "free_text.identity_code", ("question",))
    body["question"] = "Is the client 131052 308T already a client?"  # disguised
    assert_rule(ConsultationRequestBody, body, "free_text.identity_code", ("question",))


def test_the_legal_basis_follows_the_client(question: Body) -> None:
    named = seal(ConsultationRequest.model_validate(question), sender="kela", recipient="county-11")
    assert (named.kind, named.purpose, named.legal_basis) == (
        MessageKind.CONSULTATION_REQUEST,
        Purpose.CONSULTATION,
        WITH_CONSENT,
    )
    question["client"] = None
    anonymous = seal(
        ConsultationRequest.model_validate(question), sender="county-11", recipient="kela"
    )
    assert anonymous.legal_basis == ANONYMOUS


def test_either_side_asks_the_other_and_only_the_other(question: Body) -> None:
    payload = ConsultationRequest.model_validate(question)
    from_kela = sealed(payload, "kela", "county-11")
    assert rejected(from_kela | {"recipient": "kela"}).rule == "envelope.wrong_recipient"
    assert rejected(from_kela | {"recipient": "counties"}).rule == "envelope.wrong_recipient"
    from_county = sealed(payload, "county-11", "kela")
    assert rejected(from_county | {"recipient": "county-05"}).rule == "envelope.wrong_recipient"


@pytest.mark.parametrize(
    ("field", "value"),
    [("client_of_services", True), ("application_pending", False)],
)
def test_the_answer_carries_only_what_the_purposes_allow(
    answer: Body, field: str, value: bool
) -> None:
    answer[field] = value
    error = assert_rule(ConsultationAnswer, answer, "consultation_answer.beyond_purpose")
    assert field in str(error)
    answer["purposes"] = [
        "situation_assessment",
        "contact_person",
        "service_need",
        "benefit_matter",
    ]
    assert getattr(ConsultationAnswer.model_validate(answer), field) is value


def test_declined_gives_a_reason_and_no_content(answer: Body) -> None:
    answer["outcome"] = "declined"
    assert_rule(ConsultationAnswer, answer, "consultation_answer.declined_shape")
    answer |= {"assessment": None, "contact": None, "decline_reason": "Not ours to answer."}
    assert ConsultationAnswer.model_validate(answer).decline_reason == "Not ours to answer."
    answer["outcome"] = "answered"
    assert_rule(ConsultationAnswer, answer, "consultation_answer.answered_shape")


def test_the_answerer_is_reachable(answer: Body) -> None:
    body = {
        k: v
        for k, v in answer.items()
        if k not in {"kind", "consultation_id", "answered_at", "purposes"}
    }
    body["answerer"] = body["answerer"] | {"phone": None, "email": None}
    assert_rule(ConsultationAnswerBody, body, "worker.channel_required")
