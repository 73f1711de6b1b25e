"""RabbitMQ topology: one durable topic exchange per direction, quorum queues, parking.

Routing keys are ``{kind}.{county_code}`` so that a municipality-side deployment binds
exactly the counties it serves, and new message kinds need no new exchanges. The grammar is
written here once: :func:`routing_key` and :func:`exchange_of` address what a side sends,
:func:`county_bindings` and :func:`child_welfare_bindings` say what a county side reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractQueue
from silta_schemas.codes import MessageKind
from silta_schemas.parties import KELA

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
PARKED_AT_HEADER = "x-silta-parked-at"

EXCHANGES: tuple[tuple[str, aio_pika.ExchangeType], ...] = (
    (KELA_EXCHANGE, aio_pika.ExchangeType.TOPIC),
    (COUNTY_EXCHANGE, aio_pika.ExchangeType.TOPIC),
    (DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.DIRECT),
)
"""Every exchange and its type (all durable): what the services declare or check, and what
``infra/broker_users.py`` provisions."""


CHILD_WELFARE = "child_welfare"
"""Last word of a child-welfare notice's routing key: it goes to the county's child-welfare
queue, never to the general one (Child Welfare Act 417/2007 §25)."""


EVERY_COUNTY = "all"
"""The county word of what Kela sends to every county at once (its directory updates)."""

CHILD_WELFARE_KINDS = frozenset({MessageKind.NOTICE_OF_NEED, MessageKind.CANCELLATION})
"""The kinds whose routing key may end in ``child_welfare``: a child-welfare notice and the
cancellation that follows it (on the same queue, so never before the notice)."""

BROADCAST_KINDS = frozenset({MessageKind.DIRECTORY_UPDATE})
"""The kinds Kela sends to every county at once (``{kind}.all``)."""


def exchange_of(sender: str) -> str:
    """The exchange of everything ``sender`` (``kela`` or ``county-NN``) sends."""
    return KELA_EXCHANGE if sender == KELA else COUNTY_EXCHANGE


def routing_key(kind: str, county_code: str, *, child_welfare: bool = False) -> str:
    """The routing key of a message of ``kind`` to or from ``county_code``.

    ``{kind}.{county}``; a child-welfare notice gets a third word, so that ``*.{county}``
    bindings (the general queue) never match it.
    """
    if child_welfare and kind not in CHILD_WELFARE_KINDS:
        raise ValueError(f"{kind} is never sent to a child-welfare queue")
    key = f"{kind}.{county_code}"
    return f"{key}.{CHILD_WELFARE}" if child_welfare else key


KELA_BROADCAST_KEY = routing_key(MessageKind.DIRECTORY_UPDATE, EVERY_COUNTY)
"""Kela's directory updates on ``silta.kela``: every county side binds it."""


def county_bindings(counties: Iterable[str]) -> tuple[str, ...]:
    """What a county side's general queue reads: every kind to a county it serves (Kela's
    statement receipts included, child-welfare notices not), and Kela's directory updates."""
    return (*(f"*.{code}" for code in sorted(counties)), KELA_BROADCAST_KEY)


def child_welfare_bindings(counties: Iterable[str]) -> tuple[str, ...]:
    """What a county side's child-welfare queue reads: child-welfare notices to the counties
    it serves, and the cancellations that follow them."""
    return tuple(f"*.{code}.{CHILD_WELFARE}" for code in sorted(counties))


KELA_BINDINGS = ("#",)
"""What Kela's queue reads of ``silta.county``: everything every county sends."""


def parking_queue_name(queue_name: str) -> str:
    return f"{queue_name}.parked"


def requeue_key(queue_name: str) -> str:
    """The key on the dead-letter exchange that puts a requeued parked message back on
    ``queue_name`` (``silta_messaging.parked``)."""
    return f"{queue_name}.requeue"


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
    for name, kind in EXCHANGES:
        await channel.declare_exchange(name, kind, durable=True, passive=passive)


async def declare_consumer_queue(
    channel: AbstractChannel, spec: ConsumerQueue, *, passive_exchanges: bool = False
) -> AbstractQueue:
    """Declare ``spec``'s quorum queue, its parking queue and bindings; return the queue.

    The queue is also bound to the dead-letter exchange by :func:`requeue_key`, where an
    operator's requeue puts a parked message back. The queue dead-letters at least once
    (quorum queues only) after ``delivery_limit`` failed deliveries, so a poison message is
    parked instead of looping for ever.
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
    await queue.bind(DEAD_LETTER_EXCHANGE, routing_key=requeue_key(spec.name))
    return queue
