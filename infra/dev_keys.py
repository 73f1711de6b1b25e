"""Create development signing and encryption keys and the registry listing them
(``make dev-keys``).

``python infra/dev_keys.py [DIRECTORY]`` (default ``var/dev-keys``) writes ``kela.key`` and
``municipality.key`` (signing), ``kela-decryption.json`` and ``municipality-decryption.json``
(encryption; all mode 0600, kept if they exist) and ``registry.json``, and prints the
settings each side needs. For development and ``docker compose`` only: production keys are
generated and kept by each organisation, and only public keys are exchanged.
"""

from __future__ import annotations

import sys
from pathlib import Path

from silta_messaging.signing import dev_key_settings, ensure_dev_keys
from silta_schemas.routing import COUNTY_CODES

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    directory = Path(argv[0]) if argv else ROOT / "var" / "dev-keys"
    keys = ensure_dev_keys(directory, (f"county-{code}" for code in COUNTY_CODES))
    for side, prefix in (("kela", "KELA_SIDE_"), ("municipality", "MUNICIPALITY_SIDE_")):
        for name, value in dev_key_settings(keys, side).items():
            print(f"{prefix}{name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
