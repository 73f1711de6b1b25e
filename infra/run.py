"""Run both Silta services locally as child processes (``make run``).

Starts ``python -m kela_side`` and ``python -m municipality_side`` with this process's
environment, prefixes their output with the service name, and stops both on Ctrl-C /
SIGTERM (:mod:`silta_harness.supervisor`). Exits 0 after a requested stop, non-zero if a
service dies on its own (the other one is stopped first).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from silta_harness import local
from silta_harness.supervisor import Service, supervise

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"

__all__ = ["Service", "default_services", "main", "supervise"]


def default_services(env: Mapping[str, str] = os.environ) -> list[Service]:
    """The two Silta services, configured from the same variables they read."""
    return local.default_services(ROOT, env)


def main() -> int:
    VAR.mkdir(exist_ok=True)
    services = local.with_dev_keys(default_services(), VAR)
    print("[run] Silta services (Ctrl-C stops both)")
    for service in services:
        for line in service.info:
            print(f"[run] {line}")
    for line in local.development_tokens(VAR):
        print(f"[run] {line}")
    print("[run] RabbitMQ management UI (if the plugin is enabled): http://127.0.0.1:15672/")
    sys.stdout.flush()
    return supervise(services, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
