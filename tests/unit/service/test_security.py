"""A service builds its signer, verifier and broker TLS from its settings, or refuses to start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.public import PrivateKey
from silta_messaging import sealing
from silta_messaging.signing import KeyRegistry, private_key_text
from silta_platform.bus_security import (
    SecurityNotConfigured,
    broker_tls_context,
    sealer_from,
    signer_from,
    unsealer_from,
    verifier_from,
)
from silta_platform.settings import ServiceSettings

KEY = Ed25519PrivateKey.generate()
REGISTRY = json.dumps({"kela-1": KeyRegistry.entry({"kela"}, KEY)})


def settings(**values: object) -> ServiceSettings:
    return ServiceSettings.model_validate(
        {"database_url": "sqlite+aiosqlite://", "port": 1, **values}
    )


def test_signing_from_inline_settings_and_from_files(tmp_path: Path) -> None:
    inline = settings(
        signing_key_id="kela-1", signing_key=private_key_text(KEY), trusted_keys=REGISTRY
    )
    assert signer_from(inline).key_id == "kela-1"
    assert verifier_from(inline).registry.key_ids == {"kela-1"}
    (tmp_path / "k").write_text(private_key_text(KEY))
    (tmp_path / "r.json").write_text(REGISTRY)
    files = settings(
        signing_key_id="kela-1",
        signing_key_file=tmp_path / "k",
        trusted_keys_file=tmp_path / "r.json",
        message_max_age_seconds=60,
    )
    assert signer_from(files).headers(b"x") == signer_from(inline).headers(b"x")
    assert verifier_from(files).max_age.total_seconds() == 60


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "no signing key"),
        ({"signing_key": private_key_text(KEY)}, "key id"),
        ({"signing_key_id": "k", "signing_key": "nonsense"}, "base64"),
    ],
)
def test_no_usable_signing_key_refuses_to_start(values: dict[str, object], message: str) -> None:
    with pytest.raises(SecurityNotConfigured, match=message):
        signer_from(settings(**values))


def test_no_registry_refuses_to_start() -> None:
    with pytest.raises(SecurityNotConfigured, match="no key registry"):
        verifier_from(settings())
    with pytest.raises(SecurityNotConfigured, match="TRUSTED_KEYS"):
        verifier_from(settings(trusted_keys="[]"))


def test_encryption_keys_from_settings_or_no_start(tmp_path: Path) -> None:
    """The registry must list encryption keys and the side must hold its private ones."""
    private = PrivateKey.generate()
    with_encryption = json.dumps(
        {**json.loads(REGISTRY), "kela-enc-1": sealing.registry_entry({"kela"}, private)}
    )
    assert len(sealer_from(settings(trusted_keys=with_encryption)).keys) == 1
    with pytest.raises(SecurityNotConfigured, match="no encryption key"):
        sealer_from(settings(trusted_keys=REGISTRY))
    held = json.dumps({"kela-enc-1": sealing.private_key_text(private)})
    (tmp_path / "d.json").write_text(held)
    for configured in (
        settings(decryption_keys=held),
        settings(decryption_keys_file=tmp_path / "d.json"),
    ):
        assert set(unsealer_from(configured).private_keys) == {"kela-enc-1"}
    with pytest.raises(SecurityNotConfigured, match="no decryption keys"):
        unsealer_from(settings())
    with pytest.raises(SecurityNotConfigured, match="DECRYPTION_KEYS"):
        unsealer_from(settings(decryption_keys='{"k": "short"}'))


def test_broker_tls_from_settings(tmp_path: Path) -> None:
    assert broker_tls_context(settings()) is None
    assert broker_tls_context(settings(amqp_url="amqps://broker/")) is not None
    with pytest.raises(SecurityNotConfigured, match="not amqps"):
        broker_tls_context(settings(amqp_ca_file=tmp_path / "ca.pem"))
