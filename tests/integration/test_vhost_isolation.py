"""Two test runs (or benchmark runs) on one machine's broker never share a virtual host, and
nothing a crashed run left behind reaches the next one (issue 11, item 8)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

import aio_pika
import pytest
from silta_harness import NoFreeVirtualHost, leased_vhost

from tests.conftest import AMQP_HOST

PREFIX = "silta-isolation-check"
"""A pool of its own (two virtual hosts, kept), apart from the test run's."""


def _other_run(script: str) -> subprocess.Popen[str]:
    """Another run: a process that leases from the same pool, says which it got, then runs
    ``script`` while it holds the lease (``vhost`` names it)."""
    body = textwrap.indent(textwrap.dedent(script).strip(), "    ")
    code = (
        "import asyncio, os, sys\n"
        "import aio_pika\n"
        "from silta_harness import leased_vhost\n"
        f"with leased_vhost({PREFIX!r}, host={AMQP_HOST!r}, pool=2) as vhost:\n"
        "    print(vhost.name, flush=True)\n"
        f"{body}\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True
    )


def test_a_second_run_gets_another_virtual_host_and_a_third_waits_for_none() -> None:
    with leased_vhost(PREFIX, host=AMQP_HOST, pool=2) as ours:
        other = _other_run("sys.stdin.readline()")  # holds its lease until told to end
        try:
            assert other.stdout is not None
            theirs = other.stdout.readline().strip()
            assert theirs.startswith(PREFIX)
            assert theirs != ours.name
            with pytest.raises(NoFreeVirtualHost), leased_vhost(PREFIX, host=AMQP_HOST, pool=2):
                pass
            with pytest.raises(NoFreeVirtualHost), leased_vhost(PREFIX, name=ours.name):
                pass
        finally:
            other.communicate("end\n", timeout=120)
    # both leases ended with their processes: the pool is free again
    with leased_vhost(PREFIX, host=AMQP_HOST, pool=2) as again:
        assert again.name.startswith(PREFIX)


def test_queues_a_crashed_run_left_behind_are_gone_for_the_next_run() -> None:
    # a run that declares a bound queue and dies inside its lease, cleaning nothing up
    crashed = _other_run(
        """
        async def leave_a_queue():
            connection = await aio_pika.connect(vhost.amqp_url)
            channel = await connection.channel()
            await channel.declare_queue("left.behind", durable=True)
            await connection.close()
        asyncio.run(leave_a_queue())
        os._exit(1)
        """
    )
    assert crashed.stdout is not None
    name = crashed.stdout.readline().strip()
    assert crashed.wait(120) == 1

    with leased_vhost(PREFIX, name=name, host=AMQP_HOST) as vhost:
        assert not asyncio.run(_queue_exists(vhost.amqp_url, "left.behind"))


async def _queue_exists(amqp_url: str, name: str) -> bool:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        try:
            await channel.declare_queue(name, passive=True)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            return False
        return True
    finally:
        await connection.close()
