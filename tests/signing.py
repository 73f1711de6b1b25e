"""Test keys, and encrypting and signing as a peer: one helper for every test that publishes
like a sender.

One signing key and one encryption key per side, generated once per test session (never
written to the repository): the Kela side signs with ``KELA``, the municipality side with
``COUNTY`` (every county); Kela decrypts with ``KELA_ENCRYPTION``, the municipality side with
``COUNTY_ENCRYPTION``. A test publishing as an organisation encrypts the body to its
recipient and signs it with that organisation's key (``signed_message``). The services get
their keys and the registry through their settings (``side_settings``), as in production.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import partial
from typing import Any

import aio_pika
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.public import PrivateKey
from silta_messaging import sealing
from silta_messaging.signing import KeyRegistry, Signer, private_key_text
from silta_messaging.statement import MessageFacts
from silta_schemas.envelope import MessageRejected
from silta_schemas.routing import COUNTY_CODES

_NOW = partial(datetime.now, UTC)
COUNTY_ORGANISATIONS = frozenset(f"county-{code}" for code in COUNTY_CODES)

KELA = Signer("test-kela-1", Ed25519PrivateKey.generate())
COUNTY = Signer("test-county-1", Ed25519PrivateKey.generate())
KELA_ENCRYPTION = ("test-kela-enc-1", PrivateKey.generate())
COUNTY_ENCRYPTION = ("test-county-enc-1", PrivateKey.generate())


def encryption_entries() -> dict[str, Any]:
    """The registry's entries of both sides' test encryption keys."""
    return {
        KELA_ENCRYPTION[0]: sealing.registry_entry({"kela"}, KELA_ENCRYPTION[1]),
        COUNTY_ENCRYPTION[0]: sealing.registry_entry(COUNTY_ORGANISATIONS, COUNTY_ENCRYPTION[1]),
    }


def decryption_keys(*keys: tuple[str, PrivateKey]) -> str:
    """A side's ``DECRYPTION_KEYS`` setting holding ``keys``."""
    return json.dumps({key_id: sealing.private_key_text(key) for key_id, key in keys})


def registry(*extra: tuple[Signer, frozenset[str]], without: tuple[str, ...] = ()) -> str:
    """The registry as JSON: the test keys, plus ``extra`` keys, minus ``without`` key ids."""
    entries: dict[str, Any] = {
        KELA.key_id: KeyRegistry.entry({"kela"}, KELA.key),
        COUNTY.key_id: KeyRegistry.entry(COUNTY_ORGANISATIONS, COUNTY.key),
        **encryption_entries(),
    }
    for signer, organisations in extra:
        entries[signer.key_id] = KeyRegistry.entry(organisations, signer.key)
    for key_id in without:
        entries.pop(key_id)
    return json.dumps(entries)


def side_settings(side: str, signer: Signer | None = None) -> dict[str, str]:
    """Settings (without the env prefix) that give ``side`` (``kela`` or ``municipality``)
    its test signing key and the registry."""
    own = signer or (KELA if side == "kela" else COUNTY)
    return {
        "SIGNING_KEY_ID": own.key_id,
        "SIGNING_KEY": private_key_text(own.key),
        "TRUSTED_KEYS": registry(),
        "DECRYPTION_KEYS": decryption_keys(
            KELA_ENCRYPTION if side == "kela" else COUNTY_ENCRYPTION
        ),
    }


def signer_for(sender: str) -> Signer:
    return KELA if sender == "kela" else COUNTY


def _sender_of(body: bytes) -> str:
    """The envelope's sender (``kela`` for a body that is not an envelope)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    found = parsed.get("sender") if isinstance(parsed, dict) else None
    return found if isinstance(found, str) else "kela"


def seal(body: bytes, sender: str | None = None, encrypt_to: str | None = None) -> bytes:
    """``body`` encrypted as the relay does, to its envelope's recipient (or to the
    organisation ``encrypt_to``); a body that is no envelope (or has a recipient without a
    key) is encrypted to both sides' test keys, with ``sender`` in the clear. A body already
    encrypted is returned as it is."""
    if sealing.is_sealed(body):
        return body
    keys = sealing.RecipientKeys.from_json(json.dumps(encryption_entries()))
    if encrypt_to is not None:
        return sealing.seal(body, sealing.clear_of(body), keys.for_recipient(encrypt_to, _NOW()))
    try:
        return sealing.Sealer(keys).seal_envelope(body)
    except (ValueError, AttributeError):
        clear = {"sender": sender or _sender_of(body)}
        everyone = keys.for_recipient("kela", _NOW()) + keys.for_recipient("county-11", _NOW())
        return sealing.seal(body, clear, everyone)


def decrypted(body: bytes) -> bytes:
    """What an encrypted body carries (decrypted with the test keys)."""
    return sealing.Unsealer(dict([KELA_ENCRYPTION, COUNTY_ENCRYPTION])).open(body).body


def opened(body: bytes) -> dict[str, Any]:
    """The envelope inside an encrypted body, as JSON."""
    decoded: dict[str, Any] = json.loads(decrypted(body))
    return decoded


def sign_headers(
    body: bytes, sender: str | None = None, facts: MessageFacts | None = None
) -> dict[str, str]:
    """The signature headers a peer sends with exactly ``body``: signed with the key of
    ``sender``, or of the envelope's own sender (Kela's key for a body that is not one). The
    statement names ``facts``, by default those of the envelope inside (decrypted with the
    test keys when ``body`` is encrypted and opens)."""
    if sender is None:
        sender = _sender_of(body)
        if sealing.is_sealed(body):
            sender = json.loads(body)["sender"] or "kela"
    return signer_for(sender).headers(body, facts or facts_of(body))


def facts_of(body: bytes) -> MessageFacts | None:
    """The facts of the envelope in ``body`` (decrypted with the test keys when encrypted);
    None when it does not open (tampered on purpose)."""
    if not sealing.is_sealed(body):
        return MessageFacts.of_body(body)
    try:
        return MessageFacts.of_body(decrypted(body))
    except MessageRejected:
        return None


def signed_message(
    body: bytes, *, sender: str | None = None, encrypt_to: str | None = None, **properties: Any
) -> aio_pika.Message:
    """``aio_pika.Message`` of ``body`` encrypted (``seal``) and signed as ``sender`` (see
    ``sign_headers``), with ``properties``."""
    sealed = seal(body, sender, encrypt_to)
    facts = None if sealing.is_sealed(body) else MessageFacts.of_body(body)
    headers = {**properties.pop("headers", {}), **sign_headers(sealed, sender, facts)}
    return aio_pika.Message(sealed, headers=headers, **properties)
