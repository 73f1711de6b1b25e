"""Message authenticity: every organisation signs what it publishes with Ed25519.

The signature covers a signed statement (``silta_messaging.statement``): the SHA-256 of the
exact body bytes that travel on the bus (the document encrypted to the recipient,
``silta_messaging.sealing``) and the message's facts (ids, kind, parties), so it
can be checked without the body, long after retention purged it. Three AMQP headers carry
it: ``x-silta-signed`` (the statement), ``x-silta-key-id`` (which key signed) and
``x-silta-signature`` (base64 of the 64-byte Ed25519 signature over the statement). The
envelope contract is unchanged, and a parked message keeps the sender's headers, so it can
still be verified (and re-driven) later.

The receiver checks, before it opens the envelope: a statement, a key id and a signature are
there (``signature.missing``), the key id is in its registry of the organisations' public
keys (``signature.unknown_key``), the statement is canonical, names the body's digest and the
signature verifies over it (``signature.invalid``); after opening: the envelope's facts are
the statement's (``signature.statement_mismatch``), the envelope's ``sender`` is one of the
organisations the key may sign for (``signature.wrong_sender``); and, for a message id it has
not processed yet, that
``created_at`` is inside the window (``message.outside_window``). Everything here is pure:
no I/O except reading key files.

Registry format (JSON), keyed by key id::

    {"kela-2026-11": {"organisations": ["kela"], "public_key": "<base64 of 32 raw bytes>"},
     "county-11-a":  {"organisations": ["county-11", "county-90"], "public_key": "..."},
     "county-11-enc-a": {"use": "encrypt", "organisations": ["county-11"], "public_key": "..."}}

Entries with ``"use": "encrypt"`` are the organisations' X25519 encryption keys
(``silta_messaging.sealing``); the signature check never uses them.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.exceptions import BadSignatureError
from nacl.public import PrivateKey as EncryptionKey
from nacl.signing import SigningKey, VerifyKey
from silta_schemas.envelope import Envelope, MessageRejected

from silta_messaging import key_registry, sealing
from silta_messaging.key_registry import KEY_ID_PATTERN, SIGN, check_key_id, raw_key
from silta_messaging.statement import (
    STATEMENT_HEADER,
    MessageFacts,
    check_facts,
    digest,
    read_statement,
    statement,
)

SIGNATURE_HEADER: Final = "x-silta-signature"
KEY_ID_HEADER: Final = "x-silta-key-id"

MISSING: Final = "signature.missing"
INVALID: Final = "signature.invalid"
UNKNOWN_KEY: Final = "signature.unknown_key"
WRONG_SENDER: Final = "signature.wrong_sender"
OUTSIDE_WINDOW: Final = "message.outside_window"

_SIGNATURE_LENGTH: Final = 64


# --------------------------------------------------------------------------- keys


def load_private_key(text: str | bytes) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM (PKCS#8) or from base64 of its 32 raw bytes."""
    data = text.encode() if isinstance(text, str) else text
    data = data.strip()
    if data.startswith(b"-----BEGIN"):
        key = serialization.load_pem_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the signing key is not an Ed25519 key")
        return key
    return Ed25519PrivateKey.from_private_bytes(raw_key(data, "the signing key (or PEM)"))


def load_public_key(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from base64 of its 32 raw bytes."""
    return Ed25519PublicKey.from_public_bytes(raw_key(text, "a public key"))


def private_key_text(key: Ed25519PrivateKey) -> str:
    """Base64 of the 32 raw bytes: what ``load_private_key`` reads."""
    return base64.b64encode(_private_bytes(key)).decode()


def public_key_text(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """Base64 of the public key's 32 raw bytes: the registry's ``public_key``."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


# --------------------------------------------------------------------------- signing


# Keys are read and written through ``cryptography`` (PEM, raw bytes), but every signature is
# made and checked by libsodium (PyNaCl, which also seals the bodies): the same RFC 8032
# Ed25519, in about 60 % of the time for a signature and half for a check (17 against 28 µs,
# 42 against 85 µs on the development machine). A referral costs two signatures and two
# checks, the county's consumer spent a tenth of its time in checks (README, Speed, item 29).


def _private_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def _verify_key(key: Ed25519PublicKey) -> VerifyKey:
    return VerifyKey(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def sign(body: bytes, key: SigningKey) -> str:
    """Base64 of the Ed25519 signature over exactly ``body``."""
    return base64.b64encode(key.sign(body).signature).decode()


@dataclass(frozen=True)
class Signer:
    """An organisation's current signing key and its id (switch the id to rotate)."""

    key_id: str
    key: Ed25519PrivateKey
    _signing_key: SigningKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_key_id(self.key_id)
        object.__setattr__(self, "_signing_key", SigningKey(_private_bytes(self.key)))

    def headers(self, body: bytes, facts: MessageFacts | None = None) -> dict[str, str]:
        """The AMQP headers that carry the signed statement about ``body``: its digest and
        ``facts`` (by default read from ``body``, a sealed envelope)."""
        signed = statement(digest(body), facts or MessageFacts.of_body(body))
        return {
            STATEMENT_HEADER: signed.decode(),
            KEY_ID_HEADER: self.key_id,
            SIGNATURE_HEADER: sign(signed, self._signing_key),
        }

    @property
    def public_key(self) -> str:
        return public_key_text(self.key)


# --------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class TrustedKey:
    """One public key of the registry and the organisations that may sign with it."""

    key_id: str
    organisations: frozenset[str]
    public_key: Ed25519PublicKey
    verify_key: VerifyKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "verify_key", _verify_key(self.public_key))


class KeyRegistry:
    """The organisations' public keys, by key id. During a rotation it lists both keys."""

    def __init__(self, keys: Iterable[TrustedKey]) -> None:
        self._keys: dict[str, TrustedKey] = {}
        for key in keys:
            if key.key_id in self._keys:
                raise ValueError(f"key id {key.key_id} is listed twice")
            self._keys[key.key_id] = key

    def get(self, key_id: str) -> TrustedKey | None:
        return self._keys.get(key_id)

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    @classmethod
    def from_json(cls, text: str) -> KeyRegistry:
        """Parse the registry's signing keys (see the module's docstring); ValueError if
        malformed."""
        return cls(
            TrustedKey(key_id, organisations, load_public_key(entry["public_key"]))
            for key_id, entry, organisations in key_registry.entries(text, SIGN)
        )

    @staticmethod
    def entry(organisations: Iterable[str], key: Ed25519PublicKey | Ed25519PrivateKey) -> Any:
        """One registry entry, as ``from_json`` reads it."""
        return {"organisations": sorted(organisations), "public_key": public_key_text(key)}


# --------------------------------------------------------------------------- verifying


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        try:
            return value.decode("ascii")
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Signed:
    """A verified signature: the key, the statement it covers and the signature (base64)."""

    key: TrustedKey
    statement: str
    signature: str

    @property
    def content(self) -> dict[str, Any]:
        content: dict[str, Any] = orjson.loads(self.statement)
        return content

    def check_envelope(self, envelope: Envelope) -> None:
        """The opened envelope is what was signed, from an organisation the key signs for."""
        check_facts(self.content, envelope)
        check_sender(self.key, envelope.sender)


def verify_signature(
    public_key: Ed25519PublicKey | VerifyKey, signature_text: str, signed: bytes
) -> bool:
    """True if ``signature_text`` (base64) is an Ed25519 signature of ``signed``."""
    try:
        signature = base64.b64decode(signature_text, validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(signature) != _SIGNATURE_LENGTH:
        return False
    key = public_key if isinstance(public_key, VerifyKey) else _verify_key(public_key)
    try:
        key.verify(signed, signature)
    except BadSignatureError:
        return False
    return True


def verify_signed(
    body: bytes, headers: Mapping[str, object] | None, registry: KeyRegistry
) -> Signed:
    """The registry's key that signed the statement about exactly ``body``, or raise
    ``MessageRejected``. The rejection's detail names the key id at most, never anything
    from the body."""
    headers = headers or {}
    key_id = _text(headers.get(KEY_ID_HEADER))
    signature_text = _text(headers.get(SIGNATURE_HEADER))
    statement_text = _text(headers.get(STATEMENT_HEADER))
    if not key_id or not signature_text or not statement_text:
        raise MessageRejected(
            MISSING, f"no {STATEMENT_HEADER}, {KEY_ID_HEADER} and {SIGNATURE_HEADER} headers"
        )
    key = registry.get(key_id) if KEY_ID_PATTERN.match(key_id) else None
    if key is None:
        raise MessageRejected(UNKNOWN_KEY, "the key id is not in this side's key registry")
    content = read_statement(statement_text)
    if content is None or content["body_sha256"] != digest(body):
        raise MessageRejected(INVALID, f"{STATEMENT_HEADER} is not a statement about this body")
    if not verify_signature(key.verify_key, signature_text, statement_text.encode()):
        raise MessageRejected(
            INVALID, f"the signature does not verify with key {key.key_id} over this body"
        )
    return Signed(key, statement_text, signature_text)


def verify(body: bytes, headers: Mapping[str, object] | None, registry: KeyRegistry) -> TrustedKey:
    """The registry's key that signed ``body`` (see ``verify_signed``)."""
    return verify_signed(body, headers, registry).key


def check_sender(key: TrustedKey, sender: str) -> None:
    """The envelope's sender must be an organisation the signing key may sign for."""
    if sender not in key.organisations:
        raise MessageRejected(
            WRONG_SENDER, f"key {key.key_id} may not sign for the envelope's sender"
        )


@dataclass(frozen=True)
class Verifier:
    """What a receiver checks: the registry and the window ``created_at`` must fall in."""

    registry: KeyRegistry
    max_age: timedelta = timedelta(days=7)
    max_future: timedelta = timedelta(minutes=5)

    def authenticate(self, body: bytes, headers: Mapping[str, object] | None) -> Signed:
        return verify_signed(body, headers, self.registry)

    def check_sender(self, key: TrustedKey, sender: str) -> None:
        check_sender(key, sender)

    def outside_window(self, created_at: datetime, now: datetime) -> bool:
        """True if ``created_at`` is older than ``max_age`` or later than ``max_future``."""
        return not (now - self.max_age <= created_at <= now + self.max_future)


# --------------------------------------------------------------------------- development keys


@dataclass(frozen=True)
class DevKeys:
    """Where ``ensure_dev_keys`` put each side's key files and the shared registry."""

    kela_key_file: Path
    kela_key_id: str
    municipality_key_file: Path
    municipality_key_id: str
    registry_file: Path
    kela_decryption_file: Path
    municipality_decryption_file: Path


def _create_once(path: Path, text: str) -> str:
    """Write ``text`` to a new file of mode 0600 unless it exists; return the file's text."""
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(text)
    return path.read_text()


def ensure_dev_keys(directory: Path, county_organisations: Iterable[str]) -> DevKeys:
    """Create (once) a development signing key pair and encryption key pair per side and a
    registry listing their public halves.

    Private keys are written with mode 0600; never commit them (``var/`` is ignored).
    Existing files are kept, so restarts keep their keys.
    """
    directory.mkdir(parents=True, exist_ok=True)
    sides = {
        "kela": ("dev-kela-1", ["kela"]),
        "municipality": ("dev-municipality-1", sorted(county_organisations)),
    }
    entries: dict[str, Any] = {}
    files: dict[str, Path] = {}
    for side, (key_id, organisations) in sides.items():
        path = files[side] = directory / f"{side}.key"
        key = load_private_key(_create_once(path, private_key_text(Ed25519PrivateKey.generate())))
        entries[key_id] = KeyRegistry.entry(organisations, key)
        encryption_id = f"dev-{side}-enc-1"
        fresh = json.dumps({encryption_id: sealing.private_key_text(EncryptionKey.generate())})
        decryption = files[f"{side}-decryption"] = directory / f"{side}-decryption.json"
        for kid, private in sealing.load_private_keys(_create_once(decryption, fresh)).items():
            entries[kid] = sealing.registry_entry(organisations, private)
    registry = directory / "registry.json"
    registry.write_text(json.dumps(entries, indent=2) + "\n")
    return DevKeys(
        kela_key_file=files["kela"],
        kela_key_id=sides["kela"][0],
        municipality_key_file=files["municipality"],
        municipality_key_id=sides["municipality"][0],
        registry_file=registry,
        kela_decryption_file=files["kela-decryption"],
        municipality_decryption_file=files["municipality-decryption"],
    )


def dev_key_settings(keys: DevKeys, side: str) -> dict[str, str]:
    """The settings (without the env prefix) that give ``side`` (``kela`` or
    ``municipality``) its development keys and the development registry."""
    key_file, key_id, decryption = (
        (keys.kela_key_file, keys.kela_key_id, keys.kela_decryption_file)
        if side == "kela"
        else (
            keys.municipality_key_file,
            keys.municipality_key_id,
            keys.municipality_decryption_file,
        )
    )
    return {
        "SIGNING_KEY_ID": key_id,
        "SIGNING_KEY_FILE": str(key_file),
        "TRUSTED_KEYS_FILE": str(keys.registry_file),
        "DECRYPTION_KEYS_FILE": str(decryption),
    }
