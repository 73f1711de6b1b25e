"""Encryption to the recipient organisation: which key a sender uses (rotation, broadcasts),
what a receiver opens, and what it refuses, with its reason."""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.public import PrivateKey
from silta_messaging import sealing
from silta_messaging.signing import KeyRegistry, ensure_dev_keys
from silta_schemas import examples
from silta_schemas.directory import DirectoryUpdate
from silta_schemas.envelope import Envelope, MessageRejected, open_message, seal
from silta_schemas.referrals import referral_adapter
from silta_schemas.routing import COUNTY_CODES

NOW = datetime(2026, 12, 1, tzinfo=UTC)
KELA = ("kela-enc-1", PrivateKey.generate())
COUNTY_OLD = ("county-11-enc-old", PrivateKey.generate())
COUNTY_NEW = ("county-11-enc-new", PrivateKey.generate())
OTHERS = ("counties-enc", PrivateKey.generate())
OTHER_COUNTIES = sorted(f"county-{code}" for code in COUNTY_CODES if code != "11")


def registry(new_since: datetime) -> sealing.RecipientKeys:
    return sealing.RecipientKeys.from_json(
        json.dumps(
            {
                KELA[0]: sealing.registry_entry({"kela"}, KELA[1]),
                COUNTY_OLD[0]: sealing.registry_entry(
                    {"county-11"}, COUNTY_OLD[1], NOW - timedelta(days=300)
                ),
                COUNTY_NEW[0]: sealing.registry_entry({"county-11"}, COUNTY_NEW[1], new_since),
                OTHERS[0]: sealing.registry_entry(OTHER_COUNTIES, OTHERS[1]),
            }
        )
    )


def notice() -> bytes:
    referral = referral_adapter.validate_python(copy.deepcopy(examples.NOTICE_OF_NEED_EXAMPLE))
    return seal(referral, sender="kela", recipient="county-11", referral_id=uuid4()).to_bytes()


def opened(body: bytes, *keys: tuple[str, PrivateKey]) -> Envelope:
    message = sealing.Unsealer(dict(keys)).open(body)
    envelope, _ = open_message(message.body)
    message.check(envelope)
    return envelope


def test_the_sender_uses_the_newest_key_already_in_force() -> None:
    """A new key published with a ``since`` in the future is not used before then."""
    announced = registry(NOW + timedelta(days=7))
    assert announced.current("county-11", NOW).key_id == COUNTY_OLD[0]  # type: ignore[union-attr]
    in_force = registry(NOW - timedelta(days=1))
    assert in_force.current("county-11", NOW).key_id == COUNTY_NEW[0]  # type: ignore[union-attr]
    body = sealing.Sealer(in_force).seal_envelope(notice(), NOW)
    assert [r["key_id"] for r in json.loads(body)["recipients"]] == [COUNTY_NEW[0]]


def test_during_a_rotation_the_receiver_opens_messages_to_either_key() -> None:
    body = notice()
    to_old = sealing.Sealer(registry(NOW + timedelta(days=7))).seal_envelope(body, NOW)
    to_new = sealing.Sealer(registry(NOW - timedelta(days=7))).seal_envelope(body, NOW)
    for sealed in (to_old, to_new):
        assert opened(sealed, COUNTY_OLD, COUNTY_NEW).recipient == "county-11"
    with pytest.raises(MessageRejected) as refused:
        opened(to_old, COUNTY_NEW)
    assert refused.value.rule == sealing.UNKNOWN_ENCRYPTION_KEY


def test_the_payload_is_not_in_the_clear_and_only_the_recipient_opens_it() -> None:
    body = sealing.Sealer(registry(NOW)).seal_envelope(notice(), NOW)
    assert examples.EXAMPLE_IDENTITY_CODE.encode() not in body
    assert b"rent arrears" not in body
    clear = json.loads(body)
    assert {k: clear[k] for k in ("kind", "sender", "recipient")} == {
        "kind": "notice_of_need",
        "sender": "kela",
        "recipient": "county-11",
    }
    with pytest.raises(MessageRejected) as refused:
        opened(body, KELA, OTHERS)
    assert refused.value.rule == sealing.UNKNOWN_ENCRYPTION_KEY


def test_a_broadcast_is_encrypted_to_every_county_key_once() -> None:
    directory = DirectoryUpdate.model_validate(examples.DIRECTORY_UPDATE_EXAMPLE)
    update = seal(directory, sender="kela", recipient="counties").to_bytes()
    body = sealing.Sealer(registry(NOW)).seal_envelope(update, NOW)
    assert sorted(r["key_id"] for r in json.loads(body)["recipients"]) == sorted(
        [COUNTY_NEW[0], OTHERS[0]]
    )
    for county_key in (COUNTY_NEW, OTHERS):
        assert opened(body, county_key).recipient == "counties"
    with pytest.raises(MessageRejected):
        opened(body, KELA)


def test_no_key_for_the_recipient_means_no_sending() -> None:
    only_kela = sealing.RecipientKeys.from_json(
        json.dumps({KELA[0]: sealing.registry_entry({"kela"}, KELA[1])})
    )
    with pytest.raises(sealing.NoEncryptionKey):
        sealing.Sealer(only_kela).seal_envelope(notice(), NOW)


def _flip(body: bytes, field: str) -> bytes:
    document = json.loads(body)
    holder = document["recipients"][0] if field == "sealed_key" else document
    raw = bytearray(base64.b64decode(holder[field]))
    raw[0] ^= 1
    holder[field] = base64.b64encode(bytes(raw)).decode()
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (lambda body: _flip(body, "ciphertext"), sealing.UNDECRYPTABLE),
        (lambda body: _flip(body, "sealed_key"), sealing.UNDECRYPTABLE),
        (lambda body: _flip(body, "nonce"), sealing.UNDECRYPTABLE),
        # the clear fields are the associated data: changing one breaks decryption
        (lambda body: body.replace(b'"county-11"', b'"county-90"'), sealing.UNDECRYPTABLE),
        (lambda body: body.replace(b'"recipients"', b'"others"'), sealing.NOT_ENCRYPTED),
        (lambda body: b"not json", sealing.NOT_ENCRYPTED),
    ],
)
def test_what_does_not_open_is_refused_with_its_reason(change: object, rule: str) -> None:
    body = sealing.Sealer(registry(NOW)).seal_envelope(notice(), NOW)
    with pytest.raises(MessageRejected) as refused:
        opened(change(body), COUNTY_NEW)  # type: ignore[operator]
    assert refused.value.rule == rule
    assert examples.EXAMPLE_IDENTITY_CODE not in refused.value.detail


def test_clear_fields_that_differ_from_the_envelope_are_refused() -> None:
    body, other = notice(), notice()
    key = sealing.RecipientKey(COUNTY_NEW[0], frozenset({"county-11"}), COUNTY_NEW[1].public_key)
    with pytest.raises(MessageRejected) as refused:
        opened(sealing.seal(body, sealing.clear_of(other), [key]), COUNTY_NEW)
    assert refused.value.rule == sealing.ENVELOPE_MISMATCH
    assert "message_id" in refused.value.detail


def test_the_registry_holds_both_kinds_of_key_apart() -> None:
    signing_key = Ed25519PrivateKey.generate()
    text = json.dumps(
        {
            "kela-1": KeyRegistry.entry({"kela"}, signing_key),
            KELA[0]: sealing.registry_entry({"kela"}, KELA[1]),
        }
    )
    assert KeyRegistry.from_json(text).key_ids == {"kela-1"}
    assert len(sealing.RecipientKeys.from_json(text)) == 1
    for broken, message in (
        ({"use": "encrypt", "organisations": ["kela"], "public_key": "AAAA"}, "32 raw bytes"),
        ({"use": "encrypt", "organisations": "kela", "public_key": "AAAA"}, "organisations"),
        ({**sealing.registry_entry({"kela"}, KELA[1]), "since": "2026-01-01"}, "time zone"),
        ({**sealing.registry_entry({"kela"}, KELA[1]), "extra": 1}, "optionally since"),
    ):
        with pytest.raises(ValueError, match=message):
            sealing.RecipientKeys.from_json(json.dumps({"k": broken}))
    with pytest.raises(ValueError, match="use is sign or encrypt"):
        KeyRegistry.from_json(
            json.dumps({"k": {**KeyRegistry.entry({"kela"}, signing_key), "use": "other"}})
        )


def test_decryption_keys_setting() -> None:
    keys = sealing.load_private_keys(json.dumps({KELA[0]: sealing.private_key_text(KELA[1])}))
    assert sealing.public_key_text(keys[KELA[0]]) == sealing.public_key_text(KELA[1])
    for text, message in (("[]", "non-empty"), ("{}", "non-empty"), ('{"k": "AAAA"}', "32 raw")):
        with pytest.raises(ValueError, match=message):
            sealing.load_private_keys(text)


def test_dev_keys_encrypt_to_each_side(tmp_path: Path) -> None:
    keys = ensure_dev_keys(tmp_path / "keys", ["county-11", "county-90"])
    assert keys.municipality_decryption_file.stat().st_mode & 0o777 == 0o600
    again = ensure_dev_keys(tmp_path / "keys", ["county-11", "county-90"])
    assert again.kela_decryption_file.read_text() == keys.kela_decryption_file.read_text()
    recipients = sealing.RecipientKeys.from_json(keys.registry_file.read_text())
    body = sealing.Sealer(recipients).seal_envelope(notice())
    county = sealing.load_private_keys(keys.municipality_decryption_file.read_text())
    assert opened(body, *county.items()).recipient == "county-11"


def test_the_clear_sender_is_checked_before_anything_is_decrypted() -> None:
    body = _flip(sealing.Sealer(registry(NOW)).seal_envelope(notice(), NOW), "ciphertext")
    seen: list[str] = []

    def refuse(sender: str) -> None:
        seen.append(sender)
        raise MessageRejected("signature.wrong_sender", "not for this key")

    with pytest.raises(MessageRejected) as refused:
        sealing.Unsealer(dict([COUNTY_NEW])).open(body, refuse)
    assert (refused.value.rule, seen) == ("signature.wrong_sender", ["kela"])
