"""The benchmark's RabbitMQ virtual host (kept), and the raw broker baseline measured in it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import aio_pika

AMQP_HOST = "127.0.0.1"
AMQP_PORT = 5672
BASELINE_QUEUE = "bench.baseline"


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (read from /proc), children first found first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def _rabbitmqctl(*args: str, timeout: float = 120.0) -> None:
    """Run ``rabbitmqctl``; on a timeout, end it and everything it started.

    The CLI starts an Erlang VM through ``su`` (a new session), which a plain kill of the
    wrapper leaves behind, holding its output open: output goes to files, not pipes.
    """
    command = ["rabbitmqctl", "-q", *args]
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            for pid in [*_descendants(process.pid), process.pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            process.wait()
            raise
        if process.returncode:
            output.seek(0)
            raise subprocess.CalledProcessError(process.returncode, command, output.read())


BENCH_VHOST = os.environ.get("SILTA_BENCH_VHOST", "silta-bench")
"""The benchmark's virtual host: created once and kept (``SILTA_BENCH_VHOST`` overrides).

Creating and deleting virtual hosts full of quorum queues wedges a busy RabbitMQ 3.10, so
the benchmark never deletes one: it deletes the queues it uses before and after a run.
"""
BENCH_QUEUES = (
    BASELINE_QUEUE,
    "silta.kela-side.inbox",
    "silta.municipality-side.inbox",
    "silta.municipality-side.child-welfare",
)


async def _delete_queues(url: str) -> None:
    connection = await aio_pika.connect(url)
    try:
        for name in BENCH_QUEUES:
            for queue in (name, f"{name}.parked"):
                channel = await connection.channel()
                with contextlib.suppress(aio_pika.exceptions.ChannelClosed):
                    await channel.queue_delete(queue)  # absent if never declared
    finally:
        await connection.close()


def _vhost_exists(vhost: str) -> bool:
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_vhosts"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return vhost in listed.stdout.split()


@contextmanager
def bench_vhost(vhost: str = BENCH_VHOST) -> Iterator[tuple[str, str]]:
    """Make sure ``vhost`` exists with all permissions for guest; yield (name, AMQP URL).

    The virtual host is kept; the queues the benchmark uses are deleted before the run (a
    previous run may have been interrupted) and after it.
    """
    if not _vhost_exists(vhost):
        _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    url = f"amqp://guest:guest@{AMQP_HOST}:{AMQP_PORT}/{quote(vhost, safe='')}"
    asyncio.run(_delete_queues(url))
    try:
        yield vhost, url
    finally:
        try:
            asyncio.run(_delete_queues(url))
        except Exception as error:  # the numbers are already taken; say so and go on
            print(f"[bench] could not delete the bench queues in {vhost}: {error}", file=sys.stderr)


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
