"""A broker connection's writes gathered per loop iteration, over real loopback sockets."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiormq.abc import SSLCerts
from aiormq.connection import SSLContextProvider
from silta_messaging.coalescing import CoalescingTransportFactory, CoalescingWriter
from yarl import URL

from tests.pki import Authority


@dataclass
class Peer:
    """The other end of the socket: everything it read, and whether it saw the end."""

    received: bytearray = field(default_factory=bytearray)
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            self.received += data
        self.ended.set()
        writer.close()


@dataclass
class Connected:
    peer: Peer
    writer: CoalescingWriter
    socket_writes: list[int]  # the size of each write handed to the real StreamWriter


@pytest.fixture
async def connected() -> AsyncIterator[Connected]:
    peer = Peer()
    server = await asyncio.start_server(peer.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    socket_writes: list[int] = []
    real_write = writer.write

    def counted(data: bytes) -> None:  # a spy on the real writer: what reaches the socket
        socket_writes.append(len(data))
        real_write(data)

    writer.write = counted  # type: ignore[method-assign]
    try:
        yield Connected(peer, CoalescingWriter(writer), socket_writes)
    finally:
        writer.close()
        server.close()


def frames(count: int) -> list[bytes]:
    return [f"frame {number:04d};".encode() for number in range(count)]


async def next_iterations(count: int = 2) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


async def test_frames_written_in_one_iteration_reach_the_socket_in_one_write_in_order(
    connected: Connected,
) -> None:
    burst = frames(100)
    for frame in burst:
        connected.writer.write(frame)
    assert connected.socket_writes == []  # nothing yet: the iteration is not over
    await next_iterations()
    assert connected.socket_writes == [sum(map(len, burst))]

    connected.writer.write(b"later;")  # a later iteration: a write of its own
    await next_iterations()
    assert len(connected.socket_writes) == 2

    connected.writer.close()
    await asyncio.wait_for(connected.peer.ended.wait(), 5)
    assert bytes(connected.peer.received) == b"".join(burst) + b"later;"


async def test_drain_and_close_send_what_was_gathered_first(connected: Connected) -> None:
    connected.writer.write(b"before the drain;")
    await connected.writer.drain()  # no iteration in between: drain sends it itself
    assert connected.socket_writes == [len(b"before the drain;")]

    connected.writer.write(b"the last frame")
    connected.writer.close()  # as aiormq closes: Connection.Close written, then close
    await asyncio.wait_for(connected.peer.ended.wait(), 5)
    assert bytes(connected.peer.received) == b"before the drain;the last frame"


async def test_frames_gathered_when_the_connection_is_lost_are_dropped_quietly(
    connected: Connected,
) -> None:
    connected.writer.write(b"never sent")
    connected.writer.transport.abort()  # type: ignore[attr-defined]
    await next_iterations()  # the flush finds the transport closing: no error, no write
    assert connected.socket_writes == []
    assert connected.writer.is_closing()


async def test_an_amqps_connection_is_tls_with_its_writes_coalesced_the_same(
    tmp_path: Path,
) -> None:
    authority = Authority(tmp_path, "broker-ca")
    broker = authority.issue("broker", server=True)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(broker.certificate, broker.key)
    peer = Peer()
    server = await asyncio.start_server(peer.serve, "127.0.0.1", 0, ssl=server_context)
    port = server.sockets[0].getsockname()[1]
    client_context = ssl.create_default_context(cafile=str(authority.file))
    provider = SSLContextProvider(
        ssl_context=client_context,
        ssl_certs=SSLCerts(None, None, None, None, None, True),
        loop=asyncio.get_running_loop(),
    )
    try:
        _, writer = await CoalescingTransportFactory().create(
            URL(f"amqps://127.0.0.1:{port}/"), ssl_context_provider=provider
        )
        assert isinstance(writer, CoalescingWriter)
        assert writer.get_extra_info("peercert") is not None  # TLS, the broker verified
        burst = frames(50)
        for frame in burst:
            writer.write(frame)
        await writer.drain()
        writer.close()
        await asyncio.wait_for(peer.ended.wait(), 5)
        assert bytes(peer.received) == b"".join(burst)
    finally:
        server.close()
