"""A caller's trace goes on through Silta even while Silta itself exports no spans.

Tracing is off by default (no ``OTEL_TRACES_EXPORTER``): then no server span is made, but a
case system that sends a W3C ``traceparent`` still finds its trace id in Kela's log lines for
the request and in the notice's AMQP headers, where the county's side (which may export)
continues it.
"""

from __future__ import annotations

import json

import pytest

from tests import signing

pytestmark = pytest.mark.e2e

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


async def test_the_callers_trace_id_reaches_the_logs_and_the_bus_with_tracing_off(
    start_silta, bus, bodies
):
    async with start_silta() as silta:
        async with bus.connection.channel() as channel:
            tap = await channel.declare_queue(exclusive=True, auto_delete=True)
            await tap.bind("silta.kela", routing_key="notice_of_need.11")
            response = await silta.kela_http.post(
                "/v1/referrals",
                json=bodies.notice_of_need(),
                headers={"traceparent": TRACEPARENT},
            )
            assert response.status_code == 201, response.text
            referral_id = response.json()["id"]
            await silta.wait_kela_status(referral_id, "delivered")
            message = await tap.get(no_ack=True, fail=True, timeout=10)
        assert signing.opened(message.body)["referral_id"] == referral_id
        carried = str((message.headers or {})["traceparent"])
        assert carried.split("-")[1] == TRACE_ID

        # A request without one starts no trace: its line has no trace id.
        untraced = await silta.kela_http.get(f"/v1/referrals/{referral_id}")
        assert untraced.status_code == 200
        await silta.stop()
        lines = [
            json.loads(line)
            for line in silta.logs()["kela-side"].splitlines()
            if line.startswith("{")
        ]
        posts = [line for line in lines if 'POST /v1/referrals HTTP/1.1" 201' in line["event"]]
        gets = [line for line in lines if '"GET /v1/referrals/' in line["event"]]
        assert [line.get("trace_id") for line in posts] == [TRACE_ID]
        assert gets
        assert all("trace_id" not in line for line in gets)
