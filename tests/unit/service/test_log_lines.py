"""Log lines as the services write them (``silta_platform.logs``): one JSON object each,
with the service, level, event and ids, never an identity code; and tracing off unless an
exporter is named (``silta_platform.tracing``)."""

from __future__ import annotations

import io
import json
import logging

import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from silta_platform.logs import LogFormat, RedactIdentityCodes, formatter
from silta_platform.tracing import configure_tracing
from silta_schemas import examples

CODE = examples.EXAMPLE_IDENTITY_CODE


def _written(log_format: LogFormat = "json") -> tuple[logging.Logger, io.StringIO]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(formatter("kela-side", log_format))
    handler.addFilter(RedactIdentityCodes())
    logger = logging.getLogger(f"test.log_lines.{log_format}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, buffer


def test_a_line_is_json_with_the_ids_and_the_trace_it_was_written_in() -> None:
    logger, buffer = _written()
    span = NonRecordingSpan(SpanContext(0xABC, 0xDEF, True, TraceFlags(1)))
    with trace.use_span(span):
        logger.info(
            "message received",
            extra={"message_id": "m-1", "kind": "notice_of_need", "referral_id": None},
        )
    line = json.loads(buffer.getvalue())
    assert line["event"] == "message received"
    assert line["service"] == "kela-side"
    assert line["level"] == "info"
    assert line["message_id"] == "m-1"
    assert line["trace_id"] == f"{0xABC:032x}"
    assert line["span_id"] == f"{0xDEF:016x}"
    assert "referral_id" not in line  # an id not known is left out


def test_no_identity_code_in_the_message_an_extra_or_a_traceback() -> None:
    logger, buffer = _written()
    try:
        raise ValueError(f"bad code {CODE}")
    except ValueError:
        logger.exception("failed for %s", CODE, extra={"detail": f"q={CODE}"})
    text = buffer.getvalue()
    assert CODE not in text
    assert CODE[:6] not in text
    line = json.loads(text)
    assert "[henkilötunnus]" in line["event"]
    assert "[henkilötunnus]" in line["detail"]
    assert "ValueError: bad code [henkilötunnus]" in line["exception"]


def test_the_console_format_is_readable_and_redacted_too() -> None:
    logger, buffer = _written("console")
    logger.info("hello %s", CODE, extra={"message_id": "m-1"})
    text = buffer.getvalue()
    assert "hello [henkilötunnus]" in text
    assert "message_id=m-1" in text
    assert not text.startswith("{")


def test_tracing_is_off_unless_an_exporter_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    assert configure_tracing("kela-side") is None
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert configure_tracing("kela-side") is None
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "no-such-exporter")
    with pytest.raises(ValueError, match="no-such-exporter"):
        configure_tracing("kela-side")
