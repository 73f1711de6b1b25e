"""Batched, idempotent consumption with parking of what cannot be processed.

Deliveries are gathered into batches (up to ``batch_max``, as many as are waiting; under
load a little fuller, waiting ``linger_seconds`` once: ``silta_messaging.batching``), each
batch is handled in ONE database transaction together with its inbox rows, and only then
acknowledged, with one ``basic.ack(multiple)`` per batch. A message that fails validation,
or that the handler rejects, is published to the dead-letter exchange with its reason
(confirmed) before it is acknowledged, so nothing is dropped and the consumer keeps going.
While this side's own database does not answer (refused, starting up, connection lost:
``silta_messaging.availability``) the batch is held and retried in place with back-off, for
as long as it takes, so an outage never uses up a message's delivery limit; a message that
keeps crashing the handler is returned to the queue, whose delivery limit parks it.

With a ``verifier`` (``silta_messaging.signing``) every delivery is authenticated before it
is opened: unsigned, forged, signed with an unknown key, or signed for another sender, it is
parked with its ``signature.*`` reason. A message id already in the inbox is skipped, never
processed again, whether the broker redelivered it or someone replayed it: the two cannot be
told apart (same bytes, same signature) and neither may take effect twice. A message id not
processed yet whose ``created_at`` is outside the verifier's window is parked as
``message.outside_window``; so a redelivery of something already processed is absorbed
quietly however old it is, and a replay of anything the inbox no longer remembers is refused.
With a ``message_log`` every message accepted is recorded as received evidence (its signed
statement) in the transaction that writes its inbox row.

With an ``unsealer`` (``silta_messaging.sealing``) the authenticated body is decrypted before
it is parsed: a message in clear, encrypted to a key this side does not hold, or that does
not decrypt is parked with its ``message.*`` reason, exactly as received.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from aio_pika.abc import AbstractIncomingMessage, AbstractQueue
from opentelemetry.trace import Span
from pydantic import BaseModel
from silta_schemas.envelope import Envelope, MessageRejected, open_message
from sqlalchemy import Table, exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from silta_messaging import tracing
from silta_messaging.availability import Outage, database_unavailable
from silta_messaging.batching import next_batch
from silta_messaging.broker import Broker, Outgoing
from silta_messaging.inbox import Claim, Inbox
from silta_messaging.incoming import BatchHandler, Incoming, Rejection
from silta_messaging.message_log import LoggedMessage, MessageLog
from silta_messaging.metrics import count_consumed, count_parked
from silta_messaging.sealing import Unsealer
from silta_messaging.settling import settle, settle_in_order
from silta_messaging.signing import OUTSIDE_WINDOW, Verifier
from silta_messaging.topology import (
    DEAD_LETTER_EXCHANGE,
    DETAIL_HEADER,
    ORIGINAL_ROUTING_KEY_HEADER,
    PARKED_AT_HEADER,
    PARKED_BY_HEADER,
    REASON_HEADER,
    ConsumerQueue,
    declare_consumer_queue,
)

log = logging.getLogger(__name__)


class BatchConsumer:
    def __init__(
        self,
        *,
        broker: Broker,
        engine: AsyncEngine,
        inbox: Table,
        queue: ConsumerQueue,
        handler: BatchHandler,
        after_commit: Callable[[], None] = lambda: None,
        prefetch: int = 256,
        batch_max: int = 200,
        linger_seconds: float = 0.0,
        opener: Callable[[bytes], tuple[Envelope, BaseModel]] = open_message,
        verifier: Verifier | None = None,
        message_log: MessageLog | None = None,
        unsealer: Unsealer | None = None,
    ) -> None:
        self._broker = broker
        self._engine = engine
        self._spec = queue
        self._handler = handler
        self._after_commit = after_commit
        self._prefetch = prefetch
        self._batch_max = batch_max
        self._linger = linger_seconds
        self._open = opener
        self._verifier = verifier
        self._message_log = message_log
        self._unsealer = unsealer
        self._pending: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._inbox_claims = Inbox(inbox)
        self._queue: AbstractQueue | None = None  # held: consumers must stay referenced
        self._worker: asyncio.Task[None] | None = None
        self._starter: asyncio.Task[None] | None = None
        self._outage = Outage(
            log, f"the consumer of {queue.name}", " (its batch held: no delivery is used up)"
        )

    async def start(self) -> None:
        self._worker = asyncio.create_task(self._work(), name=f"consume-{self._spec.name}")
        self._starter = asyncio.create_task(self._subscribe(), name=f"subscribe-{self._spec.name}")

    async def _subscribe(self) -> None:
        channel = await self._broker.channel(prefetch=self._prefetch)
        self._queue = await declare_consumer_queue(
            channel, self._spec, passive_exchanges=not self._broker.declares_exchanges
        )
        await self._queue.consume(self._pending.put)
        log.info("consuming %s", self._spec.name)

    @property
    def subscribed(self) -> bool:
        """True once the queue is declared, bound and consumed (a robust channel restores it)."""
        return self._queue is not None and self._broker.ready

    async def stop(self) -> None:
        for task in (self._starter, self._worker):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    async def _work(self) -> None:
        while True:
            batch = await next_batch(self._pending, most=self._batch_max, linger=self._linger)
            try:
                await self._process(batch)
            except asyncio.CancelledError:
                raise
            except Exception:  # never let one batch stop the consumer
                log.exception("batch of %d failed; returning it to the queue", len(batch))
                for delivery in batch:
                    await settle(delivery.nack(requeue=True))

    async def _process(self, deliveries: Sequence[AbstractIncomingMessage]) -> None:
        spans = {id(d): tracing.delivery_span(d, self._spec.name) for d in deliveries}
        with tracing.batch_scope(list(spans.values()), self._spec.name):
            await self._process_traced(deliveries, spans)

    async def _process_traced(
        self, deliveries: Sequence[AbstractIncomingMessage], spans: Mapping[int, Span]
    ) -> None:
        parked: list[tuple[AbstractIncomingMessage, Rejection]] = []
        valid: list[tuple[AbstractIncomingMessage, Incoming]] = []
        for delivery in deliveries:
            try:
                incoming = self._open_delivery(delivery.body, delivery.headers)
            except MessageRejected as rejected:
                parked.append((delivery, Rejection(rejected.rule, rejected.detail)))
                continue
            tracing.received(spans[id(delivery)], incoming)
            valid.append((delivery, incoming))
        rejections = await self._apply([incoming for _, incoming in valid])
        parked += [
            (delivery, rejections[incoming.envelope.message_id])
            for delivery, incoming in valid
            if incoming.envelope.message_id in rejections
        ]
        for delivery, why in parked:
            tracing.rejected(spans[id(delivery)], why.rule)
        unparked = {id(delivery) for delivery, why in parked if not await self._park(delivery, why)}
        await settle_in_order(deliveries, unparked)

    def _open_delivery(self, body: bytes, headers: Mapping[str, Any] | None) -> Incoming:
        """Verify the signature, then decrypt, then validate; or raise ``MessageRejected``."""
        verifier, unsealer = self._verifier, self._unsealer
        # before the body is even parsed: the statement names the digest of these bytes
        signed = verifier.authenticate(body, headers) if verifier is not None else None

        def check_sender(sender: str) -> None:
            if verifier is not None and signed is not None:
                verifier.check_sender(signed.key, sender)

        # the clear sender is checked before anything is decrypted, the envelope's after
        sealed = unsealer.open(body, check_sender) if unsealer is not None else None
        plain = sealed.body if sealed is not None else body
        envelope, payload = self._open(plain)
        if signed is not None:
            signed.check_envelope(envelope)  # the facts signed, and the sender the key's
        if sealed is not None:
            sealed.check(envelope)
        # The digest of the envelope itself: a republished outbox row is encrypted anew,
        # yet it is the same message (and is absorbed as a redelivery).
        digest = hashlib.sha256(plain).hexdigest()
        return Incoming(envelope, payload, digest, signed)

    async def _apply(self, items: Sequence[Incoming]) -> Mapping[UUID, Rejection]:
        """Run the handler in one transaction, retrying transient database failures."""
        if not items:
            return {}
        while True:
            try:
                rejections = await self._transaction(items)
            except exc.IntegrityError:
                # Another replica stored one of these at the same moment: the retry sees it
                # in the inbox. If it is not that, one message at a time isolates the culprit.
                if len(items) > 1:
                    merged: dict[UUID, Rejection] = {}
                    for item in items:
                        merged.update(await self._apply([item]))
                    return merged
                raise
            except Exception as error:
                if not database_unavailable(error):
                    raise  # the work itself failed: back to the queue, towards its limit
                # Our own database is down or starting: nothing wrong with the messages.
                # Hold them (unacknowledged) and try again until it answers.
                await asyncio.sleep(self._outage.failed(error))
                continue
            self._outage.recovered()
            return rejections

    async def _transaction(self, items: Sequence[Incoming]) -> Mapping[UUID, Rejection]:
        unique: dict[UUID, Incoming] = {}
        for item in items:
            unique.setdefault(item.envelope.message_id, item)
        async with self._engine.begin() as conn:
            now = datetime.now(UTC)
            claims = [
                Claim(str(key), str(item.envelope.kind), item.digest or None)
                for key, item in unique.items()
            ]
            claimed = await self._inbox_claims.claim(conn, claims, now)
            seen = claimed.seen
            reused = _reused_ids(unique.values(), seen)
            fresh = [item for key, item in unique.items() if str(key) in claimed.new]
            stale = self._outside_window(fresh, now)
            fresh = [item for item in fresh if item.envelope.message_id not in stale]
            handled = await self._handler(conn, fresh) if fresh else {}
            rejections = {**reused, **stale, **handled}
            # Claimed but not processed: parked, and processed if it is ever requeued.
            await self._inbox_claims.release(
                conn, [str(key) for key in unique if key in stale or key in handled]
            )
            done = [i for i in fresh if i.envelope.message_id not in rejections]
            if done:
                await self._log_received(conn, fresh, rejections)
        count_consumed(str(item.envelope.kind) for item in done)
        if len(seen) or len(unique) < len(items):
            skipped = len(items) - len(fresh) - len(stale) - len(reused)
            log.info("skipped %d duplicate deliveries", skipped)
        self._after_commit()
        return rejections

    async def _log_received(
        self, conn: AsyncConnection, fresh: Sequence[Incoming], rejections: Mapping[UUID, Any]
    ) -> None:
        """The evidence of what was accepted (not rejected): each signed statement."""
        if self._message_log is not None:
            signed = [
                LoggedMessage.received(i.signed)
                for i in fresh
                if i.signed is not None and i.envelope.message_id not in rejections
            ]
            if signed:
                await self._message_log(conn, signed)

    def _outside_window(self, fresh: Sequence[Incoming], now: datetime) -> dict[UUID, Rejection]:
        """Messages not processed before whose ``created_at`` is outside the window."""
        verifier = self._verifier
        if verifier is None:
            return {}
        return {
            item.envelope.message_id: Rejection(
                OUTSIDE_WINDOW,
                "created_at is outside the window this side accepts (a replay, or a clock "
                "out of step)",
            )
            for item in fresh
            if verifier.outside_window(item.envelope.created_at, now)
        }

    async def _park(self, delivery: AbstractIncomingMessage, rejection: Rejection) -> bool:
        """Publish ``delivery`` to the parking queue with its reason; True once confirmed."""
        headers: dict[str, Any] = dict(delivery.headers or {})
        routing_key = delivery.routing_key or ""
        if delivery.exchange == DEAD_LETTER_EXCHANGE:  # requeued: the key it first came with
            routing_key = str(headers.get(ORIGINAL_ROUTING_KEY_HEADER) or routing_key)
        headers.update(
            {
                REASON_HEADER: rejection.rule,
                DETAIL_HEADER: rejection.detail[:1000],
                ORIGINAL_ROUTING_KEY_HEADER: routing_key,
                PARKED_BY_HEADER: self._spec.name,
                PARKED_AT_HEADER: datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
        try:
            await self._broker.publish(
                Outgoing(
                    exchange=DEAD_LETTER_EXCHANGE,
                    routing_key=self._spec.name,
                    body=delivery.body,
                    message_id=delivery.message_id or "",
                    kind=delivery.type or "unknown",
                    headers=headers,
                )
            )
        except Exception as error:
            log.warning("could not park a message (%s); it will be redelivered", error)
            return False
        count_parked(delivery.type, rejection.rule)
        log.warning("parked message %s: %s", delivery.message_id, rejection.rule)
        return True


ID_REUSED = "message.id_reused"


def _reused_ids(items: Iterable[Incoming], seen: Mapping[str, str | None]) -> dict[UUID, Rejection]:
    """Messages whose id was processed before with another body: never a redelivery (which
    carries the same bytes), so a replay or a forgery; the same body again is a redelivery,
    absorbed quietly."""
    return {
        item.envelope.message_id: Rejection(
            ID_REUSED, "this message id was processed before with another body"
        )
        for item in items
        if item.digest and seen.get(str(item.envelope.message_id)) not in (None, item.digest)
    }
