"""The batch benchmark's liveness probe: it reports how long a busy service kept it waiting."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from bench.liveness import probing
from bench.load import Percentiles

STALL_S = 0.3


class _Service(BaseHTTPRequestHandler):
    """``/healthz`` that answers at once, but the third time only after ``STALL_S`` (as a
    service whose loop is busy); ``503`` from a service that is ``failing``."""

    answered = 0
    failing = False

    def do_GET(self) -> None:
        type(self).answered += 1
        if type(self).answered == 3:
            time.sleep(STALL_S)
        status = 503 if type(self).failing else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def service() -> Iterator[str]:
    _Service.answered, _Service.failing = 0, False
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Service)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


async def test_the_longest_wait_is_the_stall_and_the_rest_are_quick(service: str) -> None:
    async with probing({"kela-side": service}, every=0.02) as probes:
        await asyncio.sleep(STALL_S + 0.3)
    waits = Percentiles.of(probes["kela-side"])
    assert waits.count >= 5
    assert waits.max_ms is not None
    assert waits.max_ms >= STALL_S * 1000
    assert waits.p50_ms is not None
    assert waits.p50_ms < 50


async def test_a_probe_that_fails_is_reported_not_hidden(service: str) -> None:
    _Service.failing = True
    with pytest.raises(httpx.HTTPStatusError):
        async with probing({"kela-side": service}, every=0.02):
            await asyncio.sleep(0.2)
