"""Several broker addresses: a service whose node goes away goes on at the next address.

The first address is a TCP relay to the real broker that the test cuts (as a node that
dies); the second is the broker itself. The consumer declared before the cut consumes
after it, and publishing works, without the service doing anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest
from silta_messaging.broker import Broker, Outgoing
from silta_messaging.failover import FailoverConnection, broker_urls
from yarl import URL


class Cuttable:
    """A TCP relay to ``target`` on a port of its own, cut by :meth:`cut`."""

    def __init__(self, target: URL) -> None:
        self.target = target
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self.target.host, self.target.port)
        self.writers += [writer, up_writer]

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.transport.abort()


def test_addresses_are_read_from_one_comma_separated_setting():
    assert broker_urls(" amqp://a:5672/v , amqp://b:5672/v,") == [
        "amqp://a:5672/v",
        "amqp://b:5672/v",
    ]
    with pytest.raises(ValueError, match="mix"):
        broker_urls("amqp://a/,amqps://b/")
    with pytest.raises(ValueError, match="no broker"):
        broker_urls(" , ")


async def test_an_address_that_does_not_answer_is_skipped(amqp_url):
    dead = str(URL(amqp_url).with_port(1))
    broker = Broker(f"{dead},{amqp_url}", name="test-failover-skip", retry_interval=0.1)
    await broker.start()
    try:
        connection = await asyncio.wait_for(broker.wait_connected(), 20)
        assert isinstance(connection, FailoverConnection)
        assert connection.address == f"{URL(amqp_url).host}:{URL(amqp_url).port}"
        assert broker.ready
    finally:
        await broker.close()


async def test_a_lost_connection_goes_on_at_the_next_address_and_keeps_consuming(amqp_url):
    relay = Cuttable(URL(amqp_url))
    first = str(URL(amqp_url).with_port(await relay.start()))
    broker = Broker([first, amqp_url], name="test-failover", retry_interval=0.2)
    await broker.start()
    queue_name = f"test-failover-{uuid.uuid4().hex[:8]}"
    try:
        connection = await asyncio.wait_for(broker.wait_connected(), 20)
        assert isinstance(connection, FailoverConnection)
        assert connection.address == f"127.0.0.1:{URL(first).port}"
        channel = await broker.channel(prefetch=10)
        queue = await channel.declare_queue(
            queue_name, durable=True, arguments={"x-queue-type": "quorum"}
        )
        received: asyncio.Queue[bytes] = asyncio.Queue()

        async def on_message(message):  # type: ignore[no-untyped-def]
            await message.ack()
            received.put_nowait(message.body)

        await queue.consume(on_message)

        await relay.cut()  # the node this service talked to is gone

        async def published(body: bytes) -> None:
            while True:
                try:
                    await broker.publish(Outgoing("", queue_name, body, uuid.uuid4().hex, "t"))
                    return
                except Exception:  # reconnecting: try again, as the relay does
                    await asyncio.sleep(0.2)

        await asyncio.wait_for(published(b"after the cut"), 20)
        assert await asyncio.wait_for(received.get(), 20) == b"after the cut"
        assert connection.address == f"{URL(amqp_url).host}:{URL(amqp_url).port}"
    finally:
        with contextlib.suppress(Exception):
            admin = await broker.channel(prefetch=1)
            await admin.queue_delete(queue_name)
        await broker.close()


async def test_closing_while_the_broker_does_not_answer_ends_every_retry():
    """A service stopped while its first connection attempt is under way stops trying: no
    connection attempt reaches the address afterwards (aio-pika's reconnect task used to
    outlive the cancelled attempt and retry for ever)."""
    attempts: list[asyncio.StreamWriter] = []
    arrived = asyncio.Event()

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        attempts.append(writer)  # accepted, never answered: the attempt is under way
        arrived.set()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    broker = Broker(f"amqp://guest:guest@127.0.0.1:{port}/", name="stopped", retry_interval=0.1)
    try:
        await broker.start()
        await asyncio.wait_for(arrived.wait(), 10)
        await broker.close()
        for writer in attempts:  # the attempt under way now fails at once
            writer.transport.abort()
        seen = len(attempts)
        await asyncio.sleep(1.0)  # ten retry intervals
        assert len(attempts) == seen
    finally:
        server.close()
        await broker.close()


async def test_a_burst_of_publishes_leaves_in_a_few_socket_writes_and_arrives_in_order(
    amqp_url, monkeypatch
):
    """A relay pass's publishes go to the socket together (one system call per loop
    iteration, not one per message: ``silta_messaging.coalescing``), and the broker gets
    every one of them, in order."""
    broker = Broker(amqp_url, name="test-coalesced-writes")
    await broker.start()
    queue_name = f"test-coalesced-{uuid.uuid4().hex[:8]}"
    try:
        await asyncio.wait_for(broker.wait_connected(), 20)
        channel = await broker.channel(prefetch=500)
        queue = await channel.declare_queue(
            queue_name, durable=True, arguments={"x-queue-type": "quorum"}
        )
        bodies = [f"message {number}".encode() for number in range(200)]
        writes = 0
        real_write = asyncio.StreamWriter.write

        def counted(self: asyncio.StreamWriter, data: bytes) -> None:
            nonlocal writes
            writes += 1
            real_write(self, data)

        monkeypatch.setattr(asyncio.StreamWriter, "write", counted)
        results = await broker.publish_many(
            [Outgoing("", queue_name, body, uuid.uuid4().hex, "t") for body in bodies]
        )
        monkeypatch.undo()
        assert results == [None] * len(bodies)  # every one confirmed
        assert writes <= 10, f"{writes} socket writes for {len(bodies)} publishes"

        received: list[bytes] = []
        async with queue.iterator() as messages:
            async for message in messages:
                await message.ack()
                received.append(message.body)
                if len(received) == len(bodies):
                    break
        assert received == bodies
    finally:
        with contextlib.suppress(Exception):
            admin = await broker.channel(prefetch=1)
            await admin.queue_delete(queue_name)
        await broker.close()
