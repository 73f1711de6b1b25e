"""The batched, idempotent consumer against the real broker, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from silta_messaging.broker import Broker
from silta_messaging.consumer import BatchConsumer
from silta_messaging.incoming import Incoming, Rejection
from silta_messaging.settling import settle_in_order
from silta_messaging.tables import MessagingTables, add_messaging_tables
from silta_messaging.topology import (
    COUNTY_EXCHANGE,
    REASON_HEADER,
    ConsumerQueue,
    declare_consumer_queue,
    parking_queue_name,
)
from silta_platform.db import create_engine
from silta_schemas.envelope import Envelope, seal
from silta_schemas.status import StatusAcknowledgement
from sqlalchemy import Column, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.conftest import delete_queues
from tests.integration.conftest import eventually

metadata = MetaData()
tables: MessagingTables = add_messaging_tables(metadata)
effects = Table("effects", metadata, Column("message_id", String(36), primary_key=True))


@dataclass
class Recorder:
    """A handler that stores one effect per message and rejects or crashes on demand."""

    reject: set[UUID] = field(default_factory=set)
    crash: set[UUID] = field(default_factory=set)
    calls: int = 0

    async def __call__(
        self, conn: AsyncConnection, messages: Sequence[Incoming]
    ) -> Mapping[UUID, Rejection]:
        self.calls += 1
        if any(m.envelope.referral_id in self.crash for m in messages):
            raise RuntimeError("handler bug")
        rejected = {
            m.envelope.message_id: Rejection("test.rejected", "the handler said no")
            for m in messages
            if m.envelope.referral_id in self.reject
        }
        rows = [
            {"message_id": str(m.envelope.message_id)}
            for m in messages
            if m.envelope.message_id not in rejected
        ]
        if rows:
            await conn.execute(effects.insert(), rows)
        return rejected


@dataclass
class Harness:
    engine: AsyncEngine
    recorder: Recorder
    queue: ConsumerQueue
    channel: AbstractChannel

    async def publish(self, body: bytes, message_id: str | None = None) -> None:
        exchange = await self.channel.get_exchange(COUNTY_EXCHANGE)
        await exchange.publish(
            aio_pika.Message(
                body, message_id=message_id, delivery_mode=aio_pika.DeliveryMode.PERSISTENT
            ),
            routing_key=f"{self.queue.name}.x",
        )

    async def effects(self) -> int:
        async with self.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(effects)) or 0)

    async def parked(self, count: int) -> list[AbstractIncomingMessage]:
        queue = await self.channel.get_queue(parking_queue_name(self.queue.name))
        found: list[AbstractIncomingMessage] = []

        async def fetch() -> bool:
            message = await queue.get(fail=False, no_ack=True)
            if message is not None:
                found.append(message)
            return len(found) >= count

        await eventually(fetch)
        return found

    async def park_one_among(self, trouble: set[UUID], others: int) -> AbstractIncomingMessage:
        """Publish a message about a referral the handler has trouble with (``trouble``: the
        recorder's ``reject`` or ``crash``), then ``others`` good ones; return the one parked
        once the good ones have applied."""
        referral_id = uuid.uuid4()
        trouble.add(referral_id)
        await self.publish(acknowledgement(referral_id))
        for _ in range(others):
            await self.publish(acknowledgement())
        [parked] = await self.parked(1)
        await eventually(lambda: _equals(self.effects(), others))
        return parked


@pytest.fixture
async def harness(database_url: str, amqp_url: str, bus: AbstractChannel) -> AsyncIterator[Harness]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    name = f"test.consumer.{uuid.uuid4().hex[:8]}"
    queue = ConsumerQueue(name, COUNTY_EXCHANGE, (f"{name}.#",), delivery_limit=2)
    broker = Broker(amqp_url, name="test-consumer")
    recorder = Recorder()
    consumer = BatchConsumer(
        broker=broker, engine=engine, inbox=tables.inbox, queue=queue, handler=recorder
    )
    await broker.start()
    await consumer.start()
    await eventually(lambda: _subscribed(consumer))
    yield Harness(engine, recorder, queue, bus)
    await consumer.stop()
    await broker.close()
    await engine.dispose()
    await delete_queues(amqp_url, name)


async def _subscribed(consumer: BatchConsumer) -> bool:
    return consumer.subscribed


def acknowledgement(referral_id: UUID | None = None) -> bytes:
    return acknowledgement_envelope(referral_id).to_bytes()


def acknowledgement_envelope(referral_id: UUID | None = None) -> Envelope:
    """A county's valid acknowledgement of a referral, sealed."""
    referral_id = referral_id or uuid.uuid4()
    payload = StatusAcknowledgement(
        kind="status_acknowledgement",
        referral_id=referral_id,
        sequence=1,
        status="delivered",
        changed_at=datetime.now(UTC),
        changed_by="county-11",
    )
    return seal(payload, sender="county-11", recipient="kela", referral_id=referral_id)


async def test_a_message_delivered_twice_takes_effect_once(harness: Harness) -> None:
    body = acknowledgement()
    await harness.publish(body)
    await harness.publish(body)  # the publisher's retry after a lost confirm
    await eventually(lambda: _equals(harness.effects(), 1))
    await asyncio.sleep(0.3)
    assert await harness.effects() == 1


async def test_redelivery_after_commit_before_ack_is_absorbed_by_the_inbox(
    harness: Harness,
) -> None:
    body = acknowledgement()
    message_id = __import__("json").loads(body)["message_id"]
    async with harness.engine.begin() as conn:  # as if committed just before a crash
        await conn.execute(
            tables.inbox.insert().values(
                message_id=message_id, kind="status_acknowledgement", received_at=datetime.now(UTC)
            )
        )
    await harness.publish(body)
    follower = acknowledgement()
    await harness.publish(follower)
    await eventually(lambda: _equals(harness.effects(), 1))  # only the follower
    queue = await harness.channel.get_queue(harness.queue.name)
    assert (await queue.declare()).message_count == 0  # and the duplicate was acknowledged


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        (b"\xff not json", "message.not_json"),
        (b'{"hello": "world"}', "envelope.invalid"),
        (b"[1, 2, 3]", "envelope.invalid"),
    ],
)
async def test_invalid_message_is_parked_with_its_reason_and_the_consumer_goes_on(
    harness: Harness, body: bytes, rule: str
) -> None:
    await harness.publish(body, message_id="poison")
    await harness.publish(acknowledgement())
    [parked] = await harness.parked(1)
    assert parked.headers[REASON_HEADER] == rule
    assert parked.body == body
    await eventually(lambda: _equals(harness.effects(), 1))


async def test_message_the_handler_rejects_is_parked_and_the_rest_of_the_batch_applies(
    harness: Harness,
) -> None:
    parked = await harness.park_one_among(harness.recorder.reject, others=3)
    assert parked.headers[REASON_HEADER] == "test.rejected"


async def test_a_message_that_keeps_crashing_the_handler_is_parked_by_the_delivery_limit(
    harness: Harness,
) -> None:
    parked = await harness.park_one_among(harness.recorder.crash, others=1)
    assert parked.headers["x-death"][0]["reason"] == "delivery_limit"


async def test_a_batch_with_a_poison_message_parks_it_stores_the_rest_and_acks_them_all(
    database_url: str, amqp_url: str, bus: AbstractChannel
) -> None:
    """Everything waits in the queue before the consumer starts, so it arrives in few batches
    (each acknowledged with ``multiple`` acks around the parked messages)."""
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    name = f"test.consumer.{uuid.uuid4().hex[:8]}"
    spec = ConsumerQueue(name, COUNTY_EXCHANGE, (f"{name}.#",), delivery_limit=2)
    queue = await declare_consumer_queue(bus, spec)
    recorder = Recorder()
    refused = uuid.uuid4()
    recorder.reject.add(refused)
    harness = Harness(engine, recorder, spec, bus)
    for index in range(9):
        await harness.publish(acknowledgement(refused if index == 4 else None))
    await harness.publish(b"\xff not json", message_id="poison")
    broker = Broker(amqp_url, name="test-consumer")
    consumer = BatchConsumer(
        broker=broker, engine=engine, inbox=tables.inbox, queue=spec, handler=recorder
    )
    await broker.start()
    await consumer.start()
    try:
        parked = await harness.parked(2)
        assert sorted(m.headers[REASON_HEADER] for m in parked) == [
            "message.not_json",
            "test.rejected",
        ]
        await eventually(lambda: _equals(harness.effects(), 8))
    finally:
        await consumer.stop()
        await broker.close()  # anything unacknowledged would now return to the queue
    assert (await queue.declare()).message_count == 0
    await engine.dispose()
    await delete_queues(amqp_url, name)


async def test_settling_a_batch_returns_exactly_the_returned_deliveries(
    amqp_url: str, bus: AbstractChannel
) -> None:
    """Runs of acks are settled with ``multiple``; a delivery returned to the queue in the
    middle of the batch must not be covered by the ack of the run after it."""
    name = f"test.settle.{uuid.uuid4().hex[:8]}"
    await bus.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
    for index in range(6):
        await bus.default_exchange.publish(
            aio_pika.Message(str(index).encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=name,
        )
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=10)
        queue = await channel.get_queue(name)
        deliveries: list[AbstractIncomingMessage] = []
        arrived = asyncio.Event()

        async def collect(message: AbstractIncomingMessage) -> None:
            deliveries.append(message)
            if len(deliveries) == 6:
                arrived.set()

        tag = await queue.consume(collect)
        await asyncio.wait_for(arrived.wait(), 10)
        await queue.cancel(tag)  # nothing requeued may come back to this consumer
        returned = {id(deliveries[1]), id(deliveries[4])}
        await settle_in_order(deliveries, returned)
        await channel.close()  # anything unsettled returns to the queue now
        queue = await bus.get_queue(name)
        left = []
        while (message := await queue.get(fail=False, no_ack=True)) is not None:
            left.append(message.body)
        assert sorted(left) == [b"1", b"4"]
    finally:
        await connection.close()
        await delete_queues(amqp_url, name)


async def _equals(value: object, expected: int) -> bool:
    return await value == expected  # type: ignore[misc]
