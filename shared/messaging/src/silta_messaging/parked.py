"""Parked messages on a parking queue (``{queue}.parked``): read, requeue and discard them.

Every operation takes the queue's messages unacknowledged (``basic.get``), in order, and
gives back what it did not settle with one ``basic.nack(multiple, requeue)``, so none is lost
(if the process dies in between, the broker returns them too). A quorum queue puts returned
messages at its *back*, so the whole queue is taken, not just what is needed: returned
together, in order, they are again the whole queue in the same order. Only a message parked
during the milliseconds of an operation can end up ahead of them. A queue holding more than
:data:`TAKE_AT_MOST` messages is only counted. Parking queues have no delivery limit, so
taking never moves a message on.

Requeueing publishes the parked body and headers exactly as parked (signed, encrypted) back to
the consumer's own queue, with confirms, and only then acknowledges the parked original: the
consumer verifies, decrypts and validates it again, and parks it again (with its new reason)
if it still fails. It goes through the dead-letter exchange, on the queue's requeue binding
(:func:`silta_messaging.topology.requeue_key`), so the service's broker user needs no right
to publish on the other side's exchange.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage, AbstractQueue

from silta_messaging.broker import Broker, Outgoing
from silta_messaging.topology import (
    DEAD_LETTER_EXCHANGE,
    DETAIL_HEADER,
    ORIGINAL_ROUTING_KEY_HEADER,
    PARKED_AT_HEADER,
    PARKED_BY_HEADER,
    REASON_HEADER,
    parking_queue_name,
    requeue_key,
)

TAKE_AT_MOST = 1000
"""Above this many parked messages a queue is only counted (every operation takes them all)."""

PARKING_HEADERS = (REASON_HEADER, DETAIL_HEADER, PARKED_BY_HEADER, PARKED_AT_HEADER)
"""What parking added, dropped when a message is requeued (the original routing key stays:
if it is parked again, it is parked with the key it first came with)."""

_BROKER_HEADERS = ("x-death", "x-first-death-", "x-last-death-", "x-delivery-count")


@dataclass(frozen=True)
class ParkedInfo:
    """A parked message's metadata (never its body)."""

    queue: str
    message_id: str | None
    kind: str | None
    reason: str | None
    detail: str | None
    original_routing_key: str | None
    parked_by: str | None
    parked_at: str | None


@dataclass(frozen=True)
class QueueInfo:
    queue: str
    count: int
    taken: bool
    """False when too many messages wait to read them without reordering them."""
    messages: list[ParkedInfo]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _death(headers: Mapping[str, Any]) -> Mapping[str, Any]:
    deaths = headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], Mapping):
        return deaths[0]
    return {}


def metadata(queue: str, message: AbstractIncomingMessage) -> ParkedInfo:
    headers = message.headers or {}
    death = _death(headers)
    reason = _text(headers.get(REASON_HEADER))
    if reason is None and death:
        reason = f"x-death:{_text(death.get('reason'))}"
    routing_key = _text(headers.get(ORIGINAL_ROUTING_KEY_HEADER))
    keys = death.get("routing-keys")
    if routing_key is None and isinstance(keys, list) and keys:
        routing_key = _text(keys[0])
    when: Any = headers.get(PARKED_AT_HEADER) or death.get("time")
    return ParkedInfo(
        queue=queue,
        message_id=message.message_id,
        kind=message.type,
        reason=reason,
        detail=_text(headers.get(DETAIL_HEADER)),
        original_routing_key=routing_key,
        parked_by=_text(headers.get(PARKED_BY_HEADER)),
        parked_at=when.isoformat() if hasattr(when, "isoformat") else _text(when),
    )


@contextlib.asynccontextmanager
async def taking(
    connection: AbstractConnection, queue_name: str
) -> AsyncIterator[tuple[int, list[AbstractIncomingMessage] | None]]:
    """Every message of ``queue_name``, taken unacknowledged, oldest first (None: too many to
    take; the count alone), with its message count; what the block did not settle goes back,
    in order, when it ends."""
    channel = await connection.channel()
    try:
        try:
            queue: AbstractQueue = await channel.declare_queue(queue_name, passive=True)
        except aio_pika.exceptions.ChannelClosed:  # not declared (yet): nothing parked
            yield 0, []
            return
        count = int(queue.declaration_result.message_count or 0)
        if count > TAKE_AT_MOST:
            yield count, None
            return
        taken: list[AbstractIncomingMessage] = []
        try:
            while len(taken) <= TAKE_AT_MOST:
                message = await queue.get(no_ack=False, fail=False)
                if message is None:
                    break
                taken.append(message)
            yield max(count, len(taken)), taken
        finally:
            await _give_back(taken)
    finally:
        with contextlib.suppress(Exception):
            await channel.close()


async def _give_back(taken: list[AbstractIncomingMessage]) -> None:
    """Every unsettled one back, in order, in one command: a ``multiple`` nack on the last
    covers every unsettled delivery up to it (an acknowledged one is settled already)."""
    pending = [message for message in taken if not message.processed]
    if pending:
        await pending[-1].nack(multiple=True, requeue=True)


async def list_queue(connection: AbstractConnection, consumer_queue: str) -> QueueInfo:
    """The metadata of every message parked from ``consumer_queue``, oldest first."""
    name = parking_queue_name(consumer_queue)
    async with taking(connection, name) as (count, taken):
        if taken is None:
            return QueueInfo(name, count, False, [])
        return QueueInfo(name, count, True, [metadata(name, message) for message in taken])


Action = Literal["show", "requeue", "discard"]


async def act(
    connection: AbstractConnection,
    broker: Broker,
    consumer_queue: str,
    message_id: str,
    action: Action,
) -> ParkedInfo | None:
    """Find the oldest message ``message_id`` parked from ``consumer_queue`` and show it,
    requeue it (republished with confirms before the parked one is acknowledged) or discard
    it; None if it is not there (or the queue is too long to take)."""
    name = parking_queue_name(consumer_queue)
    async with taking(connection, name) as (_, taken):
        found = next((m for m in taken or () if m.message_id == message_id), None)
        if found is None:
            return None
        info = metadata(name, found)
        if action == "requeue":
            await broker.publish(requeued(consumer_queue, found))  # raises unless confirmed
        if action != "show":
            await found.ack()
        return info


def requeued(consumer_queue: str, message: AbstractIncomingMessage) -> Outgoing:
    """The parked ``message`` as it came, for ``consumer_queue`` again."""
    headers = {
        key: value
        for key, value in (message.headers or {}).items()
        if key not in PARKING_HEADERS and not key.startswith(_BROKER_HEADERS)
    }
    return Outgoing(
        exchange=DEAD_LETTER_EXCHANGE,
        routing_key=requeue_key(consumer_queue),
        body=message.body,
        message_id=message.message_id or "",
        kind=message.type or "unknown",
        headers=headers,
    )
