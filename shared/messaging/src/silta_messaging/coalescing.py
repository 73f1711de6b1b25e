"""One socket write per loop iteration for a broker connection's AMQP frames.

aiormq's writer task hands each publish (method, header and body frames) and each
``basic.ack`` to ``StreamWriter.write`` as it takes it from its queue, and the event loop's
transport sends every call at once: one ``send`` system call per message. On loopback a
``send`` also does the receiving side's TCP work, and at full load it was 7 % of the county's
CPU (README, *Speed*, item 30). :class:`CoalescingWriter` gathers what is written during one
iteration of the loop and sends it as one buffer at the start of the next: a relay pass's
publishes, or a consumer batch's ack with the acknowledgements the county publishes, go out
in one call. Nothing waits for more: the buffer is sent in the very next iteration (the loop
polls without a timeout while callbacks are ready), so at a low load a frame leaves as
soon as before.

The frames keep their order (one buffer, one writer), and ``drain``, ``write_eof`` and
``close`` send what is gathered first, so a connection's ``Connection.Close`` still follows
everything written before it. It plugs in through aiormq's own extension point, a
``TransportFactory`` (``silta_messaging.failover`` gives it to every connection).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

from aiormq.connection import TCPTransportFactory, TLSTransportFactory, TransportFactory
from yarl import URL

log = logging.getLogger(__name__)


class CoalescingWriter:
    """The parts of ``asyncio.StreamWriter`` aiormq uses, over a real one, with the writes of
    one loop iteration sent together."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._gathered: list[bytes] = []
        self._loop = asyncio.get_running_loop()

    @property
    def transport(self) -> asyncio.BaseTransport:
        return self._writer.transport

    def write(self, data: bytes) -> None:
        if not self._gathered:
            self._loop.call_soon(self.flush)
        self._gathered.append(data)

    def flush(self) -> None:
        """Send what was gathered, in one write (a no-op if nothing was)."""
        if not self._gathered:
            return
        data = self._gathered[0] if len(self._gathered) == 1 else b"".join(self._gathered)
        self._gathered.clear()
        if self._writer.is_closing():
            return  # the connection is lost: aiormq's reader reports it, and nothing is acked
        try:
            self._writer.write(data)
        except Exception as error:
            # Outside aiormq's writer task, so it cannot see the failure: closing the
            # transport makes its reader end the connection, and aio-pika reconnects.
            log.warning("broker connection write failed: %s", type(error).__name__)
            self._writer.transport.abort()

    async def drain(self) -> None:
        self.flush()
        await self._writer.drain()

    def can_write_eof(self) -> bool:
        return self._writer.can_write_eof()

    def write_eof(self) -> None:
        self.flush()
        self._writer.write_eof()

    def is_closing(self) -> bool:
        return self._writer.is_closing()

    def close(self) -> None:
        self.flush()
        self._writer.close()

    async def wait_closed(self) -> None:
        await self._writer.wait_closed()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._writer.get_extra_info(name, default)


class CoalescingTransportFactory(TransportFactory):
    """aiormq's TCP or TLS connection (by the URL's scheme), its writes coalesced."""

    async def create(
        self, url: URL, **kwargs: Any
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        plain = TLSTransportFactory() if url.scheme == "amqps" else TCPTransportFactory()
        reader, writer = await plain.create(url, **kwargs)
        # aiormq names the type it expects, but uses only what CoalescingWriter has.
        return reader, cast(asyncio.StreamWriter, CoalescingWriter(writer))
