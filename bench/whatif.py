"""What-if experiments: run a service with monkeypatches that model suggested changes.

``python -m bench --what-if sqlite-one-connection,relay-outside-transaction,group-commit``
starts the services through ``python -m bench.whatif <module> <patches>``, which applies
the patches below and then runs the service's normal ``main()``. Nothing outside ``bench/``
is changed; the default benchmark never uses this. The patches are sketches for measuring
how much a change would bring, not production code (e.g. ``group-commit`` handles only
requests without an Idempotency-Key and ``relay-outside-transaction`` is single-replica).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4


def _load(name: str) -> Any:
    """A project module, untyped on purpose: the services change under these sketches, and
    a stale patch must fail when it is used, not break type-checking of the benchmark."""
    return importlib.import_module(name)


Patch = Callable[[str], None]
"""Applies a change in the service process named by its module (``kela_side`` ...)."""

PATCHES: dict[str, Patch] = {}


def patch(name: str) -> Callable[[Patch], Patch]:
    def register(function: Patch) -> Patch:
        PATCHES[name] = function
        return function

    return register


@patch("sqlite-one-connection")
def _sqlite_one_connection(module: str) -> None:
    """One SQLite connection per engine: writers queue in asyncio (FIFO, no sleeping)
    instead of 15 pooled connections polling SQLite's busy handler (sleeps up to 100 ms)."""
    db = _load("silta_service.db")

    original = db._sqlite_engine

    def one_connection(url: str, **kwargs: Any) -> Any:
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 120)
        return original(url, **kwargs)

    db._sqlite_engine = one_connection


@patch("relay-outside-transaction")
def _relay_outside_transaction(module: str) -> None:
    """Claim in one short transaction, publish with no transaction (no lock) held, mark
    published in a second short one. Single relay per database only (SQLite)."""
    from sqlalchemy import select, update

    relay = _load("silta_messaging.relay")
    outgoing = _load("silta_messaging.broker").Outgoing

    async def relay_once(self: Any) -> int:
        if not self._broker.ready:
            return 0
        outbox = self._outbox
        now = datetime.now(UTC)
        claim = (
            select(
                outbox.c.id,
                outbox.c.message_id,
                outbox.c.kind,
                outbox.c.exchange,
                outbox.c.routing_key,
                outbox.c.body,
            )
            .where(outbox.c.published_at.is_(None), outbox.c.next_attempt_at <= now)
            .order_by(outbox.c.id)
            .limit(self._batch_size)
        )
        async with self._engine.begin() as conn:
            rows = (await conn.execute(claim)).all()
        if not rows:
            return 0
        results = await self._broker.publish_many(
            [
                outgoing(
                    exchange=row.exchange,
                    routing_key=row.routing_key,
                    body=row.body,
                    message_id=row.message_id,
                    kind=row.kind,
                )
                for row in rows
            ]
        )
        confirmed = [row.id for row, error in zip(rows, results, strict=True) if error is None]
        if confirmed:
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(outbox).where(outbox.c.id.in_(confirmed)).values(published_at=now)
                )
        return len(confirmed)

    relay.OutboxRelay.relay_once = relay_once


@patch("group-commit")
def _group_commit(module: str) -> None:
    """Concurrent POSTs (without Idempotency-Key) are written together: one transaction and
    three multi-row INSERTs per batch instead of per referral."""
    if module != "kela_side":
        return
    service = _load("kela_side.service")
    tables = _load("kela_side.db.tables")
    messaging, referrals, status_history = tables.messaging, tables.referrals, tables.status_history
    sent_sequence = _load("kela_side.domain.referrals").SENT_SEQUENCE
    outbox_entry = _load("silta_messaging.outbox").OutboxEntry
    topology = _load("silta_messaging.topology")
    seal = _load("silta_schemas.envelope").seal
    parties = _load("silta_schemas.parties")
    sent = _load("silta_schemas.status").ReferralStatus.SENT
    status_change = _load("silta_service.tracking").StatusChange

    original = service.submit_referral
    written_for = ["engine", "request", "idempotency_key"]
    if list(inspect.signature(original).parameters) != written_for:
        raise SystemExit(
            "what-if group-commit was written for submit_referral(engine, request, "
            "idempotency_key) and the service has changed since: update the sketch"
        )
    pending: list[tuple[Any, dict[str, Any], dict[str, Any], dict[str, Any]]] = []
    wake = asyncio.Event()
    writer: list[asyncio.Task[None]] = []

    async def write_batches(engine: Any) -> None:
        while True:
            await wake.wait()
            wake.clear()
            while pending:
                batch = pending[:500]
                del pending[:500]
                try:
                    async with engine.begin() as conn:
                        await conn.execute(referrals.insert(), [item[1] for item in batch])
                        await conn.execute(status_history.insert(), [item[2] for item in batch])
                        await conn.execute(messaging.outbox.insert(), [item[3] for item in batch])
                except Exception as error:
                    for future, *_ in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for future, *_ in batch:
                    if not future.done():
                        future.set_result(None)

    async def submit_referral(engine: Any, request: Any, idempotency_key: str | None) -> Any:
        if idempotency_key is not None:
            return await original(engine, request, idempotency_key)
        now = datetime.now(UTC)
        referral_id = uuid4()
        county_code = request.county_code
        recipient = parties.county_organisation(county_code)
        envelope = seal(request, sender=parties.KELA, recipient=recipient, referral_id=referral_id)
        entry = outbox_entry(
            envelope,
            topology.KELA_EXCHANGE,
            topology.routing_key(request.kind, county_code),
        )
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        pending.append(
            (
                future,
                {
                    "id": str(referral_id),
                    "kind": request.kind,
                    "county_code": county_code,
                    "recipient": recipient,
                    "status": sent,
                    "status_sequence": sent_sequence,
                    "payload": request.model_dump(mode="json"),
                    "idempotency_key": None,
                    "request_hash": None,
                    "created_at": now,
                    "updated_at": now,
                },
                {
                    "referral_id": str(referral_id),
                    "sequence": sent_sequence,
                    "status": sent,
                    "event": None,
                    "outcome": None,
                    "reason": None,
                    "changed_at": now,
                    "changed_by": parties.KELA,
                },
                entry.row(now),
            )
        )
        if not writer or writer[0].done():
            writer[:] = [asyncio.create_task(write_batches(engine), name="group-commit")]
        wake.set()
        await future
        record = service.ReferralRecord(
            id=referral_id,
            kind=request.kind,
            county_code=county_code,
            recipient=recipient,
            status=sent,
            created_at=now,
            updated_at=now,
            history=[status_change(sent_sequence, sent, now, parties.KELA)],
        )
        return record, True

    service.submit_referral = submit_referral


@patch("publish-no-drain-wait")
def _publish_no_drain_wait(module: str) -> None:
    """aiormq's ``basic_publish(wait=False)``: release the channel lock once the frames are
    queued instead of after the writer task has written and drained them. With the default,
    every publish holds the channel lock across ~3 event-loop turns, so a batch of N
    "concurrent" publishes is a sequential chain of ~3N loop turns, each as long as the
    HTTP load makes it. aio-pika's ``Exchange.publish`` has no ``wait`` argument."""
    channel = _load("aiormq.channel")

    original = channel.Channel.basic_publish

    async def basic_publish(self: Any, body: bytes, **kwargs: Any) -> Any:
        kwargs["wait"] = False
        return await original(self, body, **kwargs)

    channel.Channel.basic_publish = basic_publish


@patch("trace-relay")
def _trace_relay(module: str) -> None:
    """No behaviour change: log every relay pass and slow publish (WARNING, in the log)."""
    import logging
    import time

    broker = _load("silta_messaging.broker")
    relay = _load("silta_messaging.relay")

    log = logging.getLogger("bench.trace")
    original_pass = relay.OutboxRelay.relay_once
    original_many = broker.Broker.publish_many
    original_publish = broker.Broker.publish

    async def relay_once(self: Any) -> int:
        started = time.perf_counter()
        published: int = await original_pass(self)
        if published:
            log.warning(
                "relay pass: %d confirmed in %.3f s", published, time.perf_counter() - started
            )
        return published

    async def publish_many(self: Any, messages: Any) -> list[BaseException | None]:
        started = time.perf_counter()
        results: list[BaseException | None] = await original_many(self, messages)
        failed = [type(error).__name__ for error in results if error is not None]
        log.warning(
            "publish_many: %d messages in %.3f s, failures %s",
            len(messages),
            time.perf_counter() - started,
            {name: failed.count(name) for name in set(failed)},
        )
        return results

    async def publish(self: Any, message: Any) -> None:
        started = time.perf_counter()
        try:
            await original_publish(self, message)
        finally:
            took = time.perf_counter() - started
            if took > 1.0:
                log.warning("publish of %s took %.3f s", message.message_id, took)

    relay.OutboxRelay.relay_once = relay_once
    broker.Broker.publish_many = publish_many
    broker.Broker.publish = publish


@patch("consumer-batch-ack")
def _consumer_batch_ack(module: str) -> None:
    """Acknowledge a whole batch with ONE ``basic.ack(multiple=True)`` frame when nothing in
    it is returned to the queue, instead of one awaited ack per delivery (each a chain of
    event-loop turns through aiormq's channel lock)."""
    consumer = _load("silta_messaging.consumer")
    message_rejected = _load("silta_schemas.envelope").MessageRejected

    async def process(self: Any, deliveries: Any) -> None:
        parked: list[tuple[Any, Any]] = []
        valid: list[tuple[Any, Any]] = []
        for delivery in deliveries:
            try:
                envelope, payload = self._open(delivery.body)
            except message_rejected as rejected:
                parked.append((delivery, consumer.Rejection(rejected.rule, rejected.detail)))
                continue
            valid.append((delivery, consumer.Incoming(envelope, payload)))
        rejections = await self._apply([incoming for _, incoming in valid])
        parked += [
            (delivery, rejections[incoming.envelope.message_id])
            for delivery, incoming in valid
            if incoming.envelope.message_id in rejections
        ]
        unparked = {id(d) for d, why in parked if not await self._park(d, why)}
        if not unparked:
            await consumer._settle(deliveries[-1].ack(multiple=True))
            return
        for delivery in deliveries:
            if id(delivery) in unparked:
                await consumer._settle(delivery.nack(requeue=True))
            else:
                await consumer._settle(delivery.ack())

    consumer.BatchConsumer._process = process


@patch("kela-relay-process")
def _kela_relay_process(module: str) -> None:
    """The Kela side's outbox relay runs in its own process (own event loop, own broker
    connection), polling every 50 ms, instead of sharing the HTTP server's event loop."""
    if module != "kela_side":
        return
    import os
    import subprocess

    relay = _load("silta_messaging.relay")

    async def idle(self: Any) -> None:
        await asyncio.Event().wait()

    relay.OutboxRelay.run = idle
    subprocess.Popen(
        [sys.executable, "-m", "bench.whatif", "--relay-only", module, str(os.getpid())]
    )


async def _relay_only(parent: int) -> None:
    """The body of ``kela-relay-process``'s child: relay until the service process exits."""
    import os

    settings = _load("kela_side.settings").KelaSettings()
    _load("silta_service.logs").configure_logging(settings.log_level, "kela-side-relay")
    engine = _load("silta_service.db").create_engine(settings.database_url)
    broker = _load("silta_messaging.broker").Broker(settings.amqp_url, name="silta-kela-relay")
    await broker.start()
    await broker.wait_connected()
    outbox_relay = _load("silta_messaging.relay").OutboxRelay(
        engine,
        _load("kela_side.db.tables").messaging.outbox,
        broker,
        lock_key=_load("kela_side.main").RELAY_LOCK_KEY,
        batch_size=settings.relay_batch_size,
        idle_poll_seconds=0.05,
    )
    task = asyncio.create_task(outbox_relay.run())
    try:
        while os.getppid() == parent:  # the service exited: so does its relay
            done, _ = await asyncio.wait({task}, timeout=0.2)
            if done:
                break
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await broker.close()
        await engine.dispose()


def main(argv: list[str]) -> None:
    if argv[0] == "--relay-only":
        import uvloop

        uvloop.run(_relay_only(int(argv[2])))
        return
    module, names = argv[0], [name for name in argv[1].split(",") if name]
    for name in names:
        if name not in PATCHES:
            raise SystemExit(f"unknown what-if patch {name!r}; known: {', '.join(PATCHES)}")
    entry = importlib.import_module(f"{module}.__main__")
    for name in names:
        PATCHES[name](module)
    entry.main()


if __name__ == "__main__":
    main(sys.argv[1:])
