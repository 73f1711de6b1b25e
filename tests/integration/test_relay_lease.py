"""The relay lease on PostgreSQL: one relay publishes at a time, another process's commit
wakes it, and a stopped or killed holder's lease is taken over within seconds."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from silta_messaging.broker import Broker
from silta_messaging.relay import OutboxRelay
from silta_messaging.tables import MessagingTables, add_messaging_tables
from silta_messaging.topology import COUNTY_EXCHANGE
from silta_platform.db import create_engine
from sqlalchemy import MetaData

from tests.integration.conftest import tap

pytestmark = [pytest.mark.postgres, pytest.mark.fault]

IDLE_POLL = 30.0
"""The relays' fallback poll: far longer than any wait below, so only a wake explains them."""
TAKEOVER_WITHIN = 3.0

metadata = MetaData()
tables: MessagingTables = add_messaging_tables(metadata)


class Replica:
    """A relay with an engine (connection pool) and broker connection of its own, as in a
    process of its own."""

    def __init__(self, url: str, amqp_url: str, name: str) -> None:
        self.engine = create_engine(url)
        self.broker = Broker(amqp_url, name=name)
        self.relay = OutboxRelay(self.engine, tables, self.broker, idle_poll_seconds=IDLE_POLL)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.broker.start()
        await self.broker.wait_connected()
        self.task = asyncio.create_task(self.relay.run())

    async def stop(self) -> None:
        """As the service stops: the relay finishes its pass and releases the lease."""
        if self.task is not None:
            self.relay.stop()
            await asyncio.wait_for(self.task, 10)
            self.task = None
        await self.broker.close()
        await self.engine.dispose()


@pytest.fixture
async def replicas(postgres_url: str, amqp_url: str) -> AsyncIterator[list[Replica]]:
    engine = create_engine(postgres_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await engine.dispose()
    made = [Replica(postgres_url, amqp_url, f"replica-{n}") for n in range(2)]
    yield made
    for replica in made:
        await replica.stop()


COMMITTER = """
import asyncio, sys
from sqlalchemy import MetaData
from silta_messaging.outbox import OutboxEntry, add_to_outbox
from silta_messaging.tables import add_messaging_tables
from silta_messaging.topology import COUNTY_EXCHANGE
from silta_platform.db import create_engine
from tests.integration.test_consumer import acknowledgement_envelope

async def main(url, key, count):
    outbox = add_messaging_tables(MetaData()).outbox
    entries = [OutboxEntry(acknowledgement_envelope(), COUNTY_EXCHANGE, key) for _ in range(count)]
    engine = create_engine(url)
    async with engine.begin() as conn:
        await add_to_outbox(conn, outbox, entries)
    await engine.dispose()
    print(" ".join(str(entry.envelope.message_id) for entry in entries))

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def commit_from_another_process(url: str, key: str, count: int) -> tuple[set[str], float]:
    """Outbox rows committed by another process (``add_to_outbox``, as a unit of work does);
    nothing calls ``wake()``. Their message ids, and when the process had ended (monotonic)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        COMMITTER,
        url,
        key,
        str(count),
        stdout=subprocess.PIPE,
        cwd=Path(__file__).parents[2],  # the repository: ``tests`` imports from there
    )
    output, _ = await process.communicate()
    assert process.returncode == 0
    return set(output.decode().split()), time.monotonic()


async def receive(
    received: asyncio.Queue[AbstractIncomingMessage], count: int, within: float
) -> set[str]:
    messages = [await asyncio.wait_for(received.get(), within) for _ in range(count)]
    return {message.message_id or "" for message in messages}


async def test_one_of_two_relays_publishes_a_notify_wakes_it_and_a_stopped_one_hands_over(
    replicas: list[Replica], postgres_url: str, bus: AbstractChannel
) -> None:
    key = f"lease.{uuid.uuid4().hex}"
    received = await tap(bus, COUNTY_EXCHANGE, key)
    for replica in replicas:
        await replica.start()
    await asyncio.sleep(0.5)  # both have made their first pass and now idle for 30 s
    assert [r.relay.publishing for r in replicas].count(True) == 1
    holder = next(r for r in replicas if r.relay.publishing)
    standby = next(r for r in replicas if not r.relay.publishing)

    sent, committed = await commit_from_another_process(postgres_url, key, 5)
    assert await receive(received, 5, within=TAKEOVER_WITHIN) == sent  # woken by NOTIFY
    assert time.monotonic() - committed < TAKEOVER_WITHIN
    assert [holder.relay.publishing, standby.relay.publishing] == [True, False]

    await holder.stop()  # at once: what it published is marked, and the lease released
    sent, committed = await commit_from_another_process(postgres_url, key, 5)
    assert await receive(received, 5, within=TAKEOVER_WITHIN) == sent
    assert time.monotonic() - committed < TAKEOVER_WITHIN
    assert standby.relay.publishing
    await asyncio.sleep(0.5)
    assert received.empty(), "a message was published twice"


HOLDER = """
import asyncio, sys
from silta_messaging.lease import AdvisoryLease
from silta_platform.db import create_engine

async def main():
    lease = AdvisoryLease(create_engine(sys.argv[1]), "outbox", lambda: None)
    assert await lease.hold()
    print("holding", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_a_killed_holders_lease_is_taken_over_within_seconds(
    replicas: list[Replica], postgres_url: str, bus: AbstractChannel
) -> None:
    key = f"lease.{uuid.uuid4().hex}"
    received = await tap(bus, COUNTY_EXCHANGE, key)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, postgres_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert await asyncio.to_thread(holder.stdout.readline) == "holding\n"
        relay = replicas[0]
        relay.relay = OutboxRelay(relay.engine, tables, relay.broker, idle_poll_seconds=0.5)
        await relay.start()
        sent, _ = await commit_from_another_process(postgres_url, key, 3)
        await asyncio.sleep(1.5)
        assert received.empty()  # the other process holds the lease: nothing published
        assert not relay.relay.publishing

        os.kill(holder.pid, signal.SIGKILL)
        killed = time.monotonic()
        assert await receive(received, 3, within=TAKEOVER_WITHIN) == sent
        assert time.monotonic() - killed < TAKEOVER_WITHIN
        assert relay.relay.publishing
    finally:
        holder.kill()
        holder.wait()
