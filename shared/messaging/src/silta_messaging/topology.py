"""RabbitMQ topology: one durable topic exchange per direction, quorum queues, parking.

Routing keys are ``{kind}.{county_code}`` so that a municipality-side deployment binds
exactly the counties it serves, and new message kinds need no new exchanges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractQueue

KELA_EXCHANGE = "silta.kela"
"""Kela → counties (notices, transfers, cancellations)."""
COUNTY_EXCHANGE = "silta.county"
"""Counties → Kela (status acknowledgements, statements)."""
DEAD_LETTER_EXCHANGE = "silta.dead-letter"
"""Where messages that cannot be processed are parked, keyed by the queue they left."""

REASON_HEADER = "x-silta-reason"
DETAIL_HEADER = "x-silta-detail"
ORIGINAL_ROUTING_KEY_HEADER = "x-silta-original-routing-key"
PARKED_BY_HEADER = "x-silta-parked-by"


CHILD_WELFARE = "child_welfare"
"""Last word of a child-welfare notice's routing key: it goes to the county's child-welfare
queue, never to the general one (Child Welfare Act 417/2007 §25)."""


def routing_key(kind: str, county_code: str, *, child_welfare: bool = False) -> str:
    """The routing key of a message of ``kind`` to or from ``county_code``.

    ``{kind}.{county}``; a child-welfare notice gets a third word, so that ``*.{county}``
    bindings (the general queue) never match it.
    """
    key = f"{kind}.{county_code}"
    return f"{key}.{CHILD_WELFARE}" if child_welfare else key


def parking_queue_name(queue_name: str) -> str:
    return f"{queue_name}.parked"


@dataclass(frozen=True)
class ConsumerQueue:
    """A service's inbound queue: where it reads, from which exchange, with which keys."""

    name: str
    exchange: str
    binding_keys: tuple[str, ...]
    delivery_limit: int = 5
    extra_arguments: dict[str, Any] = field(default_factory=dict)

    @property
    def parking_queue(self) -> str:
        return parking_queue_name(self.name)


async def declare_exchanges(channel: AbstractChannel, *, passive: bool = False) -> None:
    """Declare both directions' exchanges and the dead-letter exchange (idempotent).

    ``passive``: only check that they exist. A service whose broker user may not configure
    exchanges (``infra/broker_users.py`` declares them) declares passively.
    """
    for name in (KELA_EXCHANGE, COUNTY_EXCHANGE):
        await channel.declare_exchange(
            name, aio_pika.ExchangeType.TOPIC, durable=True, passive=passive
        )
    await channel.declare_exchange(
        DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True, passive=passive
    )


async def declare_consumer_queue(
    channel: AbstractChannel, spec: ConsumerQueue, *, passive_exchanges: bool = False
) -> AbstractQueue:
    """Declare ``spec``'s quorum queue, its parking queue and bindings; return the queue.

    The queue dead-letters at least once (quorum queues only) after ``delivery_limit``
    failed deliveries, so a poison message is parked instead of looping for ever.
    """
    await declare_exchanges(channel, passive=passive_exchanges)
    parking = await channel.declare_queue(
        spec.parking_queue, durable=True, arguments={"x-queue-type": "quorum"}
    )
    await parking.bind(DEAD_LETTER_EXCHANGE, routing_key=spec.name)
    queue = await channel.declare_queue(
        spec.name,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": spec.delivery_limit,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            "x-dead-letter-routing-key": spec.name,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
            **spec.extra_arguments,
        },
    )
    for key in spec.binding_keys:
        await queue.bind(spec.exchange, routing_key=key)
    return queue
