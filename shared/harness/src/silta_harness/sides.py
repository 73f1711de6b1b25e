"""The two sides of Silta as the harness starts them, and the environment each reads.

A side is configured only through ``<PREFIX><SETTING>`` environment variables (the
prefixes of the services' settings classes); the harness writes settings without the
prefix and adds it here, in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from silta_messaging.signing import dev_key_settings, ensure_dev_keys
from silta_platform.dev_tokens import DevIssuer
from silta_schemas.routing import COUNTY_CODES


@dataclass(frozen=True)
class Side:
    """One service: Kela's side or the municipalities' (county, *hyvinvointialue*) side."""

    name: str
    """Its process, log and queue name."""
    module: str
    """Started as ``python -m <module>``."""
    env_prefix: str
    signing_side: str
    """``kela`` or ``municipality``: whose development signing key it holds."""
    default_port: int
    """The port it listens on when nothing else is configured (``make run``)."""
    title: str

    def prefixed(self, settings: Mapping[str, str]) -> dict[str, str]:
        """``settings`` as environment variables of this side."""
        return {self.env_prefix + name: value for name, value in settings.items()}

    def setting(self, env: Mapping[str, str], name: str, default: str = "") -> str:
        """This side's setting ``name`` as ``env`` gives it, else ``default``."""
        return env.get(self.env_prefix + name, default)


KELA_SIDE = Side("kela-side", "kela_side", "KELA_SIDE_", "kela", 8001, "Kela side")
MUNICIPALITY_SIDE = Side(
    "municipality-side",
    "municipality_side",
    "MUNICIPALITY_SIDE_",
    "municipality",
    8002,
    "Municipality side",
)
SIDES = (KELA_SIDE, MUNICIPALITY_SIDE)


def side_named(name: str) -> Side:
    return next(side for side in SIDES if side.name == name)


def without_side_settings(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without either side's settings: a run that chooses its settings is not
    changed by what the developer's shell happens to export."""
    prefixes = tuple(side.env_prefix for side in SIDES)
    return {name: value for name, value in env.items() if not name.startswith(prefixes)}


def dev_signing_settings(side: Side, var: Path) -> dict[str, str]:
    """``side``'s development signing and decryption keys and the development key registry
    (created once under ``var/dev-keys``, never committed), as settings without the prefix."""
    keys = ensure_dev_keys(var / "dev-keys", (f"county-{code}" for code in COUNTY_CODES))
    return dev_key_settings(keys, side.signing_side)


def dev_issuer(var: Path) -> DevIssuer:
    """The development token issuer under ``var`` (the services' default JWKS when run from
    the repository), created if absent."""
    return DevIssuer.ensure(var)
