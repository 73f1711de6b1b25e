"""Settling a batch's deliveries with the broker: one ``basic.ack(multiple)`` per run of
acknowledged deliveries, a ``nack(requeue)`` for each returned one, in delivery order."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence

from aio_pika.abc import AbstractIncomingMessage

log = logging.getLogger(__name__)


async def settle_in_order(
    deliveries: Sequence[AbstractIncomingMessage], returned: set[int]
) -> None:
    """Acknowledge ``deliveries`` (in delivery order), except those whose ``id`` is in
    ``returned``: those go back to the queue.

    Each run of acknowledged deliveries on one channel is settled by ONE ``basic.ack`` with
    ``multiple`` on its last delivery tag, which covers every unsettled tag up to it on that
    channel. That is exactly the run: batches are settled one after another, in delivery
    order, so every earlier tag is settled already, and a returned delivery ends the run
    (it is nacked before anything after it is acknowledged).
    """
    run: list[AbstractIncomingMessage] = []

    async def ack_run() -> None:
        if run:
            await settle(run[-1].ack(multiple=len(run) > 1))
            run.clear()

    for delivery in deliveries:
        if run and delivery.channel is not run[-1].channel:
            await ack_run()  # a reconnected channel numbers its deliveries anew
        if id(delivery) in returned:  # back to the queue: nothing is lost
            await ack_run()
            await settle(delivery.nack(requeue=True))
        else:
            run.append(delivery)
    await ack_run()


async def settle(action: Awaitable[None]) -> None:
    """Ack or nack; a closed channel means the broker redelivers, which the inbox absorbs."""
    try:
        await action
    except Exception as error:
        log.warning("could not settle a delivery (%s); it will be redelivered", error)
