"""Create development keys: message signing and encryption keys, their registry and a token
issuer.

``python infra/dev_keys.py [DIRECTORY]`` (default ``var/dev-keys``) writes ``kela.key`` and
``municipality.key`` (signing), ``kela-decryption.json`` and ``municipality-decryption.json``
(encryption; all mode 0600, kept if they exist), ``registry.json``, and the development token
issuer's ``dev-issuer-key.pem`` (0600, kept) and ``dev-jwks.json`` (the services'
``AUTH_JWKS``), and prints the settings each side needs. ``make dev-keys`` and ``docker
compose`` (its one-shot ``dev-keys`` service) run it. For development only: production keys
are generated and kept by each organisation, and only public keys are exchanged.
"""

from __future__ import annotations

import sys
from pathlib import Path

from silta_messaging.signing import dev_key_settings, ensure_dev_keys
from silta_platform.dev_tokens import DevIssuer
from silta_schemas.routing import COUNTY_CODES

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    directory = Path(argv[0]) if argv else ROOT / "var" / "dev-keys"
    keys = ensure_dev_keys(directory, (f"county-{code}" for code in COUNTY_CODES))
    issuer = DevIssuer.ensure(directory)
    for side, prefix in (("kela", "KELA_SIDE_"), ("municipality", "MUNICIPALITY_SIDE_")):
        settings = {**dev_key_settings(keys, side), "AUTH_JWKS": str(issuer.jwks_path)}
        for name, value in settings.items():
            print(f"{prefix}{name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
