"""What ``make run`` starts: both services on their defaults (SQLite under ``var/``), with
the development signing keys and token issuer, configured from the variables they read."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from silta_platform.dev_tokens import DEMO_USERS

from silta_harness.sides import SIDES, dev_issuer, dev_signing_settings, side_named
from silta_harness.supervisor import Service


def _public_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def _mask(url: str) -> str:
    """Hide the password in a URL for printing."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _database(url: str, root: Path) -> str:
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix):
        path = Path(url.removeprefix(prefix))
        return f"SQLite {path if path.is_absolute() else root / path}"
    return _mask(url)


def default_services(root: Path, env: Mapping[str, str] = os.environ) -> list[Service]:
    """The two Silta services run from ``root``, configured from the variables they read."""
    services = []
    for side in SIDES:
        host = _public_host(side.setting(env, "HOST", "127.0.0.1"))
        port = side.setting(env, "PORT", str(side.default_port))
        scheme = "https" if side.setting(env, "TLS_CERT_FILE") else "http"
        base = f"{scheme}://{host}:{port}"
        database = side.setting(env, "DATABASE_URL", f"sqlite+aiosqlite:///var/{side.name}.db")
        amqp = side.setting(env, "AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
        info = [
            f"{side.title}: {base}/docs",
            f"  database: {_database(database, root)}",
            f"  RabbitMQ: {_mask(amqp)}",
        ]
        counties = side.setting(env, "COUNTIES")
        if counties:
            info.append(f"  counties: {counties}")
        services.append(
            Service(
                name=side.name,
                argv=(sys.executable, "-m", side.module),
                info=info,
                health_url=f"{base}/healthz",
                # readable lines in a terminal; JSON (the services' default) when set so
                env={side.env_prefix + "LOG_FORMAT": side.setting(env, "LOG_FORMAT", "console")},
            )
        )
    return services


def development_tokens(var: Path, env: Mapping[str, str] = os.environ) -> list[str]:
    """Create the development issuer under ``var`` if absent (the services' default JWKS);
    lines with a ready token for each demo role, unless another JWKS is configured."""
    if any(side.setting(env, "AUTH_JWKS") for side in SIDES):
        return ["AUTH_JWKS is set: use your issuer's tokens"]
    issuer = dev_issuer(var)
    lines = [
        f"development tokens (12 h; JWKS {issuer.jwks_path}), send as 'Authorization: Bearer …':"
    ]
    sides = {user.role: user for user in DEMO_USERS}
    for role, token in issuer.demo_tokens().items():
        where = " + ".join(a.removeprefix("silta-") for a in sides[role].audiences)
        lines.append(f"token {role} ({where}): {token}")
    return lines


def with_dev_keys(
    services: Sequence[Service], var: Path, env: Mapping[str, str] = os.environ
) -> list[Service]:
    """Give each service its development signing and decryption keys and the development
    key registry (created once under ``var/dev-keys/``, never committed), unless its
    environment already configures signing (then it configures encryption too)."""
    configured = []
    for service in services:
        side = side_named(service.name)
        if any(key.startswith(f"{side.env_prefix}SIGNING_KEY") for key in env):
            configured.append(service)
            continue
        settings = side.prefixed(dev_signing_settings(side, var))
        configured.append(replace(service, env={**service.env, **settings}))
    return configured
