"""The benchmark's RabbitMQ virtual host (kept), and the raw broker baseline measured in it."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import aio_pika
from silta_harness import leased_vhost

AMQP_HOST = "127.0.0.1"
AMQP_PORT = 5672
BASELINE_QUEUE = "bench.baseline"


@contextmanager
def bench_vhost() -> Iterator[tuple[str, str]]:
    """A virtual host of this run's own, leased from the pool ``silta-bench-N``
    (``SILTA_BENCH_VHOST`` names one instead); yield (name, AMQP URL).

    Virtual hosts are kept (creating and deleting them wedges a busy RabbitMQ 3.10); the
    queues in it are deleted before the run (a previous run may have been interrupted) and
    after it (`silta_harness.vhosts`).
    """
    with leased_vhost(
        "silta-bench",
        name=os.environ.get("SILTA_BENCH_VHOST") or None,
        host=AMQP_HOST,
        port=AMQP_PORT,
    ) as vhost:
        yield vhost.name, vhost.amqp_url


@dataclass(frozen=True)
class BaselineResult:
    messages: int
    body_bytes: int
    in_flight: int
    prefetch: int
    seconds: float
    """From the first publish to the last ack."""
    publish_seconds: float
    """From the first publish to the last confirm."""
    messages_per_second: float
    publish_per_second: float


async def _run_once(
    url: str, body: bytes, count: int, in_flight: int, prefetch: int, wait_s: float
) -> tuple[float, float]:
    """Publish ``count`` messages and consume them all; return (end to end, publish) seconds."""
    publisher = await aio_pika.connect(url, client_properties={"connection_name": "bench-pub"})
    consumer = await aio_pika.connect(url, client_properties={"connection_name": "bench-sub"})
    try:
        channel = await publisher.channel(publisher_confirms=True)
        receiving = await consumer.channel()
        await receiving.set_qos(prefetch_count=prefetch)
        queue = await receiving.declare_queue(
            BASELINE_QUEUE, durable=True, arguments={"x-queue-type": "quorum"}
        )
        received = 0
        all_acked = asyncio.Event()

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal received
            await message.ack()
            received += 1
            if received >= count:
                all_acked.set()

        tag = await queue.consume(on_message)
        next_index = 0

        async def publish_some() -> None:
            nonlocal next_index
            exchange = channel.default_exchange
            while next_index < count:
                index = next_index
                next_index += 1
                await exchange.publish(
                    aio_pika.Message(
                        body,
                        message_id=str(index),
                        content_type="application/json",
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=BASELINE_QUEUE,
                )

        started = time.perf_counter()
        await asyncio.gather(*(publish_some() for _ in range(min(in_flight, count))))
        published = time.perf_counter()
        await asyncio.wait_for(all_acked.wait(), wait_s)
        finished = time.perf_counter()
        await queue.cancel(tag)
        return finished - started, published - started
    finally:
        await consumer.close()
        await publisher.close()


async def broker_baseline(
    url: str,
    *,
    messages: int,
    body: bytes,
    in_flight: int = 50,
    prefetch: int = 200,
    warmup: int = 200,
    wait_s: float = 120.0,
) -> BaselineResult:
    """Confirmed persistent messages through a durable quorum queue, one process.

    ``in_flight`` publishers each wait for their confirm before the next publish, so about
    that many confirms are outstanding; the consumer acks every message manually.
    """
    if warmup:
        await _run_once(url, body, min(warmup, messages), in_flight, prefetch, wait_s)
    seconds, publish_seconds = await _run_once(url, body, messages, in_flight, prefetch, wait_s)
    return BaselineResult(
        messages=messages,
        body_bytes=len(body),
        in_flight=in_flight,
        prefetch=prefetch,
        seconds=round(seconds, 3),
        publish_seconds=round(publish_seconds, 3),
        messages_per_second=round(messages / seconds, 1),
        publish_per_second=round(messages / publish_seconds, 1),
    )
