"""``--rate R``'s baseline: the raw broker's own latency at the same steady rate, in the same run.

Silta's path from Kela's sent time to the acknowledgement stored back at Kela crosses the
broker twice (the notice to the county, its acknowledgement back). So the baseline does the
same with nothing else: a message published (persistent, confirmed) every ``1 / R`` s to a
durable quorum queue; its consumer publishes an answer (persistent, confirmed) to a second
quorum queue and acks; the second consumer takes the answer. Reported: one hop (publish →
consumed) and the round trip (publish → answer consumed), by the bench's one clock.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aio_pika

from bench.load import Percentiles

OUT_QUEUE = "bench.latency.out"
BACK_QUEUE = "bench.latency.back"


@dataclass(frozen=True)
class BrokerLatency:
    rate: float
    messages: int
    one_hop: Percentiles
    round_trip: Percentiles


async def broker_latency(
    url: str, *, rate: float, duration: float, body: bytes, wait_s: float = 30.0
) -> BrokerLatency:
    count = max(1, round(rate * duration))
    connection = await aio_pika.connect(url, client_properties={"connection_name": "bench-lat"})
    try:
        publishing = await connection.channel(publisher_confirms=True)
        answering = await connection.channel(publisher_confirms=True)
        queues = {}
        for name in (OUT_QUEUE, BACK_QUEUE):
            queue = await publishing.declare_queue(
                name, durable=True, arguments={"x-queue-type": "quorum"}
            )
            await queue.purge()
            queues[name] = await answering.get_queue(name) if name == OUT_QUEUE else queue
        started: dict[str, float] = {}
        hops: list[float] = []
        trips: list[float] = []
        done = asyncio.Event()

        def message(message_id: str) -> aio_pika.Message:
            return aio_pika.Message(
                body, message_id=message_id, delivery_mode=aio_pika.DeliveryMode.PERSISTENT
            )

        async def answer(incoming: aio_pika.abc.AbstractIncomingMessage) -> None:
            message_id = str(incoming.message_id)
            hops.append(time.perf_counter() - started[message_id])
            await answering.default_exchange.publish(message(message_id), routing_key=BACK_QUEUE)
            await incoming.ack()

        async def arrived(incoming: aio_pika.abc.AbstractIncomingMessage) -> None:
            trips.append(time.perf_counter() - started[str(incoming.message_id)])
            await incoming.ack()
            if len(trips) >= count:
                done.set()

        await queues[OUT_QUEUE].consume(answer)
        await queues[BACK_QUEUE].consume(arrived)

        async def send(index: int) -> None:
            started[str(index)] = time.perf_counter()
            await publishing.default_exchange.publish(message(str(index)), routing_key=OUT_QUEUE)

        t0 = time.perf_counter()
        sending = []
        for index in range(count):  # open loop, as the Silta run's POSTs
            await asyncio.sleep(max(0.0, t0 + index / rate - time.perf_counter()))
            sending.append(asyncio.create_task(send(index)))
        await asyncio.gather(*sending)
        await asyncio.wait_for(done.wait(), wait_s)
        for queue in queues.values():
            await publishing.queue_delete(queue.name)
        return BrokerLatency(rate, count, Percentiles.of(hops), Percentiles.of(trips))
    finally:
        await connection.close()
