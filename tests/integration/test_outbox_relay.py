"""The outbox relay against the real broker, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel
from silta_messaging.broker import QUEUED_FRAMES, Broker
from silta_messaging.relay import OutboxRelay
from silta_messaging.sealing import RecipientKeys, Sealer
from silta_messaging.tables import MessagingTables, add_messaging_tables
from silta_messaging.topology import COUNTY_EXCHANGE
from silta_platform.db import create_engine
from silta_platform.settings import ServiceSettings
from sqlalchemy import MetaData, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests import signing
from tests.integration.conftest import eventually, tap

Db = tuple[AsyncEngine, MessagingTables]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Db]:
    metadata = MetaData()
    tables = add_messaging_tables(metadata)
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine, tables
    await engine.dispose()


Relays = Callable[..., OutboxRelay]


@pytest.fixture
async def relays(db: Db) -> AsyncIterator[Relays]:
    """``relays(broker, **options)``: a relay on the test's database, closed afterwards (its
    lease released, its listening connection closed)."""
    made: list[OutboxRelay] = []

    def make(broker: Broker, **options: Any) -> OutboxRelay:
        made.append(OutboxRelay(db[0], db[1], broker, **options))
        return made[-1]

    yield make
    for relay in made:
        await relay.close()


@pytest.fixture
async def broker(amqp_url: str) -> AsyncIterator[Broker]:
    broker = Broker(amqp_url, name="test-relay")
    await broker.start()
    await broker.wait_connected()
    yield broker
    await broker.close()


async def enqueue(
    db: Db, numbers: range, key: str, exchange: str = COUNTY_EXCHANGE, **fields: str
) -> None:
    engine, tables = db
    now = datetime.now(UTC)
    rows = [
        {
            "message_id": str(uuid.uuid4()),
            "kind": "test",
            "exchange": exchange,
            "routing_key": key,
            "body": json.dumps({**fields, "n": n}).encode(),
            "created_at": now,
            "next_attempt_at": now,
            "attempts": 0,
        }
        for n in numbers
    ]
    async with engine.begin() as conn:
        await conn.execute(tables.outbox.insert(), rows)


async def pending(db: Db) -> int:
    engine, tables = db
    async with engine.connect() as conn:
        count = await conn.scalar(
            select(func.count()).where(tables.outbox.c.published_at.is_(None))
        )
    return int(count or 0)


async def test_publishes_in_order_with_confirms_and_marks_published(
    db: Db, relays: Relays, broker: Broker, bus: AbstractChannel
) -> None:
    key = f"relay.{uuid.uuid4().hex}"
    received = await tap(bus, COUNTY_EXCHANGE, key)
    await enqueue(db, range(1200), key)
    relay = relays(broker, batch_size=500)

    published = [await relay.relay_once() for _ in range(4)]

    assert published == [500, 500, 200, 0]
    assert await pending(db) == 0
    numbers = [
        json.loads((await asyncio.wait_for(received.get(), 10)).body)["n"] for _ in range(1200)
    ]
    assert numbers == list(range(1200))


async def test_a_whole_relay_pass_is_queued_for_the_writer_at_once(broker: Broker) -> None:
    """aiormq queues 10 frames for its writer by default; each publish past them waited for
    the writer in turn (README, Speed, item 22). A pass of the default size fits now."""
    connection = await broker.wait_connected()
    assert connection.transport is not None
    queued = connection.transport.connection.write_queue.maxsize

    assert queued == QUEUED_FRAMES
    assert queued >= 2 * ServiceSettings.model_fields["relay_batch_size"].default


async def test_two_replicas_neither_lose_duplicate_nor_reorder(
    db: Db, relays: Relays, amqp_url: str, bus: AbstractChannel
) -> None:
    key = f"relay.{uuid.uuid4().hex}"
    received = await tap(bus, COUNTY_EXCHANGE, key)
    brokers = [Broker(amqp_url, name=f"replica-{i}") for i in range(2)]
    replicas = []
    for broker in brokers:
        await broker.start()
        await broker.wait_connected()
        replicas.append(relays(broker, batch_size=100, idle_poll_seconds=0.05))
    tasks = [asyncio.create_task(relay.run()) for relay in replicas]
    try:
        for start in range(0, 1000, 100):  # new rows keep arriving while both relays run
            await enqueue(db, range(start, start + 100), key)
            for relay in replicas:
                relay.wake()
            await asyncio.sleep(0.01)
        numbers = [
            json.loads((await asyncio.wait_for(received.get(), 15)).body)["n"] for _ in range(1000)
        ]
        await asyncio.sleep(0.5)
        assert received.empty(), "a message was published twice"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for broker in brokers:
            await broker.close()
    assert numbers == list(range(1000))
    assert await pending(db) == 0


async def test_unroutable_message_is_never_marked_published(
    db: Db, relays: Relays, broker: Broker, bus: AbstractChannel
) -> None:
    # An exchange of its own: other tests' queues bind "#" on the shared ones.
    exchange = f"test.unroutable.{uuid.uuid4().hex[:8]}"
    await bus.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, auto_delete=True)
    key = "nobody.home"
    await enqueue(db, range(1), key, exchange)
    relay = relays(broker)

    assert await relay.relay_once() == 0

    engine, tables = db
    async with engine.connect() as conn:
        row = (await conn.execute(select(tables.outbox))).one()
    assert row.published_at is None
    assert row.attempts == 1
    assert "NO_ROUTE" in row.last_error or "unroutable" in row.last_error.lower()
    # Once a consumer binds the key and the back-off has passed, it goes out.
    received = await tap(bus, exchange, key)
    async with engine.begin() as conn:
        await conn.execute(update(tables.outbox).values(next_attempt_at=datetime.now(UTC)))
    assert await relay.relay_once() == 1
    assert json.loads((await asyncio.wait_for(received.get(), 10)).body) == {"n": 0}


async def test_broker_down_keeps_every_row_for_later(db: Db, relays: Relays) -> None:
    down = Broker("amqp://guest:guest@127.0.0.1:1/", name="down", retry_interval=0.1)
    await down.start()
    try:
        await enqueue(db, range(5), "whatever")
        relay = relays(down)
        assert await relay.relay_once() == 0
        assert await pending(db) == 5
    finally:
        await down.close()


async def test_relay_reacts_within_milliseconds_of_a_wake(
    db: Db, relays: Relays, broker: Broker, bus: AbstractChannel
) -> None:
    key = f"relay.{uuid.uuid4().hex}"
    received = await tap(bus, COUNTY_EXCHANGE, key)
    relay = relays(broker, idle_poll_seconds=30)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.2)  # the relay is now idle, waiting up to 30 s
        await enqueue(db, range(1), key)
        relay.wake()
        message = await asyncio.wait_for(received.get(), 2)  # far below the 30 s poll
        assert json.loads(message.body) == {"n": 0}
        assert await eventually(lambda: _zero(db))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _zero(db: Db) -> bool:
    return await pending(db) == 0


async def test_a_pipelined_batch_marks_exactly_the_confirmed_messages(
    db: Db, relays: Relays, broker: Broker, bus: AbstractChannel
) -> None:
    """Publishes of a batch do not wait for each other, yet every message keeps its own
    confirm: the unroutable ones in the middle of a batch stay pending, the rest go out in
    order."""
    exchange = f"test.mixed.{uuid.uuid4().hex[:8]}"
    await bus.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, auto_delete=True)
    received = await tap(bus, exchange, "somebody.home")
    for start in range(0, 300, 30):
        await enqueue(db, range(start, start + 20), "somebody.home", exchange)
        await enqueue(db, range(start + 20, start + 30), "nobody.home", exchange)
    relay = relays(broker, batch_size=500)

    assert await relay.relay_once() == 200

    engine, tables = db
    assert sorted(await left_pending(db)) == [("nobody.home", 1)] * 100
    messages = [await asyncio.wait_for(received.get(), 10) for _ in range(200)]
    assert [json.loads(m.body)["n"] for m in messages] == [n for n in range(300) if n % 30 < 20]
    async with engine.connect() as conn:
        ids = set((await conn.execute(select(tables.outbox.c.message_id))).scalars())
    for message in messages:  # persistent, and named for the receivers' inbox
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert message.message_id in ids
        assert message.type == "test"
        assert message.content_type == "application/json"


async def test_a_message_is_never_sent_in_clear_for_want_of_the_recipients_key(
    db: Db, broker: Broker, bus: AbstractChannel
) -> None:
    """The registry has no encryption key for Kela: the row stays in the outbox with the
    reason, and once the key is there it goes out encrypted to it."""
    key = f"relay.{uuid.uuid4().hex}"
    received = await tap(bus, COUNTY_EXCHANGE, key)
    await enqueue(db, range(1), key, sender="county-11", recipient="kela")
    counties_only = {
        signing.COUNTY_ENCRYPTION[0]: signing.encryption_entries()[signing.COUNTY_ENCRYPTION[0]]
    }
    no_key = Sealer(RecipientKeys.from_json(json.dumps(counties_only)))
    without = OutboxRelay(db[0], db[1], broker, sealer=no_key)
    try:
        assert await without.relay_once() == 0
    finally:
        await without.close()  # the relay with the key takes over at once

    engine, tables = db
    async with engine.begin() as conn:
        [(attempts, error)] = (
            await conn.execute(select(tables.outbox.c.attempts, tables.outbox.c.last_error))
        ).all()
        assert attempts == 1
        assert "no encryption key" in error
        await conn.execute(update(tables.outbox).values(next_attempt_at=datetime.now(UTC)))
    assert received.empty()

    with_key = Sealer(RecipientKeys.from_json(json.dumps(signing.encryption_entries())))
    relay = OutboxRelay(db[0], db[1], broker, sealer=with_key)
    try:
        assert await relay.relay_once() == 1
    finally:
        await relay.close()
    message = await asyncio.wait_for(received.get(), 10)
    assert b'"n"' not in message.body
    assert [r["key_id"] for r in json.loads(message.body)["recipients"]] == [
        signing.KELA_ENCRYPTION[0]
    ]
    assert json.loads(signing.decrypted(message.body))["n"] == 0
    assert await pending(db) == 0


async def test_the_running_relay_publishes_in_order_past_refused_rows_while_passes_overlap(
    db: Db, relays: Relays, broker: Broker, bus: AbstractChannel
) -> None:
    """The running relay reads the next pass while earlier ones await their confirms: rows
    keep arriving in small batches with unroutable ones among them; every routable row goes
    out once and in order, and exactly the unroutable ones stay pending, tried (and retried
    after their back-off)."""
    exchange = f"test.overlap.{uuid.uuid4().hex[:8]}"
    await bus.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, auto_delete=True)
    received = await tap(bus, exchange, "somebody.home")
    relay = relays(broker, batch_size=10, idle_poll_seconds=0.05)
    task = asyncio.create_task(relay.run())
    try:
        for start in range(0, 300, 15):
            await enqueue(db, range(start, start + 12), "somebody.home", exchange)
            await enqueue(db, range(start + 12, start + 15), "nobody.home", exchange)
            relay.wake()
        routable = [n for n in range(300) if n % 15 < 12]
        messages = [await asyncio.wait_for(received.get(), 15) for _ in routable]
        assert [json.loads(m.body)["n"] for m in messages] == routable
        assert await eventually(lambda: _only_refused_left(db, 60))
    finally:
        relay.stop()
        await asyncio.gather(task, return_exceptions=True)
    await asyncio.sleep(0.3)
    assert received.empty(), "a message was published twice"


async def _only_refused_left(db: Db, count: int) -> bool:
    left = await left_pending(db)
    return len(left) == count and all(key == "nobody.home" and tried >= 1 for key, tried in left)


async def left_pending(db: Db) -> list[tuple[str, int]]:
    """(routing key, attempts) of every row not published yet."""
    engine, tables = db
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(tables.outbox.c.routing_key, tables.outbox.c.attempts).where(
                tables.outbox.c.published_at.is_(None)
            )
        )
        return [(row.routing_key, row.attempts) for row in rows]
