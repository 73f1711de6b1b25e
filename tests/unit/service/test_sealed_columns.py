"""Whole values sealed at rest: a payload, a free text and an outbox body, each bound to its
table, column and row; values stored before sealing still read; the outbox's seal."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from kela_side.db.tables import (
    CANCELLATION_REASON,
    NEW_REFERRAL_REASON,
    REFERRAL_PAYLOAD,
    status_history,
)
from kela_side.db.tables import messaging as kela_messaging
from kela_side.settings import KelaSettings
from municipality_side.db.tables import REFERRAL_PAYLOAD as COUNTY_REFERRAL_PAYLOAD
from silta_protection.encryption import (
    DataCipher,
    UndecryptableValue,
    outbox_body,
    outbox_seal,
)
from silta_records.status_history import history_reason
from silta_schemas import examples

NOTICE: dict[str, Any] = examples.NOTICE_OF_NEED_EXAMPLE
CODE = NOTICE["client"]["identity_code"]


def cipher(current: str = "a", **keys: bytes) -> DataCipher:
    return DataCipher(keys or {"a": os.urandom(32)}, current)


def test_a_payload_is_sealed_whole_and_opens_only_in_its_own_row_and_column() -> None:
    c = cipher()
    stored = REFERRAL_PAYLOAD.seal(c, NOTICE, "r1")

    assert isinstance(stored, str)
    assert stored.startswith("silta:enc:v1:a:")
    for clear in (CODE, NOTICE["description"], NOTICE["client"]["contact"]["phone"]):
        assert clear not in stored
    assert REFERRAL_PAYLOAD.open(c, stored, "r1") == NOTICE
    with pytest.raises(UndecryptableValue):
        REFERRAL_PAYLOAD.open(c, stored, "r2")  # moved to another referral
    with pytest.raises(UndecryptableValue):
        NEW_REFERRAL_REASON.open(c, stored, "r1")  # moved to another column
    with pytest.raises(UndecryptableValue):
        COUNTY_REFERRAL_PAYLOAD.open(cipher(), stored, "r1")  # another side's key


def test_any_json_payload_opens_as_it_was_sealed() -> None:
    # Written by orjson, by the standard library where orjson cannot (beyond 64 bits).
    c = cipher()
    for payload in (
        {"name": 'Äänekoski \u2028 "quoted" \\ \x00', "n": [1, 2.5, None, True]},
        {"big": 2**70, "small": -(2**63)},
        NOTICE,
    ):
        assert REFERRAL_PAYLOAD.open(c, REFERRAL_PAYLOAD.seal(c, payload, "r1"), "r1") == payload


def test_a_free_text_is_sealed_and_nothing_stays_nothing() -> None:
    c = cipher()
    reason = "Sent in error: the notice was meant for another client's case."
    stored = CANCELLATION_REASON.seal(c, reason, "r1")

    assert reason not in stored
    assert CANCELLATION_REASON.open(c, stored, "r1") == reason
    assert CANCELLATION_REASON.seal(c, None, "r1") is None  # the open-referral index needs NULL
    assert REFERRAL_PAYLOAD.open(c, None, "r1") is None  # purged


def test_a_history_reason_is_bound_to_its_referral_and_sequence() -> None:
    c, column = cipher(), history_reason(status_history)
    row = {"referral_id": "r1", "sequence": 2, "reason": "Already open at this unit."}
    stored = column.seal(c, row["reason"], column.row_id(row))

    assert column.open(c, stored, "r1/2") == row["reason"]
    with pytest.raises(UndecryptableValue):
        column.open(c, stored, "r1/3")  # another change of the same referral


def test_values_stored_before_sealing_still_read_and_are_not_current() -> None:
    c = cipher()
    legacy = json.loads(json.dumps(NOTICE))
    legacy["client"]["identity_code"] = c.encrypt(
        CODE, purpose="referrals.payload.client.identity_code", row_id="r1"
    )

    assert REFERRAL_PAYLOAD.open(c, legacy, "r1") == NOTICE  # only its code was encrypted
    assert REFERRAL_PAYLOAD.open(c, NOTICE, "r1") == NOTICE  # in clear
    assert not REFERRAL_PAYLOAD.is_current(c, legacy)
    assert REFERRAL_PAYLOAD.is_current(c, REFERRAL_PAYLOAD.seal(c, NOTICE, "r1"))
    assert CANCELLATION_REASON.open(c, "in clear", "r1") == "in clear"
    assert not CANCELLATION_REASON.is_current(c, "in clear")


def test_a_value_under_an_older_key_is_not_current_but_still_opens() -> None:
    old, new = os.urandom(32), os.urandom(32)
    stored = REFERRAL_PAYLOAD.seal(cipher("old", old=old), NOTICE, "r1")
    rotated = cipher("new", old=old, new=new)

    assert not REFERRAL_PAYLOAD.is_current(rotated, stored)
    assert REFERRAL_PAYLOAD.open(rotated, stored, "r1") == NOTICE


def test_the_outbox_seals_a_body_bound_to_its_message_id() -> None:
    seal = outbox_seal(KelaSettings(), kela_messaging.outbox)
    body = json.dumps({"payload": NOTICE}).encode()
    sealed = seal.seal(body, "m1")

    assert sealed.startswith(b"silta:enc:v1:dev:")
    assert CODE.encode() not in sealed
    assert NOTICE["description"].encode() not in sealed
    assert seal.open(sealed, "m1") == body
    with pytest.raises(UndecryptableValue):
        seal.open(sealed, "m2")  # copied to another message's row
    assert seal.open(b"", "m1") == b""  # emptied once the broker confirmed it
    column = outbox_body(kela_messaging.outbox)
    assert column.is_current(cipher("dev", dev=os.urandom(32)), b"")
    assert not column.is_current(cipher("other", other=os.urandom(32)), sealed)
