"""The test's own connection to the session's vhost: publish like a sender, read queues."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable

import aio_pika
from silta_harness import consumer_count

from tests import signing
from tests.e2e.polling import DEADLINE, eventually

KELA_EXCHANGE = "silta.kela"


class Bus:
    """The test's own connection to the session vhost: publish like a sender, read queues."""

    def __init__(self, connection: aio_pika.abc.AbstractConnection) -> None:
        self.connection = connection

    async def publish(
        self,
        body: bytes,
        *,
        routing_key: str,
        message_id: str | None = None,
        exchange: str = KELA_EXCHANGE,
        kind: str | None = None,
        signed: bool = True,
        encrypt_to: str | None = None,
    ) -> None:
        """Publish persistently with publisher confirms; ``mandatory`` so an unroutable
        message fails the test instead of vanishing. Encrypted as a peer does, to the
        envelope's recipient or to the organisation ``encrypt_to`` (bytes already encrypted
        are sent as they are), and signed as the envelope's sender (a peer holding that
        organisation's test key) unless ``signed`` is false."""
        body = signing.seal(body, encrypt_to=encrypt_to)
        async with self.connection.channel(publisher_confirms=True) as channel:
            target = await channel.get_exchange(exchange, ensure=True)
            await target.publish(
                aio_pika.Message(
                    body,
                    headers=signing.sign_headers(body) if signed else None,
                    message_id=message_id or str(uuid.uuid4()),
                    type=kind,
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=routing_key,
                mandatory=True,
                timeout=10,
            )

    async def message_count(self, queue_name: str) -> int:
        async with self.connection.channel() as channel:
            queue = await channel.declare_queue(queue_name, passive=True)
            count = queue.declaration_result.message_count
            return int(count or 0)

    async def consumer_count(self, queue_name: str) -> int:
        """Consumers on ``queue_name``; 0 also while it does not exist yet."""
        return await consumer_count(self.connection, queue_name)

    async def take(
        self, queue_name: str, count: int, *, timeout: float = DEADLINE
    ) -> list[aio_pika.abc.AbstractIncomingMessage]:
        """Take (and acknowledge) ``count`` messages from ``queue_name`` as they arrive."""
        taken: list[aio_pika.abc.AbstractIncomingMessage] = []
        async with self.connection.channel() as channel:
            queue = await channel.declare_queue(queue_name, passive=True)

            async def enough() -> None:
                while len(taken) < count:
                    message = await queue.get(no_ack=True, fail=False)
                    if message is None:
                        break
                    taken.append(message)
                assert len(taken) >= count, (
                    f"{queue_name}: {len(taken)} of {count} expected messages"
                )

            await eventually(enough, timeout=timeout)
        return taken

    async def delete_queues(self, names: Iterable[str]) -> None:
        for name in names:
            with contextlib.suppress(Exception):
                async with self.connection.channel() as channel:
                    await channel.queue_delete(name)
