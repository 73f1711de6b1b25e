import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel
from silta_schemas import (
    CANCELLATION_EXAMPLE,
    SCHEMA_VERSION,
    Cancellation,
    MessageRejected,
    NoticeOfBasicAmountReduction,
    NoticeOfNeed,
    StatusAcknowledgement,
    SupportNeed,
    open_message,
    purpose_and_legal_basis,
    seal,
)

from . import support
from .support import REFERRAL, Body, assert_no_identity_code

MESSAGE = UUID("5d0f9a3e-2b7c-4e8a-9f61-3c2d1b0a9e87")
WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def sealed(model: BaseModel, sender: str, recipient: str) -> Body:
    """A valid envelope about ``REFERRAL`` as the dict a receiver would parse."""
    return support.sealed(model, sender, recipient, REFERRAL)


@pytest.fixture
def notice_envelope(notice: Body) -> Body:
    return sealed(NoticeOfNeed.model_validate(notice), "kela", "county-11")


@pytest.fixture
def reduction_envelope(reduction: Body) -> Body:
    return sealed(NoticeOfBasicAmountReduction.model_validate(reduction), "kela", "county-11")


@pytest.fixture
def ack_envelope(acknowledgement: Body) -> Body:
    return sealed(StatusAcknowledgement.model_validate(acknowledgement), "county-11", "kela")


def rejected(body: bytes | Body, **kwargs: Any) -> MessageRejected:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    with pytest.raises(MessageRejected) as caught:
        open_message(raw, **kwargs)
    assert_no_identity_code(caught.value.detail, "131052-308U", "010594Y9032")
    assert_no_identity_code(str(caught.value), "131052-308U", "010594Y9032")
    return caught.value


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "model", "sender", "recipient"),
    [
        ("notice", NoticeOfNeed, "kela", "county-11"),
        ("reduction", NoticeOfBasicAmountReduction, "kela", "county-11"),
        ("acknowledgement", StatusAcknowledgement, "county-11", "kela"),
    ],
)
def test_seal_and_open_round_trip(
    request: pytest.FixtureRequest,
    fixture: str,
    model: type[BaseModel],
    sender: str,
    recipient: str,
) -> None:
    payload = model.model_validate(request.getfixturevalue(fixture))
    envelope = seal(
        payload,
        sender=sender,
        recipient=recipient,
        referral_id=REFERRAL,
        message_id=MESSAGE,
        created_at=WHEN,
    )
    opened = open_message(envelope.to_bytes())
    assert opened.envelope == envelope
    assert opened.payload == payload
    assert type(opened.payload) is model
    assert (opened.envelope.message_id, opened.envelope.created_at) == (MESSAGE, WHEN)
    assert opened.envelope.schema_version == SCHEMA_VERSION == "1"
    assert b"\n" not in envelope.to_bytes()
    assert b'", "' not in envelope.to_bytes()  # compact


def test_seal_fills_in_id_and_time(notice: Body) -> None:
    envelope = seal(
        NoticeOfNeed.model_validate(notice),
        sender="kela",
        recipient="county-11",
        referral_id=REFERRAL,
    )
    assert envelope.message_id.version == 7  # begins with its time (silta_schemas.ids)
    assert envelope.created_at.tzinfo is not None


# --- rejections -----------------------------------------------------------------------------


def test_too_large(notice_envelope: Body) -> None:
    body = json.dumps(notice_envelope).encode()
    assert open_message(body, max_bytes=len(body))
    assert rejected(body, max_bytes=len(body) - 1).rule == "message.too_large"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b'{"kind": ',
        b"\xff\xfe{}",
        b'{"a": 1, "a": 2}',
        b'{"a": NaN}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=["empty", "text", "truncated", "not-utf8", "duplicate-key", "nan", "deep"],
)
def test_not_json(body: bytes) -> None:
    assert rejected(body).rule == "message.not_json"


def test_duplicate_key_cannot_smuggle_a_second_payload(notice_envelope: Body) -> None:
    text = json.dumps(notice_envelope)
    body = text[:-1] + ', "payload": {}}'
    assert rejected(body.encode()).rule == "message.not_json"


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"1", b"null"])
def test_not_an_object(body: bytes) -> None:
    assert rejected(body).rule == "envelope.invalid"


@pytest.mark.parametrize("version", ["2", "0", 1, "1.0", None])
def test_unsupported_schema_version(notice_envelope: Body, version: object) -> None:
    notice_envelope["schema_version"] = version
    assert rejected(notice_envelope).rule == "envelope.schema_version"


@pytest.mark.parametrize("kind", ["referral", "bogus"])
def test_unknown_kind(notice_envelope: Body, kind: str) -> None:
    notice_envelope["kind"] = kind
    error = rejected(notice_envelope)
    assert error.rule == "envelope.unknown_kind"
    assert "bogus" not in error.detail


@pytest.mark.parametrize(
    "field",
    ["message_id", "kind", "schema_version", "sender", "recipient", "referral_id", "created_at",
     "purpose", "legal_basis", "payload"],
)  # fmt: skip
def test_missing_envelope_field(notice_envelope: Body, field: str) -> None:
    del notice_envelope[field]
    error = rejected(notice_envelope)
    assert error.rule == "envelope.invalid"
    assert f"{field}: missing" in error.detail


@pytest.mark.parametrize(
    ("field", "value", "detail"),
    [
        ("sender", "county-91", "sender: string_pattern_mismatch"),
        ("created_at", "2026-03-02T09:00:00", "created_at: timezone_aware"),
        ("message_id", "123", "message_id: uuid_parsing"),
        ("payload", [], "payload: dict_type"),
        ("kind", 7, "kind: enum"),
    ],
)
def test_invalid_envelope_field(
    notice_envelope: Body, field: str, value: object, detail: str
) -> None:
    notice_envelope[field] = value
    error = rejected(notice_envelope)
    assert error.rule == "envelope.invalid"
    assert detail in error.detail


def test_unknown_envelope_key_is_named_only_if_it_is_a_field_name(notice_envelope: Body) -> None:
    notice_envelope["consent"] = True
    notice_envelope["010594Y9032"] = True
    notice_envelope["Matti Meikäläinen"] = True
    detail = rejected(notice_envelope).detail
    assert "(unknown field): extra_forbidden" in detail
    assert "Matti" not in detail


def test_payload_invalid_names_fields_and_rules_only(notice_envelope: Body) -> None:
    notice_envelope["payload"]["client"]["identity_code"] = "131052-308U"
    notice_envelope["payload"]["description"] = "Spouse 010594Y9032 too"
    error = rejected(notice_envelope)
    assert error.rule == "payload.invalid"
    assert "payload.client.identity_code: identity_code.control_character" in error.detail
    assert "payload.description: free_text.identity_code" in error.detail
    assert "Spouse" not in error.detail


def test_payload_rule_at_model_level(reduction_envelope: Body) -> None:
    reduction_envelope["payload"]["consent"] = {}
    error = rejected(reduction_envelope)
    assert (error.rule, error.detail) == ("payload.invalid", "payload: basis.not_allowed")


def test_extra_payload_key_with_an_identity_code_does_not_leak(notice_envelope: Body) -> None:
    notice_envelope["payload"]["client"]["131052-308T"] = "x"
    error = rejected(notice_envelope)
    assert error.detail == "payload.client.(unknown field): extra_forbidden"


@pytest.mark.parametrize("kind", ["basic_amount_reduction", "status_acknowledgement", None])
def test_payload_kind_mismatch(notice_envelope: Body, kind: str | None) -> None:
    notice_envelope["payload"]["kind"] = kind
    assert rejected(notice_envelope).rule == "payload.kind_mismatch"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("legal_basis", "Social Welfare Act 1301/2014 §35"),  # claims an exception; it is consent
        ("legal_basis", "Child Welfare Act 417/2007 §25"),
        ("purpose", "basic_amount_reduction_notice"),
        ("purpose", "referral_status_feedback"),
    ],
)
def test_purpose_mismatch(notice_envelope: Body, field: str, value: str) -> None:
    notice_envelope[field] = value
    error = rejected(notice_envelope)
    assert error.rule == "envelope.purpose_mismatch"
    assert "(consent)" in error.detail


@pytest.mark.parametrize(
    ("fixture", "changes", "rule"),
    [
        (
            "notice_envelope",
            {"sender": "county-11", "recipient": "county-05"},
            "envelope.sender_not_allowed",
        ),
        ("reduction_envelope", {"sender": "county-05"}, "envelope.sender_not_allowed"),
        (
            "ack_envelope",
            {"sender": "kela", "recipient": "county-11"},
            "envelope.sender_not_allowed",
        ),
        (
            "ack_envelope",
            {"sender": "county-05"},
            "envelope.sender_not_allowed",
        ),  # changed_by differs
        ("notice_envelope", {"recipient": "county-05"}, "envelope.wrong_recipient"),
        ("notice_envelope", {"recipient": "kela"}, "envelope.wrong_recipient"),
        ("reduction_envelope", {"recipient": "county-90"}, "envelope.wrong_recipient"),
        ("ack_envelope", {"recipient": "county-05"}, "envelope.wrong_recipient"),
        (
            "ack_envelope",
            {"referral_id": "11111111-2222-4333-8444-555555555555"},
            "payload.referral_mismatch",
        ),
    ],
)
def test_parties(request: pytest.FixtureRequest, fixture: str, changes: Body, rule: str) -> None:
    envelope: Body = request.getfixturevalue(fixture) | changes
    assert rejected(envelope).rule == rule


def test_county_cannot_acknowledge_kela_statuses(ack_envelope: Body) -> None:
    ack_envelope["payload"] |= {"status": "sent", "event": None, "reason": None}
    error = rejected(ack_envelope)
    assert error.rule == "envelope.sender_not_allowed"


def test_county_reports_kelas_cancellation_as_kelas_change(ack_envelope: Body) -> None:
    cancelled = {"status": "cancelled", "event": None, "reason": "Sent in error."}
    ack_envelope["payload"] |= cancelled | {"changed_by": "kela"}
    assert open_message(json.dumps(ack_envelope).encode()).payload.status == "cancelled"


def test_county_cannot_cancel_in_its_own_name(ack_envelope: Body) -> None:
    ack_envelope["payload"] |= {"status": "cancelled", "event": None, "reason": "Not ours."}
    error = rejected(ack_envelope)
    assert error.rule == "payload.invalid"
    assert "status.changed_by" in error.detail


def test_cancellation_goes_to_a_county(notice_envelope: Body) -> None:
    notice_envelope |= {
        "kind": "cancellation",
        "purpose": "referral_cancellation",
        "legal_basis": purpose_and_legal_basis(Cancellation.model_validate(CANCELLATION_EXAMPLE))[
            1
        ],
        "payload": CANCELLATION_EXAMPLE,
    }
    assert open_message(json.dumps(notice_envelope).encode()).payload.kind == "cancellation"
    for changes, rule in [
        ({"recipient": "kela"}, "envelope.wrong_recipient"),
        ({"recipient": "counties"}, "envelope.wrong_recipient"),
        ({"sender": "county-11", "recipient": "county-05"}, "envelope.sender_not_allowed"),
        ({"referral_id": None}, "envelope.referral_id_required"),
    ]:
        assert rejected(notice_envelope | changes).rule == rule


# --- sealing checks the same rules ----------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "recipient", "rule"),
    [
        ("county-11", "kela", "envelope.sender_not_allowed"),
        ("kela", "county-05", "envelope.wrong_recipient"),
        ("kela", "county-99", "envelope.invalid"),
    ],
)
def test_seal_refuses_what_open_would_reject(
    notice: Body, sender: str, recipient: str, rule: str
) -> None:
    with pytest.raises(MessageRejected) as caught:
        seal(
            NoticeOfNeed.model_validate(notice),
            sender=sender,
            recipient=recipient,
            referral_id=REFERRAL,
        )
    assert caught.value.rule == rule


def test_seal_revalidates_constructed_payloads(notice: Body) -> None:
    unchecked = NoticeOfNeed.model_validate(notice).model_copy(
        update={"support_needs": (SupportNeed.FINANCIAL, SupportNeed.FINANCIAL)}
    )
    with pytest.raises(MessageRejected) as caught:
        seal(unchecked, sender="kela", recipient="county-11", referral_id=REFERRAL)
    assert caught.value.rule == "payload.invalid"
    assert caught.value.detail == "payload.support_needs: support_needs.duplicate"


def test_seal_refuses_unknown_payload_types() -> None:
    class Other(BaseModel):
        kind: str = "cancellation"

    with pytest.raises(MessageRejected) as caught:
        seal(Other(), sender="kela", recipient="county-11", referral_id=REFERRAL)
    assert caught.value.rule == "envelope.unknown_kind"


def test_seal_refuses_naive_time(notice: Body) -> None:
    with pytest.raises(MessageRejected) as caught:
        seal(
            NoticeOfNeed.model_validate(notice),
            sender="kela",
            recipient="county-11",
            referral_id=REFERRAL,
            created_at=datetime(2026, 3, 2, 9, 0),
        )
    assert (caught.value.rule, caught.value.detail) == (
        "envelope.invalid",
        "created_at: timezone_aware",
    )


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e["payload"]["client"].update(identity_code="131052-308U"),
        lambda e: e["payload"]["client"].update(identity_code="131052-308t"),
        lambda e: e["payload"].update(description="about 131052-308T"),
        lambda e: e["payload"]["basis"].update(recorded_by="131052-308T"),
        lambda e: e["payload"]["client"].update(municipality_code="478"),
        lambda e: e["payload"].update(made_at="2026-03-02T09:00:00+02:00"),  # consent after
        lambda e: e.update(recipient="county-05"),
    ],
)
def test_no_detail_ever_contains_the_identity_code(
    notice_envelope: Body, mutate: Callable[[Body], None]
) -> None:
    mutate(notice_envelope)
    rejected(notice_envelope)  # asserts the detail is clean
