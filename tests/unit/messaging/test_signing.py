"""The pure signing and verification functions, and building the broker's TLS context."""

from __future__ import annotations

import base64
import json
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from silta_messaging.broker import tls_context
from silta_messaging.signing import (
    KEY_ID_HEADER,
    SIGNATURE_HEADER,
    KeyRegistry,
    Signer,
    Verifier,
    check_sender,
    ensure_dev_keys,
    load_private_key,
    private_key_text,
    public_key_text,
    verify,
    verify_signature,
)
from silta_messaging.statement import STATEMENT_HEADER, digest
from silta_schemas import examples
from silta_schemas.envelope import MessageRejected, open_message, seal
from silta_schemas.referrals import referral_adapter

from tests.pki import Authority

BODY = b'{"message_id": "m-1", "sender": "kela"}'
OLD = Signer("kela-2026-01", Ed25519PrivateKey.generate())
NEW = Signer("kela-2026-07", Ed25519PrivateKey.generate())
COUNTY = Signer("county-11-a", Ed25519PrivateKey.generate())


def registry(*signers: Signer) -> KeyRegistry:
    organisations = {OLD.key_id: {"kela"}, NEW.key_id: {"kela"}, COUNTY.key_id: {"county-11"}}
    return KeyRegistry.from_json(
        json.dumps({s.key_id: KeyRegistry.entry(organisations[s.key_id], s.key) for s in signers})
    )


def rule(body: bytes, headers: dict[str, object] | None, keys: KeyRegistry) -> str:
    with pytest.raises(MessageRejected) as rejected:
        verify(body, headers, keys)
    return rejected.value.rule


def test_a_signed_body_verifies_with_the_key_it_names() -> None:
    headers = OLD.headers(BODY)
    assert set(headers) == {STATEMENT_HEADER, KEY_ID_HEADER, SIGNATURE_HEADER}
    assert headers[KEY_ID_HEADER] == OLD.key_id
    assert len(base64.b64decode(headers[SIGNATURE_HEADER])) == 64
    key = verify(BODY, headers, registry(OLD, COUNTY))
    assert (key.key_id, key.organisations) == (OLD.key_id, frozenset({"kela"}))


def test_the_signature_covers_a_statement_of_the_digest_checkable_without_the_body() -> None:
    headers = OLD.headers(BODY)
    statement = json.loads(headers[STATEMENT_HEADER])
    assert statement["body_sha256"] == digest(BODY)
    assert (statement["message_id"], statement["sender"]) == ("m-1", "kela")
    signed = headers[STATEMENT_HEADER].encode()
    assert verify_signature(OLD.key.public_key(), headers[SIGNATURE_HEADER], signed)
    other = signed.replace(b"m-1", b"m-2")
    assert not verify_signature(OLD.key.public_key(), headers[SIGNATURE_HEADER], other)


def test_signatures_are_those_of_any_rfc_8032_implementation_either_way() -> None:
    """The two sides are deployed apart: a county still signing with OpenSSL (before libsodium
    made and checked them here) and one signing now must verify each other's messages."""
    headers = OLD.headers(BODY)
    signed = headers[STATEMENT_HEADER].encode()
    openssl_signature = base64.b64encode(OLD.key.sign(signed)).decode()
    assert headers[SIGNATURE_HEADER] == openssl_signature  # Ed25519 is deterministic
    OLD.key.public_key().verify(base64.b64decode(headers[SIGNATURE_HEADER]), signed)
    assert verify(BODY, headers, registry(OLD)).key_id == OLD.key_id


def test_a_malleated_signature_is_invalid() -> None:
    """S + L (the group order) is the same point arithmetic but not the signature: a checker
    that accepted it would let one message carry two signatures."""
    headers = OLD.headers(BODY)
    signature = base64.b64decode(headers[SIGNATURE_HEADER])
    order = 2**252 + 27742317777372353535851937790883648493
    s = int.from_bytes(signature[32:], "little") + order
    malleated = signature[:32] + s.to_bytes(32, "little")
    assert (
        rule(
            BODY, {**headers, SIGNATURE_HEADER: base64.b64encode(malleated).decode()}, registry(OLD)
        )
        == "signature.invalid"
    )


def test_a_statement_about_other_facts_or_not_canonical_is_invalid() -> None:
    headers = OLD.headers(BODY)
    spaced = json.dumps(json.loads(headers[STATEMENT_HEADER]))
    assert rule(BODY, {**headers, STATEMENT_HEADER: spaced}, registry(OLD)) == "signature.invalid"
    other = headers[STATEMENT_HEADER].replace("m-1", "m-2")
    assert rule(BODY, {**headers, STATEMENT_HEADER: other}, registry(OLD)) == "signature.invalid"


def test_headers_as_bytes_verify_too() -> None:
    headers = {name: value.encode() for name, value in OLD.headers(BODY).items()}
    assert verify(BODY, dict(headers), registry(OLD)).key_id == OLD.key_id


@pytest.mark.parametrize(
    "headers",
    [None, {}, {KEY_ID_HEADER: OLD.key_id}, {SIGNATURE_HEADER: "AAAA"}, {KEY_ID_HEADER: ""}],
)
def test_no_signature_is_missing(headers: dict[str, object] | None) -> None:
    assert rule(BODY, headers, registry(OLD)) == "signature.missing"


def test_a_tampered_body_is_invalid() -> None:
    headers = OLD.headers(BODY)
    assert rule(BODY.replace(b"kela", b"kelb"), headers, registry(OLD)) == "signature.invalid"
    assert rule(BODY + b" ", headers, registry(OLD)) == "signature.invalid"


@pytest.mark.parametrize(
    "signature",
    ["not base64!", base64.b64encode(b"short").decode(), base64.b64encode(bytes(64)).decode()],
)
def test_a_bad_signature_is_invalid(signature: str) -> None:
    headers = {**OLD.headers(BODY), SIGNATURE_HEADER: signature}
    assert rule(BODY, headers, registry(OLD)) == "signature.invalid"


def test_a_signature_by_another_key_under_a_known_id_is_invalid() -> None:
    forged = Signer(OLD.key_id, Ed25519PrivateKey.generate())
    assert rule(BODY, forged.headers(BODY), registry(OLD)) == "signature.invalid"


def test_an_unknown_key_id_is_refused_before_anything_else() -> None:
    assert rule(BODY, NEW.headers(BODY), registry(OLD)) == "signature.unknown_key"
    odd = {**OLD.headers(BODY), KEY_ID_HEADER: "../../etc/passwd"}
    assert rule(BODY, odd, registry(OLD)) == "signature.unknown_key"


def test_rotation_both_keys_verify_during_the_overlap_and_the_old_one_not_after() -> None:
    overlap = registry(OLD, NEW)
    assert verify(BODY, OLD.headers(BODY), overlap).key_id == OLD.key_id
    assert verify(BODY, NEW.headers(BODY), overlap).key_id == NEW.key_id
    after = registry(NEW)
    assert rule(BODY, OLD.headers(BODY), after) == "signature.unknown_key"
    assert verify(BODY, NEW.headers(BODY), after).key_id == NEW.key_id


def test_a_key_signs_only_for_its_organisations() -> None:
    key = verify(BODY, COUNTY.headers(BODY), registry(COUNTY))
    check_sender(key, "county-11")
    for sender in ("county-90", "kela"):
        with pytest.raises(MessageRejected) as rejected:
            check_sender(key, sender)
        assert rejected.value.rule == "signature.wrong_sender"


def test_the_window() -> None:
    verifier = Verifier(registry(OLD), max_age=timedelta(hours=1), max_future=timedelta(minutes=5))
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    assert not verifier.outside_window(now, now)
    assert not verifier.outside_window(now - timedelta(minutes=59), now)
    assert verifier.outside_window(now - timedelta(minutes=61), now)
    assert not verifier.outside_window(now + timedelta(minutes=4), now)
    assert verifier.outside_window(now + timedelta(minutes=6), now)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "JSON object"),
        ("{", "not JSON"),
        ('{"bad id!": {"organisations": ["kela"], "public_key": "x"}}', "key id"),
        ('{"k": {"organisations": [], "public_key": "AAAA"}}', "non-empty"),
        ('{"k": {"organisations": ["kela"]}}', "exactly"),
        ('{"k": {"organisations": ["kela"], "public_key": "AAAA"}}', "32 raw bytes"),
        ('{"k": {"organisations": ["kela"], "public_key": "%%%"}}', "base64"),
    ],
)
def test_a_malformed_registry_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KeyRegistry.from_json(text)


def test_private_keys_load_from_base64_and_pem() -> None:
    key = Ed25519PrivateKey.generate()
    assert public_key_text(load_private_key(private_key_text(key))) == public_key_text(key)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert public_key_text(load_private_key(pem)) == public_key_text(key)
    with pytest.raises(ValueError, match="32 raw bytes"):
        load_private_key(base64.b64encode(b"short").decode())
    with pytest.raises(ValueError, match="key id"):
        Signer("has space", key)


def test_dev_keys_are_created_once_private_and_trusted(tmp_path: Path) -> None:
    first = ensure_dev_keys(tmp_path / "keys", ["county-11", "county-90"])
    assert first.kela_key_file.stat().st_mode & 0o777 == 0o600
    again = ensure_dev_keys(tmp_path / "keys", ["county-11", "county-90"])
    assert again.kela_key_file.read_text() == first.kela_key_file.read_text()
    keys = KeyRegistry.from_json(first.registry_file.read_text())
    kela = Signer(first.kela_key_id, load_private_key(first.kela_key_file.read_text()))
    county = Signer(
        first.municipality_key_id, load_private_key(first.municipality_key_file.read_text())
    )
    assert verify(BODY, kela.headers(BODY), keys).organisations == {"kela"}
    assert verify(BODY, county.headers(BODY), keys).organisations == {"county-11", "county-90"}


# --------------------------------------------------------------------------- TLS


def test_no_tls_for_a_plain_url() -> None:
    assert tls_context("amqp://guest:guest@127.0.0.1:5672/") is None


def test_an_amqps_url_verifies_the_broker_with_the_given_ca(tmp_path: Path) -> None:
    authority = Authority(tmp_path, "silta-test")
    client = authority.issue("silta", organisation="kela")
    context = tls_context(
        "amqps://silta@broker:5671/",
        ca_file=str(authority.file),
        cert_file=str(client.certificate),
        key_file=str(client.key),
    )
    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert any(ca["subject"] == ((("commonName", "silta-test"),),) for ca in context.get_ca_certs())


def test_an_amqps_url_without_files_uses_the_system_cas() -> None:
    context = tls_context("AMQPS://broker/")
    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED


def test_tls_configuration_errors(tmp_path: Path) -> None:
    cert_file = Authority(tmp_path, "silta-test").file
    with pytest.raises(ValueError, match="not amqps"):
        tls_context("amqp://broker/", ca_file=str(cert_file))
    with pytest.raises(ValueError, match="both"):
        tls_context("amqps://broker/", cert_file=str(cert_file))
    with pytest.raises(FileNotFoundError):
        tls_context("amqps://broker/", ca_file=str(tmp_path / "missing.pem"))
    with pytest.raises(ssl.SSLError):
        tls_context("amqps://broker/", cert_file=str(cert_file), key_file=str(cert_file))


def test_an_envelope_other_than_the_signed_statement_is_a_mismatch() -> None:
    referral = referral_adapter.validate_python(examples.NOTICE_OF_NEED_EXAMPLE)
    envelope = seal(referral, sender="kela", recipient="county-11", referral_id=uuid4())
    body = envelope.to_bytes()
    keys = registry(OLD)
    signed = Verifier(keys).authenticate(body, OLD.headers(body))
    signed.check_envelope(open_message(body)[0])  # what was signed: accepted
    other = seal(referral, sender="kela", recipient="county-11", referral_id=uuid4())
    with pytest.raises(MessageRejected) as rejected:
        signed.check_envelope(other)
    assert rejected.value.rule == "signature.statement_mismatch"
