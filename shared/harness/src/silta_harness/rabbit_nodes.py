"""Private RabbitMQ nodes a test starts, stops and throws away: one broker per authority,
or the members of a cluster (:mod:`silta_harness.rabbit_cluster`).

Each :class:`RabbitNode` is a broker with its own node name, AMQP and distribution ports
(free ones unless given), data, logs, crash dump and enabled-plugins file (the Shovel plugin
is on by default), under a directory of its own in the system's temporary directory. The
nodes share the machine's epmd and an Erlang cookie of their own (``HOME``), so
``rabbitmqctl -n`` reaches them and never the machine's shared broker. Node names carry the
test process's id, so two test runs on one machine never meet in epmd.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from silta_harness.ports import free_port

SBIN = Path("/usr/lib/rabbitmq/bin")
"""The server scripts themselves (Debian's wrappers in /usr/sbin switch user)."""
COOKIE = "silta-private-rabbit-nodes"
PLUGINS = ("rabbitmq_shovel",)
START_TIMEOUT_S = 120


class RabbitUnavailable(RuntimeError):
    """No RabbitMQ server scripts on this machine."""


@dataclass
class RabbitNode:
    """One private broker: :meth:`start`, :meth:`stop`, :meth:`start` again (same data),
    :meth:`destroy` at the end."""

    name: str
    """Node name, ``<name>-<pid>@localhost``."""
    port: int = field(default_factory=free_port)
    dist_port: int = field(default_factory=free_port)
    plugins: Sequence[str] = PLUGINS
    config: Sequence[str] = ()
    """More ``rabbitmq.conf`` lines."""
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="silta-rmq-")))
    running: bool = False

    @property
    def node(self) -> str:
        return f"{self.name}-{os.getpid()}@localhost"

    def amqp_url(self, user: str = "guest", password: str = "", vhost: str = "/") -> str:
        """An AMQP URL of the node (the default ``guest`` user, whose password is its name)."""
        password = password or user
        return f"amqp://{user}:{password}@127.0.0.1:{self.port}/{quote(vhost, safe='')}"

    @property
    def rabbitmqctl(self) -> list[str]:
        """``rabbitmqctl`` aimed at this node (for ``infra/`` scripts' ``--rabbitmqctl``)."""
        return [str(SBIN / "rabbitmqctl"), "-n", self.node]

    def environment(self) -> dict[str, str]:
        home = self.directory / "home"
        return {
            **os.environ,
            "HOME": str(home),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(self.directory / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.directory / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.directory / "log"),
            "RABBITMQ_PID_FILE": str(self.pid_file),
            # Erlang writes its crash dump to the working directory otherwise
            "ERL_CRASH_DUMP": str(self.directory / "erl_crash.dump"),
        }

    @property
    def pid_file(self) -> Path:
        return self.directory / "rabbit.pid"

    def _prepare(self) -> None:
        home = self.directory / "home"
        home.mkdir(parents=True, exist_ok=True)
        cookie = home / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(COOKIE)
            cookie.chmod(0o600)
        lines = [f"listeners.tcp.default = {self.port}", "loopback_users = none", *self.config]
        (self.directory / "rabbitmq.conf").write_text("\n".join(lines) + "\n")
        (self.directory / "enabled_plugins").write_text(f"[{','.join(self.plugins)}].\n")

    def ctl(self, *args: str, timeout: float = 120, check: bool = True) -> str:
        result = subprocess.run(
            [*self.rabbitmqctl, "-q", *args],
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {args[0]} on {self.node}: {result.stderr.strip()}")
        return result.stdout

    def start(self) -> None:
        """Start the node (detached) and wait until the broker runs."""
        self.launch()
        self.await_started()

    def launch(self) -> None:
        """Start the node detached, without waiting (several nodes boot side by side)."""
        if not (SBIN / "rabbitmq-server").exists():
            raise RabbitUnavailable(f"no {SBIN / 'rabbitmq-server'}")
        self._prepare()
        subprocess.run(
            [str(SBIN / "rabbitmq-server"), "-detached"],
            env=self.environment(),
            capture_output=True,
            check=True,
            timeout=60,
        )
        self.running = True

    def await_started(self) -> None:
        """Wait until the launched node's broker runs."""
        self.ctl("wait", str(self.pid_file), timeout=START_TIMEOUT_S)
        self.ctl("await_startup", timeout=START_TIMEOUT_S)

    def stop(self) -> None:
        """Stop the node (the broker and its Erlang VM); connections are refused until
        :meth:`start`."""
        self.ctl("stop", timeout=START_TIMEOUT_S)
        self.running = False

    def kill(self) -> None:
        """``kill -9`` the node's Erlang VM: a crash, nothing flushed or handed over."""
        with contextlib.suppress(OSError, ValueError):
            pid = int((self.directory / f"{self.name}.pid").read_text().strip())
            os.kill(pid, signal.SIGKILL)

    def destroy(self) -> None:
        """Stop it if running and delete its data."""
        try:
            if self.running:
                self.running = False
                try:
                    self.ctl("stop", timeout=60)
                except (RuntimeError, subprocess.TimeoutExpired):
                    self.kill()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
