"""The responsible worker (county → Kela, per referral): work contact only, nothing about the
client; every rule valid and invalid, and the envelope rules."""

from typing import Any

import pytest
from silta_schemas import (
    PAYLOAD_MODELS,
    RESPONSIBLE_WORKER_EXAMPLE,
    RESPONSIBLE_WORKER_REQUEST_EXAMPLE,
    SENDER_SIDE,
    Actor,
    MessageKind,
    MessageRejected,
    Purpose,
    ResponsibleWorker,
    ResponsibleWorkerChange,
    ResponsibleWorkerRequest,
    open_message,
    purpose_and_legal_basis,
    seal,
)

from .support import REFERRAL, Body, assert_rule, example_fixture, rejected, sealed

ENTRY = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"


notice = example_fixture(RESPONSIBLE_WORKER_EXAMPLE)
worker_request = example_fixture(RESPONSIBLE_WORKER_REQUEST_EXAMPLE)


def test_payload_is_work_contact_only() -> None:
    assert set(ResponsibleWorker.model_fields) == {
        "kind",
        "named_at",
        "change",
        "worker",
        "directory_entry_id",
    }
    assert {c.value for c in ResponsibleWorkerChange} == {"named", "changed"}


@pytest.mark.parametrize(
    "changes",
    [
        {"directory_entry_id": ENTRY},
        {"change": "changed"},
        {"worker": RESPONSIBLE_WORKER_EXAMPLE["worker"] | {"phone": None}},
        {"worker": RESPONSIBLE_WORKER_EXAMPLE["worker"] | {"email": None}},
    ],
)
def test_valid_notice(notice: Body, changes: Body) -> None:
    ResponsibleWorker.model_validate(notice | changes)


@pytest.mark.parametrize("model", [ResponsibleWorker, ResponsibleWorkerRequest])
def test_worker_must_be_reachable(notice: Body, worker_request: Body, model: type[Any]) -> None:
    body = notice if model is ResponsibleWorker else worker_request
    body["worker"] |= {"phone": None, "email": None}
    assert_rule(model, body, "worker.channel_required")


@pytest.mark.parametrize(
    ("changes", "rule", "loc"),
    [
        ({"change": "removed"}, "enum", ("change",)),
        ({"named_at": "2026-03-04T13:35:00"}, "timezone_aware", ("named_at",)),
        ({"directory_entry_id": "entry 1"}, "uuid_parsing", ("directory_entry_id",)),
        ({"kind": "statement"}, "literal_error", ("kind",)),
        ({"referral_id": str(REFERRAL)}, "extra_forbidden", ("referral_id",)),
        ({"client": {"identity_code": "131052-308T"}}, "extra_forbidden", ("client",)),
        ({"reason": "The client moved."}, "extra_forbidden", ("reason",)),
    ],
)
def test_invalid_notice(notice: Body, changes: Body, rule: str, loc: tuple[str, ...]) -> None:
    assert_rule(ResponsibleWorker, notice | changes, rule, loc)


@pytest.mark.parametrize(
    ("changes", "rule", "loc"),
    [
        ({"name": "131052-308T"}, "free_text.identity_code", ("name",)),
        ({"title": ""}, "string_too_short", ("title",)),
        ({"phone": "040"}, "string_pattern_mismatch", ("phone",)),
        ({"email": "sanna@"}, "string_pattern_mismatch", ("email",)),
        ({"private_phone": "040 123 4567"}, "extra_forbidden", ("private_phone",)),
    ],
)
def test_invalid_worker(
    worker_request: Body, changes: Body, rule: str, loc: tuple[str, ...]
) -> None:
    worker_request["worker"] |= changes
    assert_rule(ResponsibleWorkerRequest, worker_request, rule, ("worker", *loc))


def test_request_has_no_kind_or_time(worker_request: Body) -> None:
    for field, value in [("kind", "responsible_worker"), ("named_at", "2026-03-04T13:35:00Z")]:
        assert_rule(
            ResponsibleWorkerRequest, worker_request | {field: value}, "extra_forbidden", (field,)
        )


# --- the envelope -----------------------------------------------------------------------------


def test_kind_sender_and_purpose(notice: Body) -> None:
    assert PAYLOAD_MODELS[MessageKind.RESPONSIBLE_WORKER] is ResponsibleWorker
    assert SENDER_SIDE[MessageKind.RESPONSIBLE_WORKER] == {Actor.COUNTY}
    purpose, legal_basis = purpose_and_legal_basis(ResponsibleWorker.model_validate(notice))
    assert purpose == Purpose.RESPONSIBLE_WORKER_NOTICE
    assert "1301/2014" in legal_basis


def test_round_trip(notice: Body) -> None:
    payload = ResponsibleWorker.model_validate(notice)
    envelope = seal(payload, sender="county-11", recipient="kela", referral_id=REFERRAL)
    opened = open_message(envelope.to_bytes())
    assert opened.payload == payload
    assert opened.envelope.referral_id == REFERRAL


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"referral_id": None}, "envelope.referral_id_required"),
        ({"sender": "kela", "recipient": "county-11"}, "envelope.sender_not_allowed"),
        ({"recipient": "county-11"}, "envelope.wrong_recipient"),
        ({"purpose": "social_work_statement"}, "envelope.purpose_mismatch"),
    ],
)
def test_envelope_rules(notice: Body, changes: Body, rule: str) -> None:
    envelope = sealed(ResponsibleWorker.model_validate(notice), "county-11", "kela", REFERRAL)
    assert rejected(envelope | changes).rule == rule


def test_seal_needs_the_referral(notice: Body) -> None:
    with pytest.raises(MessageRejected) as caught:
        seal(ResponsibleWorker.model_validate(notice), sender="county-11", recipient="kela")
    assert caught.value.rule == "envelope.referral_id_required"
