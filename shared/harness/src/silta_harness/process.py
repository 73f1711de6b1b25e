"""One side of Silta as a real process: start, wait until ready, stop, read its output."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aio_pika
import httpx

from silta_harness.ports import free_port
from silta_harness.sides import Side

STOP_TIMEOUT_S = 10.0
"""SIGTERM, then this long before SIGKILL."""
READY_POLL_S = 0.2


class ServiceNotReady(RuntimeError):
    """A service exited during start-up or did not become ready in time."""


async def consumer_count(connection: aio_pika.abc.AbstractConnection, queue: str) -> int:
    """Consumers on ``queue``; 0 also while it does not exist yet."""
    try:
        async with connection.channel() as channel:
            declared = await channel.declare_queue(queue, passive=True)
            return int(declared.declaration_result.consumer_count or 0)
    except aio_pika.exceptions.ChannelClosed:  # NOT_FOUND closes the channel
        return 0


@dataclass
class ServiceProcess:
    """``python -m <module>`` of one side on a port of its own, configured through its
    prefixed environment variables, with stdout and stderr in ``log_path``."""

    side: Side
    settings: dict[str, str]
    """The side's settings, without the prefix (``DATABASE_URL``, ``AMQP_URL``, ...)."""
    log_path: Path
    port: int = field(default_factory=free_port)
    inherited: Mapping[str, str] | None = None
    """The environment beneath the settings; this process's own when None."""
    command: Sequence[str] = ()
    """What to run instead of ``python -m <module>`` (the benchmark's experiments)."""
    stop_timeout: float = STOP_TIMEOUT_S
    process: subprocess.Popen[bytes] | None = None
    exit_code: int | None = None
    killed: bool = False
    """The last stop needed SIGKILL."""
    starts: int = 0

    @property
    def name(self) -> str:
        return self.side.name

    @property
    def base_url(self) -> str:
        scheme = "https" if self.settings.get("TLS_CERT_FILE") else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def queue_name(self) -> str:
        return self.settings["QUEUE_NAME"]

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} is not running"
        return self.process.pid

    def environment(self) -> dict[str, str]:
        inherited = os.environ if self.inherited is None else self.inherited
        return {
            **inherited,
            "PYTHONUNBUFFERED": "1",
            **self.side.prefixed({"PORT": str(self.port), **self.settings}),
        }

    def start(self) -> None:
        """Start it (again: same port, database and queue; the log is appended to)."""
        command = list(self.command) or [sys.executable, "-m", self.side.module]
        with self.log_path.open("ab" if self.starts else "wb") as log:
            self.process = subprocess.Popen(
                command,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # A Ctrl-C in the terminal reaches only the harness, which stops it in order.
                start_new_session=True,
            )
        self.starts += 1
        self.exit_code = None
        self.killed = False

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def wait_ready(
        self,
        client: httpx.AsyncClient,
        *,
        within: float,
        consuming: aio_pika.abc.AbstractConnection | None = None,
    ) -> None:
        """Poll ``/readyz`` until it answers 200 and, given a broker ``consuming``
        connection, until the side consumes its queue (a message sent then finds it bound).

        Raises :class:`ServiceNotReady` with the end of its log when it exits or
        ``within`` seconds pass."""
        deadline = time.monotonic() + within
        while True:
            if not self.running():
                code = self.process and self.process.returncode
                raise ServiceNotReady(
                    f"{self.name} exited with {code} during start-up\n{self.log_tail()}"
                )
            why = await self._not_ready(client, consuming)
            if why is None:
                return
            if time.monotonic() >= deadline:
                raise ServiceNotReady(
                    f"{self.name} not ready after {within:g} s ({why})\n{self.log_tail()}"
                )
            await asyncio.sleep(READY_POLL_S)

    async def _not_ready(
        self, client: httpx.AsyncClient, consuming: aio_pika.abc.AbstractConnection | None
    ) -> str | None:
        try:
            response = await client.get(f"{self.base_url}/readyz", timeout=5)
        except httpx.HTTPError as error:
            return f"not answering: {error!r}"
        if response.status_code != 200:
            return f"/readyz {response.status_code}: {response.text[:200]}"
        if consuming is not None and await consumer_count(consuming, self.queue_name) < 1:
            return "not consuming yet"
        return None

    async def stop(self) -> int | None:
        """SIGTERM, as an orchestrator stops it; SIGKILL after ``stop_timeout`` s.
        Returns the exit code (the last one when it was not running)."""
        process = self.process
        if process is None:
            return self.exit_code
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(process.wait, self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.killed = True
                process.kill()
                await asyncio.to_thread(process.wait)
        self.exit_code = process.returncode
        self.process = None
        return self.exit_code

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        tail = self.log_text().splitlines()[-lines:] or ["(no output)"]
        return "\n".join(f"  [{self.name}] {line}" for line in tail)
