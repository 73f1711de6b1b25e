"""Both Silta services as real processes, on free ports, with their output in files."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO

import httpx
from silta_messaging.signing import dev_key_settings, ensure_dev_keys
from silta_platform.auth import KELA_AUDIENCE
from silta_platform.dev_tokens import DevIssuer
from silta_schemas.routing import COUNTY_CODES

STOP_TIMEOUT_S = 15.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@functools.cache
def dev_issuer() -> DevIssuer:
    """The development issuer under ``var/`` (as ``make run``'s), created if absent."""
    return DevIssuer.ensure(Path(__file__).resolve().parent.parent / "var")


def officer_token() -> str:
    """A Kela benefit officer's token: the load posts referrals."""
    return dev_issuer().mint(
        roles=["kela_benefit_officer"],
        org="kela",
        audience=KELA_AUDIENCE,
        subject="bench",
        lifetime=timedelta(hours=6),
    )


@dataclass
class ServiceProcess:
    """``python -m <module>`` configured through ``<PREFIX>_*`` environment variables."""

    name: str
    module: str
    env_prefix: str
    database_url: str
    amqp_url: str
    log_path: Path
    port: int = field(default_factory=free_port)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    what_if: str = ""
    """Comma-separated patches from :mod:`bench.whatif` (experiments only)."""
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def environment(self) -> dict[str, str]:
        prefix = self.env_prefix
        return {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            f"{prefix}DATABASE_URL": self.database_url,
            f"{prefix}AMQP_URL": self.amqp_url,
            f"{prefix}PORT": str(self.port),
            f"{prefix}QUEUE_NAME": f"silta.{self.name}.inbox",
            f"{prefix}ACCESS_LOG": "false",
            f"{prefix}LOG_LEVEL": "WARNING",
            f"{prefix}AUTH_JWKS": str(dev_issuer().jwks_path),
            **self.signing_environment(),
            **self.extra_env,
        }

    def signing_environment(self) -> dict[str, str]:
        """The development signing keys (``var/dev-keys``, created once), as ``make run``."""
        keys = ensure_dev_keys(
            Path(__file__).resolve().parent.parent / "var" / "dev-keys",
            (f"county-{code}" for code in COUNTY_CODES),
        )
        side = "kela" if self.env_prefix == "KELA_SIDE_" else "municipality"
        return {self.env_prefix + k: v for k, v in dev_key_settings(keys, side).items()}

    def start(self) -> None:
        self._log = self.log_path.open("wb")
        command = [sys.executable, "-m", self.module]
        env = self.environment()
        if self.what_if:
            command = [sys.executable, "-m", "bench.whatif", self.module, self.what_if]
            root = str(Path(__file__).resolve().parent.parent)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C reaches the bench only; it stops them
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def wait_ready(self, client: httpx.AsyncClient, within: float = 90.0) -> float:
        """Poll ``/readyz`` until 200; return how long it took. Raises if it dies or times out."""
        started = time.perf_counter()
        deadline = started + within
        while time.perf_counter() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited during start-up\n{self.log_tail()}")
            try:
                response = await client.get(f"{self.base_url}/readyz", timeout=5)
                if response.status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {within:g} s\n{self.log_tail()}")

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int | None:
        """SIGTERM, wait up to ``timeout`` s, then SIGKILL; return the exit code."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        return process.returncode

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 30) -> str:
        tail = self.log_text().splitlines()[-lines:]
        return "\n".join(f"  [{self.name}] {line}" for line in tail)

    def problems(self) -> list[str]:
        """Log lines at WARNING or above (the services run at WARNING: any line is one)."""
        return [
            line
            for line in self.log_text().splitlines()
            if any(level in line for level in (" WARNING ", " ERROR ", " CRITICAL "))
        ]
