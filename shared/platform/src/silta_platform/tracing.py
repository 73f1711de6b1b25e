"""OpenTelemetry for a service process: the SDK, configured by the standard ``OTEL_*``
variables and off unless ``OTEL_TRACES_EXPORTER`` names an exporter (``otlp``, ``console``),
and the HTTP server span of every request.

The server span is named by the route's template (``POST /v1/referrals``); the path and query
as sent are the caller's input and may carry an identity code, so the hook below replaces
them by the template before anything is exported. The bus spans and the trace context in the
AMQP headers are ``silta_messaging.tracing``'s.

While tracing is off (no SDK installed) a request gets no server span at all: OpenTelemetry's
ASGI middleware would still resolve the route and build a span that records nothing, about
7 % of Kela's CPU under load. Only the caller's trace context (``traceparent``) is made
current, so log lines and the messages the request sends still carry the caller's trace.
"""

from __future__ import annotations

import os
from importlib.metadata import entry_points

from opentelemetry import context, propagate, trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.fastapi import _get_default_span_details
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Span
from opentelemetry.util.http import parse_excluded_urls
from starlette.types import ASGIApp, Receive, Scope, Send

from silta_platform.access_log import NO_ROUTE

EXPORTERS = "opentelemetry_traces_exporter"  # the SDK's entry points: otlp, console, ...
_AS_SENT = ("http.target", "http.url", "url.full", "url.path", "url.query")
NOT_TRACED = "/healthz,/readyz"  # the probes; OTEL_PYTHON_FASTAPI_EXCLUDED_URLS overrides


def exporters_named() -> list[str]:
    names = os.environ.get("OTEL_TRACES_EXPORTER", "none").split(",")
    return [name.strip() for name in names if name.strip() not in ("", "none")]


def configure_tracing(service: str) -> TracerProvider | None:
    """Install the SDK with the exporters ``OTEL_TRACES_EXPORTER`` names; None (spans stay
    no-ops) when it names none, the default."""
    names = exporters_named()
    if not names:
        return None
    available = {point.name: point for point in entry_points(group=EXPORTERS)}
    if "otlp" not in available and "otlp_proto_http" in available:
        available["otlp"] = available["otlp_proto_http"]  # the one installed: OTLP over HTTP
    unknown = [name for name in names if name not in available]
    if unknown:
        raise ValueError(f"OTEL_TRACES_EXPORTER: no exporter named {', '.join(unknown)}")
    resource = Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME", service)})
    provider = TracerProvider(resource=resource)
    for name in names:
        exporter: SpanExporter = available[name].load()()
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider


def _route_only(span: Span, scope: Scope) -> None:
    """The request's span keeps the route's template, never the path or query as sent."""
    if span.is_recording():
        _, attributes = _get_default_span_details(scope)
        route = attributes.get("http.route", NO_ROUTE)
        present = getattr(span, "attributes", None) or {}  # the SDK's span has them
        for key in _AS_SENT:
            if key in present:
                span.set_attribute(key, "" if key == "url.query" else route)


class CallersContext:
    """Tracing off: the caller's trace context, when the request carries one, made current
    for the request; nothing else."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._fields = {field.encode("latin-1") for field in propagate.get_global_textmap().fields}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fields = self._fields
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope.get("headers", ())
            if name in fields
        }
        if not carrier:
            await self.app(scope, receive, send)
            return
        token = context.attach(propagate.extract(carrier))
        try:
            await self.app(scope, receive, send)
        finally:
            context.detach(token)


def traced(app: ASGIApp) -> ASGIApp:
    """``app`` inside a server span per request once the SDK is installed; else only inside
    the caller's trace context (``CallersContext``)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        return CallersContext(app)
    return OpenTelemetryMiddleware(
        app,
        default_span_details=_get_default_span_details,
        server_request_hook=_route_only,
        exclude_spans=["receive", "send"],
        excluded_urls=parse_excluded_urls(
            os.environ.get("OTEL_PYTHON_FASTAPI_EXCLUDED_URLS", NOT_TRACED)
        ),
    )
