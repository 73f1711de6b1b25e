"""Requests are logged with their route's template, never the path or query as sent, through
the services' real logging configuration (``configure_logging``, its redaction included)."""

from __future__ import annotations

import io
import json
import logging

import httpx
from silta_schemas import examples

CODE = examples.EXAMPLE_IDENTITY_CODE
ENCODED = CODE.replace("-", "%2D")


async def test_a_request_is_logged_by_route_never_by_its_path_or_query(
    kela: httpx.AsyncClient, service_logs: io.StringIO
) -> None:
    assert (await kela.get(f"/v1/directory?q={ENCODED}")).status_code == 200
    assert (await kela.get(f"/v1/referrals/{ENCODED}")).status_code == 422
    assert (await kela.get(f"/v1/nowhere/{ENCODED}?q={ENCODED}")).status_code == 404
    logging.getLogger("test").warning("a client wrote %s", f"q={CODE.replace('-', '%252D')}")

    # the service's lines (not those of the test's own HTTP client), one JSON object each
    lines = [
        line
        for line in service_logs.getvalue().splitlines()
        if json.loads(line)["logger"] != "httpx"
    ]
    events = [json.loads(line)["event"] for line in lines]
    assert '"GET /v1/directory HTTP/1.1" 200' in " ".join(events), lines
    assert any('"GET /v1/referrals/{referral_id} HTTP/1.1" 422' in event for event in events)
    assert any('"GET (no route) HTTP/1.1" 404' in event for event in events)
    assert any("a client wrote q=[henkilötunnus]" in event for event in events)
    for line in lines:
        for needle in (CODE[:6], CODE[-4:], "%2D", "%252D", "?q="):
            assert needle.lower() not in line.lower(), "\n".join(lines)
