"""Metrics for Prometheus: ``GET /metrics`` on ``METRICS_PORT`` (no token: for the scrape) and
``GET /v1/ops/metrics`` (the operations role's token), both the same exposition.

Process-wide (``prometheus_client``'s registry): the HTTP latency histogram per route
template (``silta_http_request_duration_seconds``), the bus counters
(``silta_messaging.metrics``) and the process's own figures. Read from this service at each
scrape: broker connected, consumers subscribed, which replica publishes, the outbox's backlog
and the age of its oldest unpublished message (outbox lag), each queue's depth (consumer lag;
the ``.parked`` queues are the dead letters) and overdue referrals per county. Labels are
route templates, kinds, reasons, queue names and county codes: never an id, a path as sent,
or anything personal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from wsgiref.simple_server import WSGIServer

import aio_pika
from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, start_http_server
from silta_messaging.tables import MessagingTables
from silta_messaging.topology import parking_queue_name
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from silta_platform.access_log import NO_ROUTE, route_of
from silta_platform.db import as_utc
from silta_platform.http import RuntimeDep
from silta_platform.problems import problem_responses
from silta_platform.runtime import Runtime

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
SCRAPE_TIMEOUT_SECONDS = 5.0
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Methods labelled as such; any other a client sends is ``other`` (labels stay few)."""

OverdueCounts = Callable[[AsyncConnection, datetime], Awaitable[Mapping[str, int]]]
"""Overdue referrals per county code now (``silta_records.deadlines.overdue_by_county``)."""

HTTP_SECONDS = Histogram(
    "silta_http_request_duration_seconds",
    "Time from request to the end of the answer, by method, route template and status.",
    ["method", "route", "status"],
)


class HttpMetrics:
    """ASGI middleware observing each HTTP request in ``silta_http_request_duration_seconds``
    under its route's template (``unmatched`` when no route matched), never the path sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def timed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, timed)
        finally:
            route = route_of(scope)
            method = scope.get("method", "")
            HTTP_SECONDS.labels(
                method if method in METHODS else "other",
                "unmatched" if route == NO_ROUTE else route,
                str(status),
            ).observe(time.perf_counter() - started)


def _gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, value=value)


def _labelled(name: str, help_text: str, label: str, values: Mapping[str, int]) -> Metric:
    family = GaugeMetricFamily(name, help_text, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family


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


class _Exposition:
    """A collector: the process-wide registry, then this service's figures."""

    def __init__(self, service: Callable[[], Iterable[Metric]]) -> None:
        self._service = service

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
        yield from self._service()


def _registry(service: Callable[[], Iterable[Metric]]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Exposition(service))
    return registry


class ServiceMetrics:
    """A service's metrics: its outbox and inbox (``tables``), the queues it consumes
    (``queue_names``; their parking queues too) and, if given, its overdue referrals."""

    def __init__(
        self,
        tables: MessagingTables,
        queue_names: Sequence[str],
        overdue: OverdueCounts | None = None,
    ) -> None:
        self._tables = tables
        self._queues = [q for name in queue_names for q in (name, parking_queue_name(name))]
        self._overdue = overdue

    async def families(self, runtime: Runtime) -> list[Metric]:
        """This service's figures now (database and broker best effort: a figure that cannot
        be read is left out, and ``silta_broker_connected`` says why)."""
        families: list[Metric] = [
            _gauge("silta_broker_connected", "1 while connected.", float(runtime.broker.ready)),
            _gauge(
                "silta_consumers_subscribed",
                "Queues this process consumes right now.",
                sum(1 for c in runtime.consumers if c.subscribed),
            ),
            _gauge(
                "silta_relay_publishing",
                "1 while this replica holds the relay lease and publishes the outbox.",
                float(runtime.relay.publishing),
            ),
        ]
        try:
            families += await self._database(runtime)
        except Exception as error:
            log.warning("metrics: the database did not answer (%s)", type(error).__name__)
        if runtime.broker.ready:
            with contextlib.suppress(Exception):  # the broker's figures are best effort
                connection = await runtime.broker.wait_connected()
                depths = await _queue_depths(connection, self._queues)
                families.append(
                    _labelled(
                        "silta_queue_messages",
                        "Messages waiting in a queue of this service (consumer lag; .parked: "
                        "dead letters).",
                        "queue",
                        depths,
                    )
                )
        return families

    async def _database(self, runtime: Runtime) -> list[Metric]:
        outbox, inbox = self._tables.outbox, self._tables.inbox
        now = datetime.now(UTC)
        # Counts over whole tables (the overdue referrals, the inbox): off the loop on SQLite.
        async with runtime.long_reads.connect() as conn:
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
            overdue = await self._overdue(conn, now) if self._overdue is not None else None
        age = 0.0 if oldest is None else max(0.0, (now - as_utc(oldest)).total_seconds())
        families: list[Metric] = [
            _gauge("silta_outbox_pending", "Messages waiting to be published.", pending),
            _gauge(
                "silta_outbox_oldest_pending_seconds",
                "Age of the oldest message waiting to be published (outbox lag).",
                age,
            ),
            _gauge("silta_outbox_retried_pending", "Waiting messages the broker refused.", retried),
            _gauge("silta_inbox_messages", "Messages received and processed.", received),
        ]
        if overdue is not None:
            families.append(
                _labelled(
                    "silta_referrals_overdue",
                    "Referrals past their deadline and still waiting, per county code.",
                    "county",
                    overdue,
                )
            )
        return families

    async def render(self, runtime: Runtime) -> bytes:
        """The exposition text: the process-wide registry and this service's figures."""
        families = await self.families(runtime)
        return generate_latest(_registry(lambda: families))

    def router(self) -> APIRouter:
        """``GET /v1/ops/metrics``: the same exposition, for the operations role."""
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
            return PlainTextResponse(await self.render(runtime), media_type=CONTENT_TYPE)

        return router

    def serve(self, runtime: Runtime, host: str, port: int) -> MetricsListener:
        """Serve ``GET /metrics`` without a token on ``host:port`` (a thread), reading this
        service's figures through the running event loop."""
        loop = asyncio.get_running_loop()

        def from_the_loop() -> list[Metric]:
            with contextlib.suppress(RuntimeError):  # no loop runs in this thread: go on
                asyncio.get_running_loop()
                return []  # never wait for the loop from its own thread
            future = asyncio.run_coroutine_threadsafe(self.families(runtime), loop)
            try:
                return future.result(SCRAPE_TIMEOUT_SECONDS)
            except Exception:
                future.cancel()
                log.warning("metrics: this service's figures took too long; left out")
                return []

        server, thread = start_http_server(port, host, registry=_registry(from_the_loop))
        return MetricsListener(server, thread)


class MetricsListener:
    """The ``METRICS_PORT`` listener; ``close`` stops it."""

    def __init__(self, server: WSGIServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    async def close(self) -> None:
        await asyncio.to_thread(self._server.shutdown)
        self._server.server_close()
