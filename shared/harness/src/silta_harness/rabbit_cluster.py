"""A private three-node RabbitMQ cluster on this machine, for failover tests.

Three private nodes (:class:`silta_harness.rabbit_nodes.RabbitNode`, free ports, one Erlang
cookie) boot side by side; nodes 2.. join node 1. Everything lives under one temporary
directory, deleted by :meth:`RabbitCluster.destroy`. The machine's shared broker (and its
epmd, which the nodes share) is never touched.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from silta_harness.rabbit_nodes import RabbitNode

# Quorum queues keep a majority; a node cut off from it pauses instead of diverging.
CLUSTER_CONFIG = ("cluster_partition_handling = pause_minority",)


@dataclass
class RabbitCluster:
    """:meth:`start` the nodes and cluster them; :meth:`kill` one; :meth:`destroy` at the
    end (stops every node and deletes their data)."""

    size: int = 3
    prefix: str = "rmqc"
    base: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="silta-rabbit-")))
    nodes: list[RabbitNode] = field(init=False)

    def __post_init__(self) -> None:
        self.nodes = [
            RabbitNode(
                f"{self.prefix}{index}",
                plugins=(),
                config=CLUSTER_CONFIG,
                directory=self.base / f"node{index}",
            )
            for index in range(1, self.size + 1)
        ]

    @property
    def urls(self) -> list[str]:
        return [node.amqp_url() for node in self.nodes]

    def start(self) -> None:
        """Start every node and join nodes 2.. to node 1 (raises `RabbitUnavailable` when
        this machine has no RabbitMQ server scripts)."""
        for node in self.nodes:
            node.launch()
        for node in self.nodes:
            node.await_started()
        first = self.nodes[0]
        for node in self.nodes[1:]:
            node.ctl("stop_app")
            node.ctl("reset")
            node.ctl("join_cluster", first.node)
            node.ctl("start_app")
            node.ctl("await_startup")

    def kill(self, node: RabbitNode) -> None:
        """``kill -9`` the node's Erlang VM: a crash, nothing flushed or handed over."""
        node.kill()

    def destroy(self) -> None:
        """Stop every node and delete all their data."""
        try:
            for node in self.nodes:
                node.destroy()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
