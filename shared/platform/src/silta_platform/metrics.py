"""``GET /v1/ops/metrics``: how the service is doing, for operations and their scrapers.

Prometheus text exposition format. Only technical figures about this process, its database
queues and the broker's queues: nothing about any client, no referral counts (the statistics
endpoint has those, with small-cell suppression).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime

import aio_pika
from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from silta_messaging.tables import MessagingTables
from silta_messaging.topology import parking_queue_name
from sqlalchemy import func, select

from silta_platform.db import as_utc
from silta_platform.http import RuntimeDep
from silta_platform.problems import problem_responses

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _line(name: str, value: float, help_text: str, labels: str = "") -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name}{labels} {value:g}"]


async def _queue_depths(
    connection: aio_pika.abc.AbstractConnection, names: Sequence[str]
) -> dict[str, int]:
    depths: dict[str, int] = {}
    for name in names:
        channel = await connection.channel()
        try:
            queue = await channel.declare_queue(name, passive=True)
            depths[name] = int(queue.declaration_result.message_count or 0)
        except aio_pika.exceptions.ChannelClosed:
            depths[name] = 0  # not declared yet: nothing in it
        finally:
            with contextlib.suppress(Exception):
                await channel.close()
    return depths


def metrics_router(tables: MessagingTables, queue_names: Sequence[str]) -> APIRouter:
    """``/v1/ops/metrics`` for a service with ``tables`` consuming ``queue_names``."""
    router = APIRouter(prefix="/v1/ops", tags=["operations"])

    @router.get(
        "/metrics",
        response_class=PlainTextResponse,
        summary="Metrics in Prometheus text format (no personal data)",
        responses={
            200: {"content": {CONTENT_TYPE: {"schema": {"type": "string"}}}},
            **problem_responses(),
        },
    )
    async def metrics(runtime: RuntimeDep) -> PlainTextResponse:
        outbox, inbox = tables.outbox, tables.inbox
        now = datetime.now(UTC)
        async with runtime.engine.connect() as conn:
            pending, oldest, retried = (
                await conn.execute(
                    select(
                        func.count(),
                        func.min(outbox.c.created_at),
                        func.count().filter(outbox.c.attempts > 0),
                    ).where(outbox.c.published_at.is_(None))
                )
            ).one()
            received = (await conn.execute(select(func.count()).select_from(inbox))).scalar_one()
        age = 0.0 if oldest is None else max(0.0, (now - as_utc(oldest)).total_seconds())
        lines = [
            *_line("silta_broker_connected", float(runtime.broker.ready), "1 while connected."),
            *_line(
                "silta_consumers_subscribed",
                sum(1 for c in runtime.consumers if c.subscribed),
                "Queues this process consumes right now.",
            ),
            *_line(
                "silta_relay_publishing",
                float(runtime.relay.publishing),
                "1 while this replica holds the relay lease and publishes the outbox.",
            ),
            *_line("silta_outbox_pending", pending, "Messages waiting to be published."),
            *_line(
                "silta_outbox_oldest_pending_seconds",
                age,
                "Age of the oldest message waiting to be published.",
            ),
            *_line("silta_outbox_retried_pending", retried, "Waiting messages the broker refused."),
            *_line("silta_inbox_messages", received, "Messages received and processed."),
        ]
        if runtime.broker.ready:
            names = [q for name in queue_names for q in (name, parking_queue_name(name))]
            with contextlib.suppress(Exception):  # the broker's figures are best effort
                connection = await runtime.broker.wait_connected()
                depths = await _queue_depths(connection, names)
                lines += [
                    "# HELP silta_queue_messages Messages waiting in a queue of this service.",
                    "# TYPE silta_queue_messages gauge",
                    *(f'silta_queue_messages{{queue="{q}"}} {n}' for q, n in depths.items()),
                ]
        return PlainTextResponse("\n".join(lines) + "\n", media_type=CONTENT_TYPE)

    return router
