"""Statements of social work (county → Kela), Kela's receipt, and Kela's search body: every
rule valid and invalid, and the envelope rules for a kind that may or may not name a referral."""

import json
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st
from silta_schemas import (
    PAYLOAD_MODELS,
    SENDER_SIDE,
    STATEMENT_EXAMPLE,
    STATEMENT_RECEIPT_EXAMPLE,
    STATEMENT_REQUEST_EXAMPLE,
    Actor,
    MessageKind,
    MessageRejected,
    Purpose,
    Statement,
    StatementReceipt,
    StatementRequest,
    StatementSearch,
    StatementTopic,
    open_message,
    purpose_and_legal_basis,
    seal,
)
from silta_schemas.text import FREE_TEXT_MAX, SHORT_TEXT_MAX

from .support import (
    OTHER_CODE,
    REFERRAL,
    Body,
    assert_no_identity_code,
    assert_rule,
    copied,
    example_fixture,
    identity_codes,
    rejected,
    sealed,
)

TOPICS = [topic.value for topic in StatementTopic]


statement = example_fixture(STATEMENT_EXAMPLE)
statement_request = example_fixture(STATEMENT_REQUEST_EXAMPLE)
receipt = example_fixture(STATEMENT_RECEIPT_EXAMPLE)


def test_the_topics() -> None:
    assert TOPICS == [
        "move",
        "decision_period",
        "basic_amount_reduction",
        "special_circumstances",
        "other",
    ]


# --- the statement ----------------------------------------------------------------------------


def test_valid_statement(statement: Body) -> None:
    model = Statement.model_validate(statement)
    assert model.client.identity_code == "131052-308T"
    assert model.topics == (StatementTopic.MOVE, StatementTopic.DECISION_PERIOD)
    assert model.author.phone == "+358 40 123 4567"


def test_author_needs_no_channel(statement: Body) -> None:
    statement["author"] |= {"phone": None, "email": None}
    assert Statement.model_validate(statement).author.has_channel is False


def test_repr_holds_neither_the_identity_code_nor_the_text(statement: Body) -> None:
    text = repr(Statement.model_validate(statement)) + str(Statement.model_validate(statement))
    assert_no_identity_code(text)
    assert "supported housing" not in text


@pytest.mark.parametrize(
    ("changes", "rule", "loc"),
    [
        ({"client": {"identity_code": "131052-308U"}}, "identity_code.control_character", ()),
        ({"client": {"identity_code": "131052-308t"}}, "identity_code.format", ()),
        ({"client": {"identity_code": "311352-308T"}}, "identity_code.date", ()),
        ({"client": {}}, "missing", ("identity_code",)),
        ({"topics": []}, "too_short", ("topics",)),
        ({"topics": ["move", "move"]}, "statement.topic_duplicate", ("topics",)),
        ({"topics": ["housing"]}, "enum", ("topics", 0)),
        ({"text": " "}, "string_too_short", ("text",)),
        ({"text": "x" * (FREE_TEXT_MAX + 1)}, "string_too_long", ("text",)),
        ({"text": f"The spouse {OTHER_CODE} moves too."}, "free_text.identity_code", ("text",)),
        ({"text": "About 131052-308T."}, "free_text.identity_code", ("text",)),
        ({"made_at": "2026-03-03T14:00:00"}, "timezone_aware", ("made_at",)),
        ({"statement_id": "42"}, "uuid_parsing", ("statement_id",)),
        ({"kind": "status_acknowledgement"}, "literal_error", ("kind",)),
        ({"author": None}, "model_type", ("author",)),
    ],
)
def test_invalid_statement(
    statement: Body, changes: Body, rule: str, loc: tuple[int | str, ...]
) -> None:
    if "client" in changes and "identity_code" in changes["client"]:
        loc = ("client", "identity_code")
    elif changes.get("client") == {}:
        loc = ("client", *loc)
    assert_rule(Statement, statement | changes, rule, loc)


@pytest.mark.parametrize(
    "field",
    ["municipality_code", "address", "contact", "decision", "diagnosis", "referral_id"],
)
def test_nothing_outside_the_allow_list(statement: Body, field: str) -> None:
    assert_rule(Statement, statement | {field: "x"}, "extra_forbidden", (field,))


def test_client_carries_the_identity_code_only(statement: Body) -> None:
    statement["client"]["municipality_code"] = "405"
    assert_rule(Statement, statement, "extra_forbidden", ("client", "municipality_code"))


@pytest.mark.parametrize(
    ("changes", "rule", "loc"),
    [
        ({"name": " "}, "string_too_short", ("name",)),
        ({"title": "x" * (SHORT_TEXT_MAX + 1)}, "string_too_long", ("title",)),
        ({"unit": f"Unit of {OTHER_CODE}"}, "free_text.identity_code", ("unit",)),
        ({"phone": "call me"}, "string_pattern_mismatch", ("phone",)),
        ({"email": "not an address"}, "string_pattern_mismatch", ("email",)),
        ({"home_address": "Katu 1"}, "extra_forbidden", ("home_address",)),
    ],
)
def test_invalid_author(statement: Body, changes: Body, rule: str, loc: tuple[str, ...]) -> None:
    statement["author"] |= changes
    assert_rule(Statement, statement, rule, ("author", *loc))


@given(st.permutations(TOPICS), st.integers(1, len(TOPICS)))
def test_any_distinct_topics_are_valid(topics: list[str], count: int) -> None:
    body = copied(STATEMENT_EXAMPLE) | {"topics": topics[:count]}
    assert [t.value for t in Statement.model_validate(body).topics] == topics[:count]


@given(
    st.lists(st.sampled_from(TOPICS), min_size=2, max_size=8).filter(lambda t: len(set(t)) < len(t))
)
def test_any_repeated_topic_is_rejected(topics: list[str]) -> None:
    assert_rule(
        Statement,
        copied(STATEMENT_EXAMPLE) | {"topics": topics},
        "statement.topic_duplicate",
        ("topics",),
    )


@given(identity_codes(max_number=899))
def test_any_valid_identity_code_may_be_searched_and_none_goes_into_the_text(code: str) -> None:
    assert StatementSearch.model_validate({"identity_code": code}).identity_code == code
    body = copied(STATEMENT_EXAMPLE)
    body["client"]["identity_code"] = code
    assert Statement.model_validate(body).client.identity_code == code
    body["text"] = f"See also {code.lower()}."
    assert_rule(Statement, body, "free_text.identity_code", ("text",))


# --- the HTTP request -------------------------------------------------------------------------


def test_request_may_name_a_referral(statement_request: Body) -> None:
    assert StatementRequest.model_validate(statement_request).referral_id is None
    statement_request["referral_id"] = str(REFERRAL)
    assert StatementRequest.model_validate(statement_request).referral_id == REFERRAL


@pytest.mark.parametrize(
    ("changes", "rule", "loc"),
    [
        ({"county_code": "22"}, "string_pattern_mismatch", ("county_code",)),
        ({"county_code": None}, "string_type", ("county_code",)),
        ({"referral_id": "referral 1"}, "uuid_parsing", ("referral_id",)),
        ({"statement_id": str(REFERRAL)}, "extra_forbidden", ("statement_id",)),
        ({"kind": "statement"}, "extra_forbidden", ("kind",)),
    ],
)
def test_invalid_request(
    statement_request: Body, changes: Body, rule: str, loc: tuple[str, ...]
) -> None:
    assert_rule(StatementRequest, statement_request | changes, rule, loc)


def test_request_without_county_is_invalid(statement_request: Body) -> None:
    del statement_request["county_code"]
    assert_rule(StatementRequest, statement_request, "missing", ("county_code",))


# --- the receipt and the search ---------------------------------------------------------------


def test_receipt_carries_nothing_personal(receipt: Body) -> None:
    assert set(StatementReceipt.model_fields) == {"kind", "statement_id", "received_at"}
    for field, value in [("client", {"identity_code": "131052-308T"}), ("text", "x")]:
        assert_rule(StatementReceipt, receipt | {field: value}, "extra_forbidden", (field,))
    naive = receipt | {"received_at": "2026-03-03T14:00:02"}
    assert_rule(StatementReceipt, naive, "timezone_aware", ("received_at",))


@pytest.mark.parametrize(
    ("body", "rule", "loc"),
    [
        ({"identity_code": "131052-308U"}, "identity_code.control_character", ("identity_code",)),
        ({}, "missing", ("identity_code",)),
        ({"identity_code": "131052-308T", "name": "x"}, "extra_forbidden", ("name",)),
    ],
)
def test_invalid_search(body: Body, rule: str, loc: tuple[str, ...]) -> None:
    assert_rule(StatementSearch, body, rule, loc)


# --- the envelope -----------------------------------------------------------------------------


def test_kinds_and_senders() -> None:
    assert MessageKind.STATEMENT_RECEIPT.value == "statement_receipt"
    assert PAYLOAD_MODELS[MessageKind.STATEMENT] is Statement
    assert PAYLOAD_MODELS[MessageKind.STATEMENT_RECEIPT] is StatementReceipt
    assert SENDER_SIDE[MessageKind.STATEMENT] == {Actor.COUNTY}
    assert SENDER_SIDE[MessageKind.STATEMENT_RECEIPT] == {Actor.KELA}


def test_purpose_and_legal_basis(statement: Body, receipt: Body) -> None:
    purpose, legal_basis = purpose_and_legal_basis(Statement.model_validate(statement))
    assert (purpose, legal_basis) == (
        Purpose.SOCIAL_WORK_STATEMENT,
        "Act on Social Assistance 1412/1997 §18",
    )
    purpose, legal_basis = purpose_and_legal_basis(StatementReceipt.model_validate(receipt))
    assert purpose == Purpose.SOCIAL_WORK_STATEMENT
    assert "1412/1997 §18" in legal_basis


@pytest.mark.parametrize("referral_id", [None, REFERRAL])
def test_statement_round_trip_with_or_without_a_referral(
    statement: Body, referral_id: UUID | None
) -> None:
    payload = Statement.model_validate(statement)
    envelope = seal(payload, sender="county-11", recipient="kela", referral_id=referral_id)
    opened = open_message(envelope.to_bytes())
    assert opened.payload == payload
    assert opened.envelope.referral_id == referral_id
    assert opened.envelope.purpose == Purpose.SOCIAL_WORK_STATEMENT


@pytest.mark.parametrize("referral_id", [None, REFERRAL])
def test_receipt_round_trip(receipt: Body, referral_id: UUID | None) -> None:
    payload = StatementReceipt.model_validate(receipt)
    envelope = seal(payload, sender="kela", recipient="county-11", referral_id=referral_id)
    assert open_message(envelope.to_bytes()).payload == payload


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"sender": "kela", "recipient": "county-11"}, "envelope.sender_not_allowed"),
        ({"sender": "kela"}, "envelope.sender_not_allowed"),
        ({"recipient": "county-05"}, "envelope.wrong_recipient"),
        ({"recipient": "counties"}, "envelope.wrong_recipient"),
        ({"purpose": "referral_status_feedback"}, "envelope.purpose_mismatch"),
        ({"legal_basis": "Social Welfare Act 1301/2014 §35"}, "envelope.purpose_mismatch"),
        ({"kind": "statement_receipt"}, "payload.kind_mismatch"),
    ],
)
def test_statement_envelope_rules(statement: Body, changes: Body, rule: str) -> None:
    envelope = sealed(Statement.model_validate(statement), "county-11", "kela") | changes
    assert rejected(envelope).rule == rule


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"sender": "county-11", "recipient": "kela"}, "envelope.sender_not_allowed"),
        ({"recipient": "kela"}, "envelope.wrong_recipient"),
        ({"recipient": "counties"}, "envelope.wrong_recipient"),
    ],
)
def test_receipt_envelope_rules(receipt: Body, changes: Body, rule: str) -> None:
    envelope = sealed(StatementReceipt.model_validate(receipt), "kela", "county-11") | changes
    assert rejected(envelope).rule == rule


def test_an_invalid_statement_on_the_bus_names_fields_not_values(statement: Body) -> None:
    envelope = sealed(Statement.model_validate(statement), "county-11", "kela")
    envelope["payload"]["client"]["identity_code"] = "131052-308U"
    envelope["payload"]["text"] = f"Spouse {OTHER_CODE}"
    with pytest.raises(MessageRejected) as caught:
        open_message(json.dumps(envelope).encode())
    assert caught.value.rule == "payload.invalid"
    assert "payload.client.identity_code: identity_code.control_character" in caught.value.detail
    assert "payload.text: free_text.identity_code" in caught.value.detail
    assert_no_identity_code(caught.value.detail, "131052-308U", OTHER_CODE)
