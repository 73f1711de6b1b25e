"""Test keys and signing as a peer: one helper for every test that publishes like a sender.

One key per side, generated once per test session (never written to the repository): the
Kela side signs with ``KELA``, the municipality side with ``COUNTY`` (every county), and a
test publishing as an organisation signs with that organisation's key. The services get
their keys and the registry through their settings (``side_settings``), as in production.
"""

from __future__ import annotations

import json
from typing import Any

import aio_pika
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from silta_messaging.signing import KeyRegistry, Signer, private_key_text
from silta_schemas.routing import COUNTY_CODES

COUNTY_ORGANISATIONS = frozenset(f"county-{code}" for code in COUNTY_CODES)

KELA = Signer("test-kela-1", Ed25519PrivateKey.generate())
COUNTY = Signer("test-county-1", Ed25519PrivateKey.generate())


def registry(*extra: tuple[Signer, frozenset[str]], without: tuple[str, ...] = ()) -> str:
    """The registry as JSON: both test keys, plus ``extra`` keys, minus ``without`` key ids."""
    entries: dict[str, Any] = {
        KELA.key_id: KeyRegistry.entry({"kela"}, KELA.key),
        COUNTY.key_id: KeyRegistry.entry(COUNTY_ORGANISATIONS, COUNTY.key),
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
    }


def signer_for(sender: str) -> Signer:
    return KELA if sender == "kela" else COUNTY


def sign_headers(body: bytes, sender: str | None = None) -> dict[str, str]:
    """The signature headers a peer sends with ``body``: signed with the key of ``sender``,
    or of the envelope's own sender (Kela's key for a body that is not an envelope)."""
    if sender is None:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        found = parsed.get("sender") if isinstance(parsed, dict) else None
        sender = found if isinstance(found, str) else "kela"
    return signer_for(sender).headers(body)


def signed_message(
    body: bytes, *, sender: str | None = None, **properties: Any
) -> aio_pika.Message:
    """``aio_pika.Message(body, **properties)`` signed as ``sender`` (see ``sign_headers``)."""
    headers = {**properties.pop("headers", {}), **sign_headers(body, sender)}
    return aio_pika.Message(body, headers=headers, **properties)
