"""Payload confidentiality on the bus: every message is encrypted to its recipient organisation.

A broker user who may read a queue (or bind one of his own) sees only ciphertext. The sender
(the relay, as it publishes) encrypts the envelope's bytes with a fresh random content key
(XChaCha20-Poly1305, libsodium through PyNaCl), and seals that content key to each recipient
key (a libsodium sealed box: X25519, anonymous sender). What travels is a small JSON document::

    {"format": "silta-sealed-1", "message_id": "...", "kind": "notice_of_need",
     "sender": "kela", "recipient": "county-11",
     "recipients": [{"key_id": "county-11-enc-2026", "sealed_key": "<base64>"}],
     "nonce": "<base64>", "ciphertext": "<base64>"}

The clear part names only what routing and the checks need: the message id and kind, the
sending and receiving organisation, and the key ids it was encrypted to; it is the
ciphertext's associated data, and the whole document is what the sender signs
(``silta_messaging.signing``). A message to one organisation has one ``recipients`` entry;
a broadcast (``recipient`` = ``counties``, Kela's directory updates) has one per county key
of the registry, so each county side opens it with its own private key.

The receiver verifies the signature first, then opens the document here: a body that is not
such a document is ``message.not_encrypted``; one encrypted to no key this side holds is
``message.unknown_encryption_key``; one whose sealed key or ciphertext does not open (wrong
key, tampered) is ``message.undecryptable``; and once the envelope is validated, its
``message_id``, ``kind``, ``sender`` and ``recipient`` must equal the clear ones
(``message.envelope_mismatch``).

Keys. The registry (the same JSON as the signing keys) lists each organisation's public
encryption keys as entries with ``"use": "encrypt"``; an optional ``since`` (ISO 8601) says
from when senders use it. A sender encrypts to the key with the latest ``since`` not in the
future; the receiver holds its private keys by key id and opens a message with the one it
names, so during a rotation messages to the old and the new key are both read.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import nacl.bindings
import nacl.exceptions
import nacl.utils
import orjson
from nacl.public import PrivateKey, PublicKey, SealedBox
from silta_schemas.canonical import canonical_json
from silta_schemas.envelope import ALL_COUNTIES, Envelope, MessageRejected
from silta_schemas.routing import COUNTY_CODES

from silta_messaging import key_registry
from silta_messaging.key_registry import ENCRYPT, KEY_BYTES, b64decode, raw_key

FORMAT: Final = "silta-sealed-1"

NOT_ENCRYPTED: Final = "message.not_encrypted"
UNKNOWN_ENCRYPTION_KEY: Final = "message.unknown_encryption_key"
UNDECRYPTABLE: Final = "message.undecryptable"
ENVELOPE_MISMATCH: Final = "message.envelope_mismatch"

CLEAR_FIELDS: Final = ("message_id", "kind", "sender", "recipient")
_SINCE: Final = frozenset({"since"})
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise ValueError(f"{what} is not base64 text")
    return b64decode(text, what)


# --------------------------------------------------------------------------- keys


def private_key_text(key: PrivateKey) -> str:
    """Base64 of an X25519 private key's 32 raw bytes."""
    return _b64(bytes(key))


def public_key_text(key: PrivateKey | PublicKey) -> str:
    """Base64 of the public key's 32 raw bytes: the registry's ``public_key``."""
    public = key.public_key if isinstance(key, PrivateKey) else key
    return _b64(bytes(public))


def registry_entry(
    organisations: Iterable[str], key: PrivateKey | PublicKey, since: datetime | None = None
) -> dict[str, Any]:
    """One encryption entry of the key registry."""
    entry: dict[str, Any] = {
        "use": ENCRYPT,
        "organisations": sorted(organisations),
        "public_key": public_key_text(key),
    }
    if since is not None:
        entry["since"] = since.isoformat()
    return entry


def load_private_keys(text: str) -> dict[str, PrivateKey]:
    """This side's private encryption keys: JSON ``{"<key id>": "<base64 of 32 bytes>"}``."""
    try:
        raw = json.loads(text)
    except ValueError:
        raise ValueError("the decryption keys are not JSON") from None
    if not isinstance(raw, dict) or not raw:
        raise ValueError("the decryption keys are a non-empty JSON object keyed by key id")
    return {
        str(key_id): PrivateKey(raw_key(value, f"decryption key {key_id}"))
        for key_id, value in raw.items()
    }


@dataclass(frozen=True)
class RecipientKey:
    """One public encryption key of the registry and the organisations it receives for."""

    key_id: str
    organisations: frozenset[str]
    public_key: PublicKey
    since: datetime = _EPOCH


class RecipientKeys:
    """The registry's encryption keys: which key a sender encrypts to, per organisation."""

    def __init__(self, keys: Iterable[RecipientKey]) -> None:
        self._keys = tuple(keys)

    def __len__(self) -> int:
        return len(self._keys)

    @classmethod
    def from_json(cls, text: str) -> RecipientKeys:
        """The registry's ``"use": "encrypt"`` entries; ValueError if malformed."""
        keys = []
        for key_id, entry, organisations in key_registry.entries(text, ENCRYPT, _SINCE):
            since = _EPOCH
            if "since" in entry:
                try:
                    since = datetime.fromisoformat(str(entry["since"]))
                except ValueError:
                    raise ValueError(f"key {key_id}: since is not an ISO 8601 time") from None
                if since.tzinfo is None:
                    raise ValueError(f"key {key_id}: since needs a time zone")
            public = PublicKey(raw_key(entry["public_key"], f"key {key_id}"))
            keys.append(RecipientKey(key_id, organisations, public, since))
        return cls(keys)

    def current(self, organisation: str, now: datetime) -> RecipientKey | None:
        """The key senders use for ``organisation`` now: the latest ``since`` not after now."""
        usable = [k for k in self._keys if organisation in k.organisations and k.since <= now]
        return max(usable, key=lambda k: (k.since, k.key_id), default=None)

    def for_recipient(self, recipient: str, now: datetime) -> list[RecipientKey]:
        """The keys a message to ``recipient`` is encrypted to (one per county key for
        ``counties``); empty if the registry has none."""
        organisations = (
            [f"county-{code}" for code in sorted(COUNTY_CODES)]
            if recipient == ALL_COUNTIES
            else [recipient]
        )
        found: dict[str, RecipientKey] = {}
        for organisation in organisations:
            key = self.current(organisation, now)
            if key is not None:
                found.setdefault(key.key_id, key)
        return list(found.values())


# --------------------------------------------------------------------------- sealing


class NoEncryptionKey(ValueError):
    """The registry has no encryption key for the message's recipient: it is not sent."""


def seal(body: bytes, clear: Mapping[str, str], keys: Iterable[RecipientKey]) -> bytes:
    """``body`` encrypted to every key of ``keys``, with the ``clear`` fields beside it."""
    content_key = nacl.utils.random(KEY_BYTES)
    header: dict[str, Any] = {
        "format": FORMAT,
        **{name: str(clear.get(name, "")) for name in CLEAR_FIELDS},
        "recipients": [
            {
                "key_id": key.key_id,
                "sealed_key": _b64(SealedBox(key.public_key).encrypt(content_key)),
            }
            for key in keys
        ],
    }
    if not header["recipients"]:
        raise NoEncryptionKey("no encryption key for the recipient")
    nonce = nacl.utils.random(nacl.bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    ciphertext = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        body, canonical_json(header), nonce, content_key
    )
    return canonical_json({**header, "nonce": _b64(nonce), "ciphertext": _b64(ciphertext)})


def clear_of(envelope_body: bytes) -> dict[str, str]:
    """The fields of an envelope that travel in clear beside its ciphertext."""
    envelope = orjson.loads(envelope_body)
    return {name: str(envelope.get(name, "")) for name in CLEAR_FIELDS}


@dataclass(frozen=True)
class Sealer:
    """The sender's side: encrypts each envelope to its recipient's current key(s)."""

    keys: RecipientKeys

    def seal_envelope(self, body: bytes, now: datetime | None = None) -> bytes:
        """The envelope ``body`` (as stored in the outbox) sealed to its recipient."""
        clear = clear_of(body)
        keys = self.keys.for_recipient(clear["recipient"], now or datetime.now(UTC))
        if not keys:
            raise NoEncryptionKey(f"no encryption key in the registry for {clear['recipient']}")
        return seal(body, clear, keys)


# --------------------------------------------------------------------------- opening


@dataclass(frozen=True)
class Sealed:
    """An opened message: the clear fields it travelled with and the envelope's bytes."""

    clear: Mapping[str, str]
    key_id: str
    body: bytes

    @property
    def sender(self) -> str:
        return self.clear["sender"]

    def check(self, envelope: Envelope) -> None:
        """The validated envelope must say what the clear fields said."""
        inner = {
            "message_id": str(envelope.message_id),
            "kind": str(envelope.kind),
            "sender": envelope.sender,
            "recipient": envelope.recipient,
        }
        differing = sorted(name for name in CLEAR_FIELDS if inner[name] != self.clear[name])
        if differing:
            raise MessageRejected(
                ENVELOPE_MISMATCH,
                f"the envelope's {', '.join(differing)} differ from the clear ones",
            )


def _document(body: bytes) -> dict[str, Any]:
    try:
        document = orjson.loads(body)
    except (ValueError, RecursionError):
        document = None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise MessageRejected(NOT_ENCRYPTED, f"the body is not a {FORMAT} document")
    if not all(isinstance(document.get(name), str) for name in CLEAR_FIELDS) or not isinstance(
        document.get("recipients"), list
    ):
        raise MessageRejected(NOT_ENCRYPTED, f"the body is not a well-formed {FORMAT} document")
    return document


@dataclass(frozen=True)
class Unsealer:
    """The receiver's side: its private keys by key id (two during a rotation)."""

    private_keys: Mapping[str, PrivateKey]

    def open(self, body: bytes, check_sender: Callable[[str], None] | None = None) -> Sealed:
        """Decrypt ``body`` with the key it names, or raise ``MessageRejected``;
        ``check_sender`` gets the clear ``sender`` first, before anything is decrypted."""
        document = _document(body)
        if check_sender is not None:
            check_sender(document["sender"])
        entries = [e for e in document["recipients"] if isinstance(e, dict)]
        mine = next((e for e in entries if e.get("key_id") in self.private_keys), None)
        if mine is None:
            raise MessageRejected(
                UNKNOWN_ENCRYPTION_KEY, "the message is encrypted to no key this side holds"
            )
        key_id = str(mine["key_id"])
        header = {name: document[name] for name in ("format", *CLEAR_FIELDS, "recipients")}
        try:
            sealed_key = _unb64(mine.get("sealed_key"), "sealed_key")
            content_key = SealedBox(self.private_keys[key_id]).decrypt(sealed_key)
            plain = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
                _unb64(document.get("ciphertext"), "ciphertext"),
                canonical_json(header),
                _unb64(document.get("nonce"), "nonce"),
                content_key,
            )
        except (ValueError, TypeError, nacl.exceptions.CryptoError):
            raise MessageRejected(
                UNDECRYPTABLE, f"the message does not decrypt with key {key_id}"
            ) from None
        return Sealed({name: document[name] for name in CLEAR_FIELDS}, key_id, plain)


def is_sealed(body: bytes) -> bool:
    """True if ``body`` is a sealed document (tools and tests that re-publish bytes)."""
    try:
        _document(body)
    except MessageRejected:
        return False
    return True
