"""The HTTP edge: what every request and answer passes through before the application.

Two ASGI middlewares wrap the whole application (outside FastAPI's error handling, so a 500
gets them too):

* :class:`BodyLimit` refuses a request body over ``MAX_BODY_BYTES`` (or its route's own
  limit, ``Edge.body_limits``: a batch) with ``413`` problem details *before* anything reads
  it: by its ``Content-Length`` up front, and a chunked body by counting it as it arrives,
  stopping past the limit. Authentication, JSON parsing and validation never see such a body.
* :class:`SecurityHeaders` adds ``X-Content-Type-Options: nosniff`` and
  ``Cache-Control: no-store`` to every answer (the documentation's static assets excepted),
  and ``Strict-Transport-Security`` under TLS.

The rate limit is :mod:`silta_platform.rate_limit`; TLS and mutual TLS
:mod:`silta_platform.tls`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from silta_platform.problems import refusal
from silta_platform.rate_limit import RateLimiter
from silta_platform.settings import ServiceSettings

DOCS_ASSETS = "/docs/assets"
"""Where the documentation's JavaScript and CSS are served (cacheable: no personal data)."""
DEFAULT_MAX_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class Edge:
    """The edge's settings as the middlewares and the authorisation read them
    (``app.state.edge``, set when the service starts)."""

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    body_limits: Mapping[str, int] = field(default_factory=dict)
    """Paths taking a larger (or smaller) body than ``max_body_bytes`` (a batch's route)."""
    hsts_max_age_seconds: int = 31_536_000
    rate_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(""))
    client_org_binding: bool = False
    """Mutual TLS binds a token's ``org`` to the client certificate (``silta_platform.tls``)."""

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> Edge:
        return cls(
            max_body_bytes=settings.max_body_bytes,
            body_limits=settings.body_limits(),
            hsts_max_age_seconds=settings.hsts_max_age_seconds,
            rate_limiter=RateLimiter(settings.rate_limit),
            client_org_binding=settings.tls_client_ca_file is not None
            and settings.tls_client_org_binding,
        )


_DEFAULT = Edge()


def edge_of(scope: Scope) -> Edge:
    """The running application's edge settings (the defaults before it has started)."""
    app = scope.get("app")
    edge = getattr(getattr(app, "state", None), "edge", None)
    return edge if isinstance(edge, Edge) else _DEFAULT


class _TooLarge(Exception):
    """Raised into the application when a streamed body passes the limit."""


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP server refuses such a request before it gets here
    return None


async def _refuse_too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    problem = refusal(
        413,
        "content-too-large",
        "Content too large",
        "body",
        "body.too_large",
        f"the request body is larger than {limit} bytes",
        extra={"max_bytes": limit},
        headers={"Connection": "close"},
    )
    await problem.response(Request(scope))(scope, receive, send)


class _HttpMiddleware:
    """Passes anything but HTTP (the lifespan) straight through to the application."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class BodyLimit(_HttpMiddleware):
    """413 for a body over the limit, without reading it."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        edge = edge_of(scope)
        limit = edge.body_limits.get(scope.get("path", ""), edge.max_body_bytes)
        length = _content_length(scope)
        if length is not None and length > limit:
            await _refuse_too_large(scope, receive, send, limit)
            return
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise _TooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # whatever the application made of the interruption: 413 follows
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
            # else: the interruption, re-raised by FastAPI's error handling; 413 follows
        if exceeded and not started:
            await _refuse_too_large(scope, receive, send, limit)


class SecurityHeaders(_HttpMiddleware):
    """``nosniff`` and ``no-store`` on every answer; HSTS under TLS."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        added = [(b"x-content-type-options", b"nosniff")]
        if not str(scope.get("path", "")).startswith(DOCS_ASSETS + "/"):
            added.append((b"cache-control", b"no-store"))
        if scope.get("scheme") == "https":
            max_age = edge_of(scope).hsts_max_age_seconds
            added.append((b"strict-transport-security", f"max-age={max_age}".encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {added_name for added_name, _ in added}
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in names
                ]
                message = {**message, "headers": headers + added}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def wrap(app: ASGIApp) -> ASGIApp:
    """The application inside the edge (outermost first: headers, then the body limit)."""
    return SecurityHeaders(BodyLimit(app))
