"""Encryption of identity codes at rest: tokens, binding to their row, keys and rotation."""

from __future__ import annotations

import base64
import os

import pytest
from kela_side.settings import KelaSettings
from pydantic import SecretStr, ValidationError
from silta_platform.settings import DEVELOPMENT_DATA_KEY
from silta_protection.access_log import UNAUTHENTICATED, Actor, actor_of, entry_hash
from silta_protection.encryption import DataCipher, UndecryptableValue, cipher_of

CODE = "131052-308T"


def cipher(current: str = "a", **keys: bytes) -> DataCipher:
    return DataCipher(keys or {"a": os.urandom(32)}, current)


def test_a_token_names_its_key_and_decrypts_only_for_its_row_and_purpose() -> None:
    c = cipher()
    token = c.encrypt(CODE, purpose="referrals.payload", row_id="r1")

    assert token.startswith("silta:enc:v1:a:")
    assert CODE not in token
    assert c.decrypt(token, purpose="referrals.payload", row_id="r1") == CODE
    with pytest.raises(UndecryptableValue):
        c.decrypt(token, purpose="referrals.payload", row_id="r2")  # moved to another row
    with pytest.raises(UndecryptableValue):
        c.decrypt(token, purpose="statements.payload", row_id="r1")  # another purpose


def test_every_value_gets_its_own_nonce() -> None:
    c = cipher()
    assert c.encrypt(CODE, purpose="p", row_id="r") != c.encrypt(CODE, purpose="p", row_id="r")


def test_an_altered_token_or_an_unknown_key_does_not_decrypt() -> None:
    c = cipher()
    token = c.encrypt(CODE, purpose="p", row_id="r")
    altered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(UndecryptableValue):
        c.decrypt(altered, purpose="p", row_id="r")
    with pytest.raises(UndecryptableValue):
        cipher().decrypt(token, purpose="p", row_id="r")  # another key under the same id
    with pytest.raises(UndecryptableValue):
        cipher("b", b=os.urandom(32)).decrypt(token, purpose="p", row_id="r")


def test_older_keys_still_read_and_new_values_use_the_current_one() -> None:
    old, new = os.urandom(32), os.urandom(32)
    token = cipher("old", old=old).encrypt(CODE, purpose="p", row_id="r")
    rotated = cipher("new", old=old, new=new)

    assert rotated.decrypt(token, purpose="p", row_id="r") == CODE
    assert rotated.key_id(rotated.encrypt(CODE, purpose="p", row_id="r")) == "new"


def test_keys_come_from_the_settings() -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    settings = KelaSettings(
        data_keys={"dev": SecretStr(DEVELOPMENT_DATA_KEY), "2027": SecretStr(key)},
        data_key_current="2027",
    )
    assert cipher_of(settings).current == "2027"
    with pytest.raises(ValidationError):
        KelaSettings(data_key_current="missing")


def test_production_refuses_the_development_keys() -> None:
    key = SecretStr(base64.b64encode(os.urandom(32)).decode())
    with pytest.raises(ValidationError, match="client_key_secret"):
        KelaSettings(environment="production", data_keys={"k": key}, data_key_current="k")
    with pytest.raises(ValidationError, match="development data key"):
        KelaSettings(environment="production", client_key_secret=SecretStr("s" * 40))
    production = KelaSettings(
        environment="production",
        client_key_secret=SecretStr("s" * 40),
        data_keys={"k": key},
        data_key_current="k",
    )
    assert production.environment == "production"


def test_the_actor_comes_from_jwt_claims_or_is_unauthenticated() -> None:
    assert actor_of({"sub": "u1", "org": "county-11", "roles": ["social_worker"]}) == Actor(
        "u1", "county-11", "social_worker"
    )
    assert actor_of(Actor("s", "o", "r")) == Actor("s", "o", "r")
    assert actor_of({}) == UNAUTHENTICATED


def test_an_entry_hash_covers_every_field() -> None:
    from datetime import UTC, datetime

    entry = {
        "seq": 1,
        "at": datetime(2026, 1, 1, tzinfo=UTC),
        "subject": "u",
        "organisation": "kela",
        "role": "officer",
        "purpose": "p",
        "action": "read",
        "channel": "http",
        "resource": "referral",
        "resource_id": "x",
        "client_key": "k",
        "prev_hash": "0" * 64,
    }
    original = entry_hash(entry)
    for name in entry:
        changed = dict(entry)
        changed[name] = (
            2 if name == "seq" else datetime(2026, 1, 2, tzinfo=UTC) if name == "at" else "z"
        )
        assert entry_hash(changed) != original, name
