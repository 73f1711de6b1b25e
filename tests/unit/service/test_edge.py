"""The edge's middlewares around a bare application: what no Silta route can be made to do
on purpose (fail with a 500, answer before reading its body)."""

from __future__ import annotations

import httpx
from silta_platform import edge
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def boom(request: Request) -> PlainTextResponse:
    raise RuntimeError("a bug")


async def echo_length(request: Request) -> PlainTextResponse:
    return PlainTextResponse(str(len(await request.body())))


def client() -> httpx.AsyncClient:
    app = Starlette(routes=[Route("/boom", boom), Route("/echo", echo_length, methods=["POST"])])
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: edge.wrap(build())  # type: ignore[method-assign]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="https://silta.test")


async def test_even_an_internal_error_carries_the_security_headers() -> None:
    async with client() as http:
        response = await http.get("/boom")
    assert response.status_code == 500
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["strict-transport-security"] == "max-age=31536000"


async def test_the_default_limit_is_256_kib_and_a_body_up_to_it_is_read_whole() -> None:
    limit = 256 * 1024
    async with client() as http:
        taken = await http.post("/echo", content=b"x" * limit)
        refused = await http.post("/echo", content=b"x" * (limit + 1))
    assert taken.status_code == 200
    assert taken.text == str(limit)
    assert refused.status_code == 413
    assert refused.json()["max_bytes"] == limit
    assert refused.headers["connection"] == "close"
