"""The W3C trace context an outbox row keeps and the AMQP headers carry
(``silta_messaging.tracing``), with no SDK installed: the context still travels."""

from __future__ import annotations

import json

from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from silta_messaging.tracing import (
    current_trace_context,
    header_context,
    producer_span,
    stored_context,
)

TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
SPAN_ID = 0x00F067AA0BA902B7
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _request_span() -> NonRecordingSpan:
    return NonRecordingSpan(SpanContext(TRACE_ID, SPAN_ID, True, TraceFlags(1)))


def test_outside_any_trace_the_outbox_row_keeps_no_context() -> None:
    assert current_trace_context() is None
    assert stored_context(None) is None
    assert stored_context("not json") is None


def test_the_request_context_is_stored_and_the_publish_continues_its_trace() -> None:
    with trace.use_span(_request_span()):
        stored = current_trace_context()
    assert stored is not None
    assert json.loads(stored) == {"traceparent": TRACEPARENT}

    span, headers = producer_span(
        stored_context(stored), "silta.kela", "notice_of_need.11", "m-1", "notice_of_need"
    )
    span.end()
    assert headers["traceparent"].split("-")[1] == f"{TRACE_ID:032x}"

    # the consumer reads it back from the AMQP headers (bytes, as aiormq may hand them)
    received = trace.get_current_span(header_context({"traceparent": TRACEPARENT.encode()}))
    assert received.get_span_context().trace_id == TRACE_ID
    assert received.get_span_context().span_id == SPAN_ID


def test_headers_without_trace_context_start_no_trace() -> None:
    context = header_context({"x-silta-signature": "…"})
    assert not trace.get_current_span(context).get_span_context().is_valid
