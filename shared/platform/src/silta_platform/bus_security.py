"""The signer, verifier, sealer, unsealer and broker TLS context a service builds from its
settings.

Signing and encryption are not optional: a service without a signing key, a key registry
(with encryption keys) or its decryption keys does not start (``make run`` and the tests
create development keys; see the README, *Message authenticity*).
"""

from __future__ import annotations

import ssl
from datetime import timedelta

from silta_messaging.broker import tls_context
from silta_messaging.sealing import RecipientKeys, Sealer, Unsealer, load_private_keys
from silta_messaging.signing import KeyRegistry, Signer, Verifier, load_private_key

from silta_platform.settings import ServiceSettings


class SecurityNotConfigured(ValueError):
    """A setting the message signing or the broker's TLS needs is missing or wrong."""


def _prefix(settings: ServiceSettings) -> str:
    return str(settings.model_config.get("env_prefix", ""))


def signer_from(settings: ServiceSettings) -> Signer:
    prefix = _prefix(settings)
    if settings.signing_key is not None:
        text = settings.signing_key.get_secret_value()
    elif settings.signing_key_file is not None:
        text = settings.signing_key_file.read_text()
    else:
        raise SecurityNotConfigured(
            f"no signing key: set {prefix}SIGNING_KEY or {prefix}SIGNING_KEY_FILE "
            f"and {prefix}SIGNING_KEY_ID"
        )
    try:
        return Signer(settings.signing_key_id, load_private_key(text))
    except ValueError as error:
        raise SecurityNotConfigured(f"{prefix}SIGNING_KEY(_ID): {error}") from None


def _registry_text(settings: ServiceSettings) -> str:
    if settings.trusted_keys:
        return settings.trusted_keys
    if settings.trusted_keys_file is not None:
        return settings.trusted_keys_file.read_text()
    prefix = _prefix(settings)
    raise SecurityNotConfigured(
        f"no key registry: set {prefix}TRUSTED_KEYS or {prefix}TRUSTED_KEYS_FILE"
    )


def verifier_from(settings: ServiceSettings) -> Verifier:
    text = _registry_text(settings)
    try:
        registry = KeyRegistry.from_json(text)
    except ValueError as error:
        raise SecurityNotConfigured(f"{_prefix(settings)}TRUSTED_KEYS: {error}") from None
    return Verifier(
        registry,
        max_age=timedelta(seconds=settings.message_max_age_seconds),
        max_future=timedelta(seconds=settings.message_max_future_seconds),
    )


def sealer_from(settings: ServiceSettings) -> Sealer:
    """What encrypts this side's messages: the registry's encryption keys (it needs one)."""
    text = _registry_text(settings)
    try:
        keys = RecipientKeys.from_json(text)
    except ValueError as error:
        raise SecurityNotConfigured(f"{_prefix(settings)}TRUSTED_KEYS: {error}") from None
    if not len(keys):
        raise SecurityNotConfigured(
            f'{_prefix(settings)}TRUSTED_KEYS: no encryption key ("use": "encrypt")'
        )
    return Sealer(keys)


def unsealer_from(settings: ServiceSettings) -> Unsealer:
    """What decrypts the messages to this side: its private keys, by key id."""
    prefix = _prefix(settings)
    if settings.decryption_keys is not None:
        text = settings.decryption_keys.get_secret_value()
    elif settings.decryption_keys_file is not None:
        text = settings.decryption_keys_file.read_text()
    else:
        raise SecurityNotConfigured(
            f"no decryption keys: set {prefix}DECRYPTION_KEYS or {prefix}DECRYPTION_KEYS_FILE"
        )
    try:
        return Unsealer(load_private_keys(text))
    except ValueError as error:
        raise SecurityNotConfigured(f"{prefix}DECRYPTION_KEYS: {error}") from None


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
