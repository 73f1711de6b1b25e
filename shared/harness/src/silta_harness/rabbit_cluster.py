"""A private three-node RabbitMQ cluster on this machine, for failover tests.

Each node runs ``/usr/lib/rabbitmq/bin/rabbitmq-server`` (Debian's wrapper in ``/usr/sbin``
switches user) with a node name, AMQP and distribution ports, data directory and log of its
own and one shared Erlang cookie; nodes 2.. join node 1. Everything lives under one
temporary directory, deleted by :meth:`RabbitCluster.destroy`. The machine's shared broker
(and its epmd, which the nodes share) is never touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from silta_harness.rabbit_nodes import RabbitUnavailable

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
START_TIMEOUT_S = 90.0


@dataclass
class RabbitNode:
    """One node: ``rmqc<i>@localhost`` on AMQP ``amqp_port``."""

    index: int
    amqp_port: int
    dist_port: int
    base: Path
    prefix: str

    @property
    def name(self) -> str:
        return f"{self.prefix}{self.index}@localhost"

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    @property
    def directory(self) -> Path:
        return self.base / f"node{self.index}"

    @property
    def pid_file(self) -> Path:
        return self.directory / "rabbit.pid"

    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None


@dataclass
class RabbitCluster:
    """:meth:`start` the nodes and cluster them; :meth:`kill` or :meth:`stop_node` one;
    :meth:`destroy` at the end (stops every node and deletes their data)."""

    amqp_ports: tuple[int, ...] = (5691, 5692, 5693)
    dist_ports: tuple[int, ...] = (25691, 25692, 25693)
    prefix: str = "rmqc"
    base: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="silta-rabbit-")))
    nodes: list[RabbitNode] = field(init=False)

    def __post_init__(self) -> None:
        if not (RABBITMQ_BIN / "rabbitmq-server").exists():
            raise RabbitUnavailable(f"no {RABBITMQ_BIN / 'rabbitmq-server'}")
        self.nodes = [
            RabbitNode(index, amqp, dist, self.base, self.prefix)
            for index, (amqp, dist) in enumerate(
                zip(self.amqp_ports, self.dist_ports, strict=True), 1
            )
        ]
        cookie = self.base / ".erlang.cookie"
        cookie.write_text(f"silta-private-cluster-{os.getpid()}")
        cookie.chmod(0o600)
        (self.base / "enabled_plugins").write_text("[].\n")

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def _env(self, node: RabbitNode) -> dict[str, str]:
        return {
            **os.environ,
            "HOME": str(self.base),  # holds the shared .erlang.cookie
            "RABBITMQ_NODENAME": node.name,
            "RABBITMQ_NODE_PORT": str(node.amqp_port),
            "RABBITMQ_DIST_PORT": str(node.dist_port),
            "RABBITMQ_CONFIG_FILE": str(node.directory / "rabbitmq"),  # .conf appended
            "RABBITMQ_MNESIA_BASE": str(node.directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(node.directory / "log"),
            "RABBITMQ_PID_FILE": str(node.pid_file),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
        }

    def ctl(self, node: RabbitNode, *args: str, timeout: float = 60) -> str:
        """``rabbitmqctl -n <node> args`` (raises on failure); its output."""
        done = subprocess.run(
            [str(RABBITMQ_BIN / "rabbitmqctl"), "-q", "-n", node.name, *args],
            env=self._env(node),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} on {node.name}: {done.stderr}")
        return done.stdout

    def start_node(self, node: RabbitNode) -> None:
        """Start ``node`` (detached; wait with :meth:`await_node`)."""
        node.directory.mkdir(parents=True, exist_ok=True)
        (node.directory / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = {node.amqp_port}\n"
            "loopback_users = none\n"
            "cluster_partition_handling = pause_minority\n"
        )
        subprocess.run(
            [str(RABBITMQ_BIN / "rabbitmq-server"), "-detached"],
            env=self._env(node),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def await_node(self, node: RabbitNode) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                self.ctl(node, "await_startup", timeout=START_TIMEOUT_S)
                return
            except (RuntimeError, subprocess.TimeoutExpired):
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def start(self) -> None:
        """Start every node and join nodes 2.. to node 1."""
        for node in self.nodes:
            self.start_node(node)
        for node in self.nodes:
            self.await_node(node)
        first = self.nodes[0]
        for node in self.nodes[1:]:
            self.ctl(node, "stop_app")
            self.ctl(node, "reset")
            self.ctl(node, "join_cluster", first.name)
            self.ctl(node, "start_app")
            self.ctl(node, "await_startup")

    def kill(self, node: RabbitNode) -> None:
        """``kill -9`` the node's Erlang VM: a crash, nothing flushed or handed over."""
        pid = node.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop_node(self, node: RabbitNode) -> None:
        try:
            self.ctl(node, "stop", timeout=60)
        except (RuntimeError, subprocess.TimeoutExpired):
            self.kill(node)

    def destroy(self) -> None:
        """Stop every node and delete all their data."""
        for node in self.nodes:
            if node.pid() is not None:
                self.stop_node(node)
        shutil.rmtree(self.base, ignore_errors=True)
