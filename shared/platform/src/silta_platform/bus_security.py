"""The signer, verifier, sealer, unsealer and broker TLS context a service builds from its
settings.

Signing and encryption are not optional: a service without a signing key, a key registry
(with encryption keys) or its decryption keys does not start (``make run`` and the tests
create development keys; see the README, *Message authenticity*).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from pydantic import SecretStr
from silta_messaging.broker import tls_context
from silta_messaging.sealing import RecipientKeys, Sealer, Unsealer, load_private_keys
from silta_messaging.signing import KeyRegistry, Signer, Verifier, load_private_key

from silta_platform.settings import ServiceSettings

T = TypeVar("T")


class SecurityNotConfigured(ValueError):
    """A setting the message signing or the broker's TLS needs is missing or wrong."""


def _prefix(settings: ServiceSettings) -> str:
    return str(settings.model_config.get("env_prefix", ""))


def _load(
    settings: ServiceSettings,
    name: str,
    given: tuple[str | SecretStr | None, Path | None],
    parse: Callable[[str], T],
    what: str,
) -> T:
    """``parse`` of the setting ``name`` given inline or (preferably) as ``name``_FILE: the
    service does not start without it, or with one that does not parse."""
    inline, file = given
    prefix = _prefix(settings)
    if isinstance(inline, SecretStr):
        inline = inline.get_secret_value()
    if inline:
        text = inline
    elif file is not None:
        text = file.read_text()
    else:
        raise SecurityNotConfigured(f"no {what}: set {prefix}{name} or {prefix}{name}_FILE")
    try:
        return parse(text)
    except ValueError as error:
        raise SecurityNotConfigured(f"{prefix}{name}: {error}") from None


def signer_from(settings: ServiceSettings) -> Signer:
    """This side's signing key, under the id ``SIGNING_KEY_ID``."""
    given = (settings.signing_key, settings.signing_key_file)
    key = _load(settings, "SIGNING_KEY", given, load_private_key, "signing key")
    try:
        return Signer(settings.signing_key_id, key)
    except ValueError as error:
        raise SecurityNotConfigured(f"{_prefix(settings)}SIGNING_KEY_ID: {error}") from None


def _registry(settings: ServiceSettings, parse: Callable[[str], T]) -> T:
    given = (settings.trusted_keys, settings.trusted_keys_file)
    return _load(settings, "TRUSTED_KEYS", given, parse, "key registry")


def verifier_from(settings: ServiceSettings) -> Verifier:
    """What checks the signatures of what this side receives: the registry's signing keys."""
    return Verifier(
        _registry(settings, KeyRegistry.from_json),
        max_age=timedelta(seconds=settings.message_max_age_seconds),
        max_future=timedelta(seconds=settings.message_max_future_seconds),
    )


def sealer_from(settings: ServiceSettings) -> Sealer:
    """What encrypts this side's messages: the registry's encryption keys (it needs one)."""
    keys = _registry(settings, RecipientKeys.from_json)
    if not len(keys):
        raise SecurityNotConfigured(
            f'{_prefix(settings)}TRUSTED_KEYS: no encryption key ("use": "encrypt")'
        )
    return Sealer(keys)


def unsealer_from(settings: ServiceSettings) -> Unsealer:
    """What decrypts the messages to this side: its private keys, by key id."""
    given = (settings.decryption_keys, settings.decryption_keys_file)
    keys = _load(settings, "DECRYPTION_KEYS", given, load_private_keys, "decryption keys")
    return Unsealer(keys)


def broker_tls_context(settings: ServiceSettings) -> ssl.SSLContext | None:
    try:
        return tls_context(
            settings.amqp_url,
            ca_file=str(settings.amqp_ca_file) if settings.amqp_ca_file else None,
            cert_file=str(settings.amqp_cert_file) if settings.amqp_cert_file else None,
            key_file=str(settings.amqp_key_file) if settings.amqp_key_file else None,
        )
    except ValueError as error:
        raise SecurityNotConfigured(f"{_prefix(settings)}AMQP_*: {error}") from None
