"""One trace follows a referral from Kela's POST over the bus to the county and back, and
the log lines of that trip are JSON carrying its trace id and the referral's id, never the
client's identity code.

Both services run in-process (the ``both`` fixture) with the OpenTelemetry SDK exporting to
memory, as ``OTEL_TRACES_EXPORTER`` would configure it for a real exporter.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from silta_messaging.topology import COUNTY_EXCHANGE, KELA_EXCHANGE
from silta_platform.authorisation import Role, Side

from tests.integration.authorised import notice
from tests.integration.conftest import Both, eventually

EXPORTED = InMemorySpanExporter()
KIND = "silta.message.kind"
MESSAGE_ID = "messaging.message.id"


class _WhileRecording(SimpleSpanProcessor):
    """Keeps spans only during the tests of this module (the provider stays installed)."""

    recording = False

    def on_end(self, span: ReadableSpan) -> None:
        if self.recording:
            super().on_end(span)


PROCESSOR = _WhileRecording(EXPORTED)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The SDK installed once for the test process (a provider cannot be replaced), its spans
    kept in memory during each test of this module."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(PROCESSOR)
        trace.set_tracer_provider(provider)
    EXPORTED.clear()
    PROCESSOR.recording = True
    yield EXPORTED
    PROCESSOR.recording = False
    EXPORTED.clear()


async def _round_trip(both: Both, spans: InMemorySpanExporter) -> tuple[str, str]:
    """Send a notice to county 11 and wait until Kela has consumed the county's delivered
    acknowledgement; the referral's id and the client's identity code."""
    body = notice()
    officer = both.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)
    sent = await both.kela.post("/v1/referrals", json=body, headers=officer)
    assert sent.status_code == 201, sent.text
    referral_id: str = sent.json()["id"]

    def acknowledgement_consumed() -> bool:
        return any(
            span.kind is SpanKind.CONSUMER
            and _attributes(span).get(KIND) == "status_acknowledgement"
            for span in spans.get_finished_spans()
        )

    async def consumed() -> bool:
        return acknowledgement_consumed()

    await eventually(consumed)
    return referral_id, body["client"]["identity_code"]


def _attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def _one(spans: Sequence[ReadableSpan], kind: SpanKind, **wanted: str) -> ReadableSpan:
    found = [
        span
        for span in spans
        if span.kind is kind and all(_attributes(span).get(key) == v for key, v in wanted.items())
    ]
    assert len(found) == 1, (kind, wanted, [(s.name, s.attributes) for s in spans])
    return found[0]


async def test_one_trace_goes_from_kelas_post_through_the_bus_to_the_county_and_back(
    spans: InMemorySpanExporter, both: Both
) -> None:
    _, identity_code = await _round_trip(both, spans)
    finished = spans.get_finished_spans()
    [post] = [s for s in finished if s.kind is SpanKind.SERVER and s.name == "POST /v1/referrals"]
    trace_id = post.context.trace_id

    # Kela's relay publishes the notice in the POST's trace, from the row the POST wrote.
    published = _one(finished, SpanKind.PRODUCER, **{"silta.message.kind": "notice_of_need"})
    assert published.context.trace_id == trace_id
    assert _attributes(published)["messaging.system"] == "rabbitmq"
    assert _attributes(published)["messaging.destination.name"] == KELA_EXCHANGE
    assert _attributes(published)["messaging.rabbitmq.destination.routing_key"].startswith(
        "notice_of_need."
    )
    # The county consumes it as a child of the publish, from the AMQP headers.
    consumed = _one(finished, SpanKind.CONSUMER, **{"silta.message.kind": "notice_of_need"})
    assert consumed.context.trace_id == trace_id
    assert consumed.parent is not None
    assert consumed.parent.span_id == published.context.span_id
    assert _attributes(consumed)[MESSAGE_ID] == _attributes(published)[MESSAGE_ID]
    # ... and its delivered acknowledgement comes back to Kela in the same trace.
    answered = _one(finished, SpanKind.PRODUCER, **{"silta.message.kind": "status_acknowledgement"})
    assert _attributes(answered)["messaging.destination.name"] == COUNTY_EXCHANGE
    assert answered.context.trace_id == trace_id
    applied = _one(finished, SpanKind.CONSUMER, **{"silta.message.kind": "status_acknowledgement"})
    assert applied.context.trace_id == trace_id
    assert applied.parent is not None
    assert applied.parent.span_id == answered.context.span_id

    # Names and attributes: ids, kinds and route templates, never the client's data, even
    # when a caller puts an identity code in the path or the query.
    officer = both.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)
    await both.kela.get(f"/v1/directory?q={identity_code}", headers=officer)
    await both.kela.get(f"/v1/referrals/{identity_code}", headers=officer)
    finished = spans.get_finished_spans()
    assert {"GET /v1/directory", "GET /v1/referrals/{referral_id}"} <= {s.name for s in finished}
    for span in finished:
        text = json.dumps([span.name, _attributes(span)], default=str)
        assert identity_code not in text, text


async def test_log_lines_are_json_with_the_trace_and_referral_ids_and_no_identity_code(
    spans: InMemorySpanExporter, both: Both, service_logs: io.StringIO
) -> None:
    referral_id, identity_code = await _round_trip(both, spans)
    [post] = [
        s
        for s in spans.get_finished_spans()
        if s.kind is SpanKind.SERVER and s.name == "POST /v1/referrals"
    ]
    trace_id = format(post.context.trace_id, "032x")
    raw = service_logs.getvalue()
    assert identity_code not in raw
    lines = [json.loads(line) for line in raw.splitlines()]  # every line one JSON object
    for line in lines:
        assert {"timestamp", "service", "level", "event"} <= line.keys(), line
    ours = [line for line in lines if line.get("trace_id") == trace_id]
    events = {line["event"] for line in ours}
    assert any('"POST /v1/referrals HTTP/1.1" 201' in event for event in events), ours
    assert {"message published", "message received", "acknowledgement applied"} <= events, ours
    received = [line for line in ours if line["event"] == "message received"]
    assert {line["referral_id"] for line in received} == {referral_id}
    assert {line["kind"] for line in received} == {"notice_of_need", "status_acknowledgement"}
    assert all(len(line["span_id"]) == 16 and line["message_id"] for line in received)
    [applied] = [line for line in ours if line["event"] == "acknowledgement applied"]
    assert applied["referral_id"] == referral_id
    assert applied["status"] == "delivered"
