"""OpenTelemetry spans and W3C trace context for the bus (API only: the SDK, if any, is set
up by ``silta_platform.tracing``; without it every span here is a no-op).

The trace context of the request that wrote an outbox row is stored with the row
(``trace_context``), the relay's PRODUCER span continues it and injects its own context into
the AMQP headers (``traceparent``, ``tracestate``), and the consumer's CONSUMER span is a
child of the context it extracts: one trace from Kela's POST to the county and back.
Attributes are ids, kinds and names only, never personal data.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from aio_pika.abc import AbstractIncomingMessage
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode

from silta_messaging.broker import Outgoing
from silta_messaging.incoming import Incoming

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
TRACE_HEADERS = (TRACEPARENT, TRACESTATE)
tracer = trace.get_tracer("silta_messaging")
log = logging.getLogger(__name__)


def current_trace_context() -> str | None:
    """The caller's trace context as stored with an outbox row (JSON), or None without one."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    kept = {key: value for key, value in carrier.items() if key in TRACE_HEADERS}
    return json.dumps(kept) if kept else None


def stored_context(stored: str | None) -> Context | None:
    """The context an outbox row was written in (None: the relay's span starts a trace)."""
    if not stored:
        return None
    try:
        carrier = json.loads(stored)
    except ValueError:
        return None
    return propagate.extract(carrier) if isinstance(carrier, dict) else None


def header_context(headers: Mapping[str, Any] | None) -> Context:
    """The context a delivery's publisher injected into its AMQP headers."""
    carrier = {
        key: value.decode() if isinstance(value, bytes) else str(value)
        for key, value in (headers or {}).items()
        if key in TRACE_HEADERS
    }
    return propagate.extract(carrier)


def messaging_attributes(
    exchange: str, routing_key: str, message_id: str, kind: str
) -> dict[str, str]:
    return {
        "messaging.system": "rabbitmq",
        "messaging.destination.name": exchange,
        "messaging.rabbitmq.destination.routing_key": routing_key,
        "messaging.message.id": message_id,
        "silta.message.kind": kind,
    }


def producer_span(
    parent: Context | None, exchange: str, routing_key: str, message_id: str, kind: str
) -> tuple[Span, dict[str, str]]:
    """A PRODUCER span for one publish and the headers that carry its context."""
    span = tracer.start_span(
        f"publish {exchange}",
        context=parent,
        kind=SpanKind.PRODUCER,
        attributes={
            **messaging_attributes(exchange, routing_key, message_id, kind),
            "messaging.operation.type": "publish",
        },
    )
    headers: dict[str, str] = {}
    propagate.inject(headers, context=trace.set_span_in_context(span))
    return span, {key: value for key, value in headers.items() if key in TRACE_HEADERS}


def consumer_span(
    headers: Mapping[str, Any] | None,
    queue: str,
    exchange: str,
    routing_key: str,
    message_id: str,
    kind: str,
) -> Span:
    """A CONSUMER span for one delivery, a child of the publisher's context."""
    return tracer.start_span(
        f"process {queue}",
        context=header_context(headers),
        kind=SpanKind.CONSUMER,
        attributes={
            **messaging_attributes(exchange, routing_key, message_id, kind),
            "messaging.operation.type": "process",
            "messaging.destination.subscription.name": queue,
        },
    )


class PublishSpans:
    """The PRODUCER spans of one relay pass, and its messages with their trace headers."""

    def __init__(self, messages: Sequence[Outgoing]) -> None:
        self.spans: list[Span] = []
        self.messages: list[Outgoing] = []
        for message in messages:
            span, headers = producer_span(
                stored_context(message.trace_context),
                message.exchange,
                message.routing_key,
                message.message_id,
                message.kind,
            )
            self.spans.append(span)
            self.messages.append(
                dataclasses.replace(message, headers={**message.headers, **headers})
            )
        self._finished = False

    def finish(self, results: Sequence[BaseException | None]) -> None:
        """End each span with the broker's answer; log each message the broker confirmed."""
        for message, span, error in zip(self.messages, self.spans, results, strict=True):
            if error is None:
                with trace.use_span(span, end_on_exit=False):
                    log.info(
                        "message published",
                        extra={"message_id": message.message_id, "kind": message.kind},
                    )
            else:
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            span.end()
        self._finished = True

    def abandon(self, error: BaseException) -> None:
        if not self._finished:
            for span in self.spans:
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                span.end()


@contextmanager
def publish_spans(messages: Sequence[Outgoing]) -> Iterator[PublishSpans]:
    traced = PublishSpans(messages)
    try:
        yield traced
    except BaseException as error:
        traced.abandon(error)
        raise


def delivery_span(delivery: AbstractIncomingMessage, queue: str) -> Span:
    return consumer_span(
        delivery.headers,
        queue,
        delivery.exchange or "",
        delivery.routing_key or "",
        delivery.message_id or "",
        delivery.type or "unknown",
    )


@contextmanager
def batch_scope(spans: Sequence[Span], queue: str) -> Iterator[None]:
    """The consumer's work on a batch runs in its one delivery's span, or, for several, in a
    span linked to each (what the handlers publish then continues that trace); every span
    ends with the batch."""
    try:
        if len(spans) == 1:
            with trace.use_span(spans[0], end_on_exit=False):
                yield
        else:
            links = [Link(span.get_span_context()) for span in spans]
            with tracer.start_as_current_span(
                f"process batch {queue}",
                kind=SpanKind.CONSUMER,
                links=links,
                attributes={
                    "messaging.system": "rabbitmq",
                    "messaging.operation.type": "process",
                    "messaging.batch.message_count": len(spans),
                    "messaging.destination.subscription.name": queue,
                },
            ):
                yield
    finally:
        for span in spans:
            span.end()


def received(span: Span, incoming: Incoming) -> None:
    """The "message received" line, in the delivery's span: ids and kind only."""
    envelope = incoming.envelope
    with trace.use_span(span, end_on_exit=False):
        log.info(
            "message received",
            extra={
                "message_id": str(envelope.message_id),
                "kind": str(envelope.kind),
                "referral_id": str(envelope.referral_id) if envelope.referral_id else None,
            },
        )


def rejected(span: Span, rule: str) -> None:
    span.set_status(Status(StatusCode.ERROR, rule))
    span.set_attribute("silta.parked.reason", rule)
