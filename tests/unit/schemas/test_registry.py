"""The registry: every kind has one spec, and the envelope states what the spec says."""

import typing
from typing import Any

import pytest
from pydantic import BaseModel
from silta_schemas import (
    KINDS,
    PAYLOAD_MODELS,
    SENDER_SIDE,
    Actor,
    KindSpec,
    MessageKind,
    MessageRejected,
    NoticeOfBasicAmountReduction,
    NoticeOfNeed,
    Purpose,
    ReferralLink,
    StatusAcknowledgement,
    open_message,
    purpose_and_legal_basis,
    seal,
    spec_of,
)
from silta_schemas.spec import Addressing

from .support import REFERRAL, Body

SPECS = list(KINDS.values())
IDS = [spec.kind.value for spec in SPECS]


def example_of(spec: KindSpec[Any]) -> BaseModel:
    """The payload model's own example (its OpenAPI example), validated."""
    extra = spec.payload.model_config.get("json_schema_extra")
    assert isinstance(extra, dict)
    examples = extra["examples"]
    assert isinstance(examples, list)
    return spec.payload.model_validate(examples[0])


def addressing_for(spec: KindSpec[Any], payload: BaseModel) -> Addressing:
    """An addressing the spec allows: its first sender, the recipient its rule accepts."""
    sender = "kela" if spec.sent_by_kela else "county-11"
    referral_id = None if spec.route.referral is ReferralLink.NONE else REFERRAL
    referral_id = getattr(payload, "referral_id", referral_id)
    for recipient in ("kela", "counties", "county-11"):
        addressing = Addressing(spec.kind, sender, recipient, referral_id)
        if spec.route.recipient(addressing, payload) is None:
            return addressing
    raise AssertionError(f"no recipient suits {spec.kind.value}")


def test_every_kind_has_exactly_one_spec() -> None:
    assert all(key is spec.kind for key, spec in KINDS.items())
    assert set(KINDS) == set(MessageKind)
    assert len(SPECS) == len(MessageKind)
    assert len({spec.payload for spec in SPECS}) == len(SPECS)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_payload_kind_matches_its_spec(spec: KindSpec[Any]) -> None:
    assert typing.get_args(spec.payload.model_fields["kind"].annotation) == (spec.kind.value,)
    assert PAYLOAD_MODELS[spec.kind] is spec.payload
    assert SENDER_SIDE[spec.kind] == spec.route.senders
    assert spec.route.senders
    assert spec.sent_by_kela == (Actor.KELA in spec.route.senders)
    assert spec.sent_by_county == (Actor.COUNTY in spec.route.senders)
    assert "kind" in spec.allowed_fields
    assert spec.allowed_fields == set(spec.payload.model_fields)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_envelope_states_the_spec_purpose_and_basis(spec: KindSpec[Any]) -> None:
    payload = example_of(spec)
    assert spec_of(payload) is spec
    purpose, legal_basis = purpose_and_legal_basis(payload)
    assert (purpose, legal_basis) == spec.grounds.of(payload)
    assert purpose == spec.grounds.purpose
    if isinstance(spec.grounds.legal_basis, str):
        assert legal_basis == spec.grounds.legal_basis
    _, sender, recipient, referral_id = addressing_for(spec, payload)
    envelope = seal(payload, sender=sender, recipient=recipient, referral_id=referral_id)
    assert (envelope.kind, envelope.purpose, envelope.legal_basis) == (
        spec.kind,
        purpose,
        legal_basis,
    )
    opened = open_message(envelope.to_bytes())
    assert type(opened.payload) is spec.payload
    assert opened.payload == payload


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_sender_sides_come_from_the_spec(spec: KindSpec[Any]) -> None:
    payload = example_of(spec)
    _, _, recipient, referral_id = addressing_for(spec, payload)
    for side, sender in ((Actor.KELA, "kela"), (Actor.COUNTY, "county-11")):
        if side in spec.route.senders:
            continue
        with pytest.raises(MessageRejected) as caught:
            seal(payload, sender=sender, recipient=recipient, referral_id=referral_id)
        assert caught.value.rule == "envelope.sender_not_allowed"


# --- purpose and legal basis ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("basis", "purpose", "legal_basis"),
    [
        (None, Purpose.SOCIAL_WELFARE_REFERRAL, "Social Welfare Act 1301/2014 §35 (consent)"),
        (
            "unable_to_look_after_own_care",
            Purpose.SOCIAL_WELFARE_REFERRAL,
            "Social Welfare Act 1301/2014 §35",
        ),
        ("child_interest", Purpose.SOCIAL_WELFARE_REFERRAL, "Child Welfare Act 417/2007 §25"),
    ],
)
def test_purpose_of_notice(
    notice: Body, basis: str | None, purpose: Purpose, legal_basis: str
) -> None:
    if basis is not None:
        notice["basis"] = {"type": "legal_exception", "ground": basis, "justification": "Needed."}
    assert purpose_and_legal_basis(NoticeOfNeed.model_validate(notice)) == (purpose, legal_basis)


def test_purpose_of_other_kinds(reduction: Body, acknowledgement: Body) -> None:
    assert purpose_and_legal_basis(NoticeOfBasicAmountReduction.model_validate(reduction)) == (
        Purpose.BASIC_AMOUNT_REDUCTION_NOTICE,
        "Act on Social Assistance 1412/1997 §10",
    )
    purpose, legal_basis = purpose_and_legal_basis(
        StatusAcknowledgement.model_validate(acknowledgement)
    )
    assert purpose == Purpose.REFERRAL_STATUS_FEEDBACK
    assert "1301/2014 §35" in legal_basis


def test_purpose_of_unknown_payload() -> None:
    class Other(BaseModel):
        pass

    with pytest.raises(TypeError, match="Other"):
        purpose_and_legal_basis(Other())


def test_payload_models_so_far() -> None:
    assert set(PAYLOAD_MODELS) == {
        MessageKind.NOTICE_OF_NEED,
        MessageKind.BASIC_AMOUNT_REDUCTION,
        MessageKind.APPLICATION_TRANSFER,
        MessageKind.CANCELLATION,
        MessageKind.STATUS_ACKNOWLEDGEMENT,
        MessageKind.DIRECTORY_UPDATE,
        MessageKind.STATEMENT,
        MessageKind.STATEMENT_RECEIPT,
        MessageKind.RESPONSIBLE_WORKER,
        MessageKind.CASE_MANAGER_PERIOD,
        MessageKind.COOPERATION_CASE,
        MessageKind.DECISION_NOTICE,
        MessageKind.DECISION_NOTICE_RECEIPT,
        MessageKind.CONSULTATION_REQUEST,
        MessageKind.CONSULTATION_ANSWER,
    }
