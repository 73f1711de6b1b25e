"""Requests are logged with their route's template, never the path or query as sent, through
the services' real logging configuration (``configure_logging``, its redaction included)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import httpx
import pytest
from silta_platform.logs import configure_logging
from silta_schemas import examples

CODE = examples.EXAMPLE_IDENTITY_CODE
ENCODED = CODE.replace("-", "%2D")


@pytest.fixture
def service_logs() -> Iterator[io.StringIO]:
    """The services' logging configuration for one test, its handler writing to a buffer
    instead of stderr; then the test run's logging back."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("INFO", "kela-side")
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    handler.setStream(buffer)
    yield buffer
    root.handlers[:], level = saved
    root.setLevel(level)
    logging.getLogger("uvicorn.access").disabled = False


async def test_a_request_is_logged_by_route_never_by_its_path_or_query(
    kela: httpx.AsyncClient, service_logs: io.StringIO
) -> None:
    assert (await kela.get(f"/v1/directory?q={ENCODED}")).status_code == 200
    assert (await kela.get(f"/v1/referrals/{ENCODED}")).status_code == 422
    assert (await kela.get(f"/v1/nowhere/{ENCODED}?q={ENCODED}")).status_code == 404
    logging.getLogger("test").warning("a client wrote %s", f"q={CODE.replace('-', '%252D')}")

    # the service's lines (not those of the test's own HTTP client)
    lines = [line for line in service_logs.getvalue().splitlines() if " httpx: " not in line]
    assert any('"GET /v1/directory HTTP/1.1" 200' in line for line in lines), lines
    assert any('"GET /v1/referrals/{referral_id} HTTP/1.1" 422' in line for line in lines)
    assert any('"GET (no route) HTTP/1.1" 404' in line for line in lines)
    assert any("a client wrote q=[henkilötunnus]" in line for line in lines)
    for line in lines:
        for needle in (CODE[:6], CODE[-4:], "%2D", "%252D", "?q="):
            assert needle.lower() not in line.lower(), "\n".join(lines)
