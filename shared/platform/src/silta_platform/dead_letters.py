"""``GET /v1/ops/dead-letters``: what is parked, for operations, without any message body.

For each of this side's parking queues: how many messages wait there and, for the first ones,
their id, kind, the reason and detail headers (rule ids and field paths, never values) and the
routing key they came with.

Peeking takes the messages unacknowledged (``basic.get``) and returns them with one
``basic.nack(multiple, requeue)``, so none is lost (if the process dies in between, the broker
returns them too). A quorum queue puts returned messages at its *back*, so a peek takes every
message in the queue, not just the first ``limit``: returned together, in order, they are again
the whole queue in the same order. Only a message parked during the milliseconds of a peek can
end up ahead of them. A queue holding more than :data:`PEEK_AT_MOST` messages is only counted.
Parking queues have no delivery limit, so peeking never moves a message on. One peek at a time
per process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from silta_messaging.topology import (
    DETAIL_HEADER,
    ORIGINAL_ROUTING_KEY_HEADER,
    REASON_HEADER,
    parking_queue_name,
)

from silta_platform.http import RuntimeDep
from silta_platform.problems import ProblemError, problem_responses

PEEK_TIMEOUT = 10.0
PEEK_AT_MOST = 1000
"""Above this many parked messages a queue is only counted (peeking reads them all)."""


class ParkedMessage(BaseModel):
    """A parked message's metadata; its body is never shown."""

    message_id: str | None = Field(description="The message's id.")
    kind: str | None = Field(description="The message kind (AMQP `type`), as the sender gave it.")
    reason: str | None = Field(
        description="Why it was parked: the rule id (`x-silta-reason`), or `x-death:<reason>` "
        "when the broker parked it (e.g. the delivery limit)."
    )
    detail: str | None = Field(description="Field paths and rule ids (`x-silta-detail`).")
    original_routing_key: str | None = Field(description="The routing key it arrived with.")


class ParkingQueue(BaseModel):
    queue: str = Field(description="The parking queue.")
    count: int = Field(description="Messages waiting in it.")
    peeked: bool = Field(
        description="False when too many messages wait to read them without reordering them: "
        "then only the count is given."
    )
    messages: list[ParkedMessage] = Field(description="The first ones, oldest first.")


class DeadLetters(BaseModel):
    generated_at: datetime = Field(description="When the queues were read.")
    queues: list[ParkingQueue] = Field(description="Each of this side's parking queues.")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _reason(headers: Mapping[str, Any]) -> str | None:
    reason = _text(headers.get(REASON_HEADER))
    if reason is not None:
        return reason
    deaths = headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], Mapping):
        return f"x-death:{_text(deaths[0].get('reason'))}"
    return None


def _metadata(message: AbstractIncomingMessage) -> ParkedMessage:
    headers = message.headers or {}
    return ParkedMessage(
        message_id=message.message_id,
        kind=message.type,
        reason=_reason(headers),
        detail=_text(headers.get(DETAIL_HEADER)),
        original_routing_key=_text(headers.get(ORIGINAL_ROUTING_KEY_HEADER)),
    )


async def peek(
    connection: aio_pika.abc.AbstractConnection, queue_name: str, limit: int
) -> ParkingQueue:
    """Count ``queue_name``'s messages and read the first ``limit`` without taking them."""
    channel = await connection.channel()
    try:
        try:
            queue = await channel.declare_queue(queue_name, passive=True)
        except aio_pika.exceptions.ChannelClosed:  # not declared (yet): nothing parked
            return ParkingQueue(queue=queue_name, count=0, peeked=True, messages=[])
        count = int(queue.declaration_result.message_count or 0)
        if count > PEEK_AT_MOST:
            return ParkingQueue(queue=queue_name, count=count, peeked=False, messages=[])
        taken: list[AbstractIncomingMessage] = []
        try:
            while len(taken) <= PEEK_AT_MOST:  # all of them: see the module's docstring
                message = await queue.get(no_ack=False, fail=False)
                if message is None:
                    break
                taken.append(message)
        finally:
            if taken:  # all back, in order, in one command
                await taken[-1].nack(multiple=True, requeue=True)
        return ParkingQueue(
            queue=queue_name,
            count=max(count, len(taken)),
            peeked=True,
            messages=[_metadata(message) for message in taken[:limit]],
        )
    finally:
        with contextlib.suppress(Exception):
            await channel.close()


def dead_letters_router(queue_names: Sequence[str]) -> APIRouter:
    """``/v1/ops/dead-letters`` over the parking queues of ``queue_names``."""
    router = APIRouter(prefix="/v1/ops", tags=["operations"])
    lock = asyncio.Lock()

    @router.get(
        "/dead-letters",
        response_model=DeadLetters,
        summary="Parked messages per parking queue: counts and metadata, never a body",
        description=__doc__,
        responses=problem_responses(422, 503),
    )
    async def dead_letters(
        runtime: RuntimeDep,
        limit: Annotated[
            int, Query(ge=0, le=100, description="Messages to describe per queue, oldest first.")
        ] = 10,
    ) -> DeadLetters:
        if not runtime.broker.ready:
            raise ProblemError(503, "broker-unavailable", "Broker unavailable", "down: broker")
        connection = await runtime.broker.wait_connected()
        async with lock:
            try:
                queues = [
                    await asyncio.wait_for(
                        peek(connection, parking_queue_name(name), limit), PEEK_TIMEOUT
                    )
                    for name in queue_names
                ]
            except (TimeoutError, aio_pika.exceptions.AMQPError):
                raise ProblemError(
                    503, "broker-unavailable", "Broker unavailable", "the broker did not answer"
                ) from None
        return DeadLetters(generated_at=datetime.now(UTC), queues=queues)

    return router
