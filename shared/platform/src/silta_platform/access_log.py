"""The HTTP access log: one line per request naming the route's template, never the path as
requested nor its query string (both are the caller's input and may carry personal data:
``/v1/directory?q=131052%2D308T``).

uvicorn's own access log is off (``serve``); this ASGI middleware writes the line instead, in
the same shape: ``client - "GET /v1/referrals/{referral_id} HTTP/1.1" 200 3.1ms``. A request
that matched no route is logged as ``(no route)``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOGGER = "silta.access"
NO_ROUTE = "(no route)"

log = logging.getLogger(ACCESS_LOGGER)


def route_of(scope: Scope) -> str:
    """The template of the route the request matched (routing leaves it in the scope)."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else NO_ROUTE


class AccessLog:
    """Logs each HTTP request once its answer starts: client, method, route template,
    HTTP version, status and time taken."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answered = False

        def line(status: int) -> None:
            log.info(
                '%s - "%s %s HTTP/%s" %d %.1fms',
                _client(scope),
                scope.get("method", "-"),
                route_of(scope),
                scope.get("http_version", "1.1"),
                status,
                (time.perf_counter() - started) * 1000,
            )

        async def logged(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                answered = True
                line(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, logged)
        except Exception:
            if not answered:  # the server answers 500 outside this middleware
                line(500)
            raise


def _client(scope: Scope) -> str:
    client: Any = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "-"
