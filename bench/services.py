"""Both Silta services as the benchmark runs them (:mod:`silta_harness`): on free ports,
logging warnings only, with the development keys and issuer ``make run`` uses."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from silta_harness import (
    KELA_SIDE,
    MUNICIPALITY_SIDE,
    ServiceProcess,
    Side,
    System,
    dev_issuer,
    dev_signing_settings,
)
from silta_platform.auth import KELA_AUDIENCE
from silta_platform.dev_tokens import DevIssuer

from bench.databases import ServiceDatabases

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
STOP_TIMEOUT_S = 15.0
READY_WITHIN_S = 90.0


@functools.cache
def _issuer() -> DevIssuer:
    return dev_issuer(VAR)


def officer_token() -> str:
    """A Kela benefit officer's token: the load posts referrals."""
    return _issuer().mint(
        roles=["kela_benefit_officer"],
        org="kela",
        audience=KELA_AUDIENCE,
        subject="bench",
        lifetime=timedelta(hours=6),
    )


def bench_system(
    directory: Path,
    databases: ServiceDatabases,
    amqp_url: str,
    what_if: str = "",
    settings: Mapping[str, str] | None = None,
) -> System:
    """Both services on ``databases``, their output in ``directory``; ``what_if``: the
    comma-separated patches from :mod:`bench.whatif` they run with (experiments only);
    ``settings``: more environment variables for both."""

    def process(side: Side, database_url: str) -> ServiceProcess:
        command: tuple[str, ...] = ()
        inherited = None
        if what_if:
            command = (sys.executable, "-m", "bench.whatif", side.module, what_if)
            path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
            inherited = {**os.environ, "PYTHONPATH": path}
        return ServiceProcess(
            side,
            {
                "DATABASE_URL": database_url,
                "AMQP_URL": amqp_url,
                "QUEUE_NAME": f"silta.{side.name}.inbox",
                "ACCESS_LOG": "false",
                "LOG_LEVEL": "WARNING",
                "AUTH_JWKS": str(_issuer().jwks_path),
                # One caller posts every referral: its limit is sized as a deployment would
                # size it for its case system, far above the load (the limiter still runs).
                "RATE_LIMIT": "10000/second",
                **dev_signing_settings(side, VAR),
                **(settings or {}),
            },
            log_path=directory / f"{side.name}.log",
            inherited=inherited,
            command=command,
            stop_timeout=STOP_TIMEOUT_S,
        )

    return System(
        kela=process(KELA_SIDE, databases.kela_url),
        municipality=process(MUNICIPALITY_SIDE, databases.municipality_url),
    )


def problems(process: ServiceProcess) -> list[str]:
    """Log lines at WARNING or above (the services run at WARNING: any line is one)."""
    return [line for line in process.log_text().splitlines() if _level(line) in _PROBLEMS]


_PROBLEMS = ("warning", "error", "critical")


def _level(line: str) -> str:
    """The level of a JSON log line (``LOG_FORMAT=json``, the services' default)."""
    try:
        return str(json.loads(line).get("level", "")).lower()
    except (ValueError, AttributeError):
        return ""
