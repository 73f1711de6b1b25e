"""Logs: one JSON object per line (structlog), never an identity code in clear.

Every line carries ``timestamp``, ``service``, ``level``, ``logger`` and ``event``, the
``trace_id`` and ``span_id`` of the span it was written in (``silta_platform.tracing``,
``silta_messaging.tracing``), and the ids a call passes in ``extra`` (``message_id``,
``kind``, ``referral_id``): ids and kinds only. ``LOG_FORMAT=console`` renders the same
fields readably (``make run``).

A filter on the root handler redacts every identity-code-shaped string from the final
message (after %-formatting; URL-encoded ones too, see ``redact_identity_codes``), and the
renderer redacts every other string value once more (an exception's traceback, an extra), so
neither a careless log call nor a library's exception text can leak one. HTTP requests are
logged by ``silta_platform.access_log`` with their route's template, never the path or query.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, Literal

import structlog
from opentelemetry import trace
from silta_schemas.identity import redact_identity_codes
from structlog.typing import EventDict, Processor, WrappedLogger

from silta_platform.access_log import ACCESS_LOGGER

LogFormat = Literal["json", "console"]


class RedactIdentityCodes(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_identity_codes(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_identity_codes(record.exc_text)
        record.msg, record.args = redacted, None
        return True


def _trace_ids(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event


def _redacted(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """Redact every string value, and drop the ids a call did not know (None)."""
    return {
        key: redact_identity_codes(value) if isinstance(value, str) else value
        for key, value in event.items()
        if value is not None
    }


def _exception_text(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """The traceback the filter already formatted and redacted (``exc_text``)."""
    record = event.get("_record")
    event.pop("exc_info", None)
    if isinstance(record, logging.LogRecord) and record.exc_text:
        event["exception"] = record.exc_text
    return event


def formatter(service: str, log_format: LogFormat = "json") -> logging.Formatter:
    def add_service(_: WrappedLogger, __: str, event: MutableMapping[str, Any]) -> EventDict:
        event["service"] = service
        return dict(event)

    chain: list[Processor] = [
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_service,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _trace_ids,
        _exception_text,
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=chain,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _redacted,
            renderer,
        ],
    )


def configure_logging(
    level: str, service: str, *, access_log: bool = True, log_format: LogFormat = "json"
) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(service, log_format))
    handler.addFilter(RedactIdentityCodes())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # never the path and query as sent
    logging.getLogger(ACCESS_LOGGER).disabled = not access_log
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger("aio_pika").setLevel(logging.WARNING)
