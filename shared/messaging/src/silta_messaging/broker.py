"""The broker connection: robust, with a confirming publisher channel.

aio-pika defaults that lose messages silently are overridden here, once: messages are
persistent, the publisher channel has confirms and raises on returns (``mandatory``),
and every publish runs under a timeout so a reconnecting channel cannot hang the relay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractRobustConnection

from silta_messaging.failover import broker_urls, connect_failover
from silta_messaging.topology import declare_exchanges

log = logging.getLogger(__name__)

QUEUED_FRAMES = 4096
"""AMQP frames a connection queues for its writer before a publish or an ack waits.

aiormq queues 10 (``Connection.FRAME_BUFFER_SIZE``). A relay pass publishes up to
``RELAY_BATCH_SIZE`` (500) messages at once, so each publish past the tenth waited for the
writer to take one frame, and the writer, the publishes and the channel lock took turns
through the event loop, once per message. With room for a whole pass the writer takes the
pass in one go. Measured (README, Speed, item 22): the night's batch 743-824 -> 1,053-1,082
notices/s, the county's CPU per referral 1.3 -> 1.0-1.1 ms at full load; 128 or 256 gave
nothing, so it must hold a pass. No more is buffered than before: what the queue holds is
already in memory in the publishing tasks, and aiormq never waits for the socket to drain
(``wait=False``); the relay's passes in flight bound both.
"""
# A class attribute read when each connection is made (aio-pika makes them through
# ``aiormq.connect``, which takes no queue size).
aiormq.Connection.FRAME_BUFFER_SIZE = QUEUED_FRAMES


@dataclass(frozen=True)
class Outgoing:
    """One message to publish: where, what, and the ids the receiver deduplicates on."""

    exchange: str
    routing_key: str
    body: bytes
    message_id: str
    kind: str
    headers: Mapping[str, Any] = field(default_factory=dict)
    trace_context: str | None = None  # the outbox row's (silta_messaging.tracing)


class Broker:
    """A robust connection with one confirming publisher channel.

    ``urls``: one address, or several of one cluster (a sequence or comma-separated); a lost
    connection goes to the next that answers (:mod:`silta_messaging.failover`).
    ``start`` returns at once: the first connection is retried in the background, so a
    service starts (and takes referrals into its outbox) while the broker is down.
    """

    def __init__(
        self,
        urls: str | Sequence[str],
        *,
        name: str,
        publish_timeout: float = 10.0,
        retry_interval: float = 1.0,
        ssl_context: ssl.SSLContext | None = None,
        declare_exchanges: bool = True,
    ) -> None:
        self._urls = broker_urls(urls)
        self._ssl_context = ssl_context
        self.declares_exchanges = declare_exchanges
        """False: the exchanges are provisioned; this side only checks they exist."""
        self._name = name
        self._publish_timeout = publish_timeout
        self._retry_interval = retry_interval
        self._connection: AbstractRobustConnection | None = None
        self._publisher: AbstractChannel | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._reopening = asyncio.Lock()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._connect_until_up(), name=f"{self._name}-connect")

    async def _connect_until_up(self) -> None:
        while True:
            try:
                connection = await connect_failover(
                    self._urls,
                    client_properties={"connection_name": self._name},
                    ssl_context=self._ssl_context,
                    reconnect_interval=self._retry_interval,
                )
                break
            except (TimeoutError, OSError, aio_pika.exceptions.AMQPError) as error:
                log.warning("broker not reachable (%s); retrying", type(error).__name__)
                await asyncio.sleep(self._retry_interval)
        self._connection = connection
        self._publisher = await connection.channel(publisher_confirms=True, on_return_raises=True)
        await declare_exchanges(self._publisher, passive=not self.declares_exchanges)
        self._connected.set()
        log.info("connected to the broker")

    async def wait_connected(self) -> AbstractRobustConnection:
        await self._connected.wait()
        assert self._connection is not None
        return self._connection

    @property
    def ready(self) -> bool:
        """True while the connection is up (a robust connection may be reconnecting)."""
        connection = self._connection
        return connection is not None and not connection.is_closed and connection.connected.is_set()

    async def channel(self, *, prefetch: int) -> AbstractChannel:
        """A new channel for consuming, with ``prefetch`` unacknowledged deliveries at most."""
        connection = await self.wait_connected()
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        return channel

    async def publish(self, message: Outgoing) -> None:
        """Publish one message and wait for its confirm; raise if it is not confirmed.

        Published through aiormq with ``wait=False``: the channel lock is released as soon
        as the frames are queued for the writer, not after they were written and drained,
        so concurrent publishes (``publish_many``) pipeline instead of taking turns. The
        confirm is awaited all the same: a return (``mandatory``) or a nack raises.
        """
        if not self._connected.is_set() or self._publisher is None:
            raise ConnectionError("not connected to the broker")
        publisher = self._publisher
        properties = aiormq.spec.Basic.Properties(  # what aio_pika.Message would build
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            headers=dict(message.headers),
            message_id=message.message_id,
            message_type=message.kind,
            priority=0,
        )
        async with asyncio.timeout(self._publish_timeout):
            if publisher.is_closed:
                raise aiormq.exceptions.ChannelInvalidStateError("the publisher channel is closed")
            channel = await publisher.get_underlay_channel()
            assert isinstance(channel, aiormq.Channel)  # the abstract one has no ``wait``
            await channel.basic_publish(
                message.body,
                exchange=message.exchange,
                routing_key=message.routing_key,
                properties=properties,
                mandatory=True,
                wait=False,
            )

    async def publish_many(self, messages: Sequence[Outgoing]) -> list[BaseException | None]:
        """Publish in order with every confirm in flight at once; one result per message.

        Tasks are created in order and aiormq serialises frames on a FIFO lock, so the
        broker receives them in this order; confirms may come back in any order.
        """
        return await self.start_publishing(messages)

    def start_publishing(
        self, messages: Sequence[Outgoing]
    ) -> Awaitable[list[BaseException | None]]:
        """``publish_many`` whose publishes are queued NOW, before this returns: what is
        started later goes to the broker after them (the relay pipelines its passes)."""
        gathered = asyncio.gather(
            *(self.publish(message) for message in messages), return_exceptions=True
        )
        return self._confirmed(gathered)

    async def _confirmed(
        self, gathered: Awaitable[list[BaseException | None]]
    ) -> list[BaseException | None]:
        results = await gathered
        if any(_nacked(result) for result in results):
            await self._fresh_publisher()
        return [result if isinstance(result, BaseException) else None for result in results]

    async def _fresh_publisher(self) -> None:
        """Replace the publisher channel after a nack (the relay publishes the rows again).

        On RabbitMQ 3.10 a channel that first publishes to a quorum queue after one of the
        queue's nodes died can be nacked on every publish for ever (its enqueuer state is
        stuck); a new channel is accepted at once. Measured with a killed cluster node.
        """
        async with self._reopening:
            old, connection = self._publisher, self._connection
            if old is None or connection is None or connection.is_closed:
                return
            log.warning("the broker nacked a publish; opening a new publisher channel")
            self._publisher = await connection.channel(
                publisher_confirms=True, on_return_raises=True
            )
            with contextlib.suppress(Exception):  # a channel already broken is let go
                await old.close()

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._connection is not None:
            await self._connection.close()
        self._connected.clear()


def _nacked(result: object) -> bool:
    """``result`` is the broker refusing responsibility (a nack, not an unroutable return)."""
    return isinstance(result, aio_pika.exceptions.DeliveryError) and isinstance(
        result.frame, aiormq.spec.Basic.Nack
    )


def tls_context(
    url: str | Sequence[str],
    *,
    ca_file: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
) -> ssl.SSLContext | None:
    """The TLS context for ``amqps://`` URLs (one or several, all of one scheme): the server
    verified against ``ca_file`` (the system's CAs without one), host name checked, TLS 1.2
    at least, and a client certificate (``cert_file`` + ``key_file``) where the broker asks
    for one. None for ``amqp://`` without
    TLS files; TLS files with a plain ``amqp://`` URL are a configuration error.
    """
    tls = broker_urls(url)[0].lower().startswith("amqps://")
    if not tls:
        if ca_file or cert_file or key_file:
            raise ValueError("TLS files are configured but the AMQP URL is not amqps://")
        return None
    if bool(cert_file) != bool(key_file):
        raise ValueError("a client certificate needs both its certificate and its key file")
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert_file and key_file:
        context.load_cert_chain(cert_file, key_file)
    return context
