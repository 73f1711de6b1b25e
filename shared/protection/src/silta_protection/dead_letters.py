"""Dead letters, for operations: list, show, requeue and discard parked messages, over the
API (``/v1/ops/dead-letters``) and as a command (:mod:`silta_protection.dead_letter_command`).

Only metadata is ever shown (id, kind, the reason and detail headers — rule ids and field
paths, never values —, when and from which queue it was parked, the routing key it came with);
never a body. The broker mechanics, and why nothing is lost or reordered, are in
:mod:`silta_messaging.parked`. Requeueing goes through the normal path: the consumer verifies,
decrypts and validates the message again, and parks it again with its reason if it still
fails. Every action is written to the access log (resource ``dead_letter``, the message id):
parked messages carry client data, sealed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

import aio_pika
from aio_pika.abc import AbstractConnection
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from silta_messaging.broker import Broker
from silta_messaging.parked import Action as ParkedAction
from silta_messaging.parked import ParkedInfo, QueueInfo, act, list_queue
from silta_platform.http import RuntimeDep
from silta_platform.problems import ProblemError, not_found, problem_responses
from silta_schemas.routing import COUNTY_CODES

from silta_protection.access_log import Access, Action, Actor, ActorDep

TIMEOUT = 10.0
RESOURCE = "dead_letter"
PURPOSE = "operations"

ACCESS_ACTIONS: dict[str, Action] = {
    "list": "search",
    "show": "read",
    "requeue": "requeue",
    "discard": "discard",
}
"""Each operation and the access-log action it is recorded as."""


class DeadLetterQueues:
    """This side's consumer queues' parking queues, one operation at a time per process."""

    def __init__(self, queues: Sequence[str]) -> None:
        self.queues = tuple(queues)
        self._lock = asyncio.Lock()

    async def list(self, connection: AbstractConnection) -> list[QueueInfo]:
        async with self._lock:
            return [
                await asyncio.wait_for(list_queue(connection, queue), TIMEOUT)
                for queue in self.queues
            ]

    async def act(
        self, connection: AbstractConnection, broker: Broker, message_id: str, action: ParkedAction
    ) -> ParkedInfo | None:
        """The oldest message ``message_id`` in the first parking queue holding it."""
        async with self._lock:
            for queue in self.queues:
                found = await asyncio.wait_for(
                    act(connection, broker, queue, message_id, action), TIMEOUT
                )
                if found is not None:
                    return found
        return None


def access(actor: Actor, operation: str, info: ParkedInfo | None, channel: str) -> Access:
    """The access-log entry of one operation (``info`` None: a listing)."""
    county = None
    if info is not None and info.original_routing_key:
        words = info.original_routing_key.split(".")
        county = words[1] if len(words) > 1 and words[1] in COUNTY_CODES else None
    return Access(
        actor,
        ACCESS_ACTIONS[operation],
        RESOURCE,
        None if info is None or info.message_id is None else info.message_id[:36],
        None,
        PURPOSE,
        channel="http" if channel == "http" else "maintenance",
        county=county,
    )


# --- the API -----------------------------------------------------------------------------


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
    parked_at: str | None = Field(description="When it was parked (ISO 8601, UTC).")
    queue: str = Field(description="The parking queue holding it.")


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


class DeadLetterAction(BaseModel):
    action: str = Field(description="`requeue` or `discard`.")
    message: ParkedMessage = Field(description="The message acted on (its metadata).")


def _view(info: ParkedInfo) -> ParkedMessage:
    return ParkedMessage.model_validate(asdict(info))


ACTIONS: tuple[tuple[str, str, ParkedAction, str, str], ...] = (
    (
        "POST",
        "/{message_id}/requeue",
        "requeue",
        "Put a parked message back on its queue, to be verified and validated again",
        "Republished exactly as parked (signed, encrypted) to the consumer's own queue, "
        "confirmed before the parked copy is removed. If it fails again it is parked again, "
        "with its reason.",
    ),
    ("DELETE", "/{message_id}", "discard", "Discard a parked message", "It is removed."),
)

MessageId = Annotated[str, Path(max_length=200, description="The parked message's id.")]
_UNAVAILABLE = (TimeoutError, ConnectionError, aio_pika.exceptions.AMQPError)


def dead_letters_router(queue_names: Sequence[str]) -> APIRouter:
    """``/v1/ops/dead-letters`` over the parking queues of ``queue_names``."""
    router = APIRouter(prefix="/v1/ops/dead-letters", tags=["operations"])
    queues = DeadLetterQueues(queue_names)

    async def connected(runtime: RuntimeDep) -> AbstractConnection:
        if not runtime.broker.ready:
            raise ProblemError(503, "broker-unavailable", "Broker unavailable", "down: broker")
        return await runtime.broker.wait_connected()

    def unavailable() -> ProblemError:
        return ProblemError(
            503, "broker-unavailable", "Broker unavailable", "the broker did not answer"
        )

    async def logged(runtime: RuntimeDep, entry: Access) -> None:
        async with runtime.transactions.begin() as work:
            work.account(entry)

    @router.get(
        "",
        response_model=DeadLetters,
        summary="Parked messages per parking queue: counts and metadata, never a body",
        description=__doc__,
        responses=problem_responses(422, 503),
    )
    async def dead_letters(
        runtime: RuntimeDep,
        actor: ActorDep,
        limit: Annotated[
            int, Query(ge=0, le=100, description="Messages to describe per queue, oldest first.")
        ] = 10,
    ) -> DeadLetters:
        connection = await connected(runtime)
        try:
            found = await queues.list(connection)
        except _UNAVAILABLE:
            raise unavailable() from None
        await logged(runtime, access(actor, "list", None, "http"))
        return DeadLetters(
            generated_at=datetime.now(UTC),
            queues=[
                ParkingQueue(
                    queue=q.queue,
                    count=q.count,
                    peeked=q.taken,
                    messages=[_view(m) for m in q.messages[:limit]],
                )
                for q in found
            ],
        )

    async def one(
        runtime: RuntimeDep, actor: Actor, message_id: str, action: ParkedAction
    ) -> ParkedMessage:
        connection = await connected(runtime)
        try:
            info = await queues.act(connection, runtime.broker, message_id, action)
        except _UNAVAILABLE:
            raise unavailable() from None
        if info is None:
            raise not_found("parked message")
        await logged(runtime, access(actor, action, info, "http"))
        return _view(info)

    @router.get(
        "/{message_id}",
        response_model=ParkedMessage,
        summary="One parked message's metadata, never its body",
        responses=problem_responses(404, 422, 503),
    )
    async def show(runtime: RuntimeDep, actor: ActorDep, message_id: MessageId) -> ParkedMessage:
        return await one(runtime, actor, message_id, "show")

    def acting(action: ParkedAction) -> Callable[..., Awaitable[DeadLetterAction]]:
        async def endpoint(
            runtime: RuntimeDep, actor: ActorDep, message_id: MessageId
        ) -> DeadLetterAction:
            message = await one(runtime, actor, message_id, action)
            return DeadLetterAction(action=action, message=message)

        return endpoint

    for method, path, action, summary, description in ACTIONS:
        router.add_api_route(
            path,
            acting(action),
            methods=[method],
            response_model=DeadLetterAction,
            summary=summary,
            description=description,
            responses=problem_responses(404, 422, 503),
            name=action,
        )

    return router
