"""Logs never hold a client's identity code in clear, whatever went through the services.

Both processes run at DEBUG and go through everything that handles an identity code:
notices of both kinds, a whole status flow, an HTTP request with an invalid code, a
redelivered message, and poison on the bus carrying an invalid code. Then they are stopped
the way an orchestrator stops them, and every captured line is read.
"""

from __future__ import annotations

import json
import signal
from uuid import uuid4

import pytest

from tests import signing
from tests.e2e.client import events_of

pytestmark = pytest.mark.e2e


async def test_no_log_line_holds_an_identity_code_after_every_kind_of_traffic(
    start_silta, bus, bodies
):
    bad_code = bodies.wrong_control_character()
    async with start_silta(log_level="DEBUG") as silta:
        # The main flow, both kinds.
        referral_id = await silta.send_and_deliver(bodies.notice_of_need())
        await silta.advance(
            referral_id,
            {"status": "accepted"},
            {"status": "in_progress", "event": "client_reached"},
            {"status": "completed", "outcome": "client_relationship_started"},
        )
        await silta.wait_kela_status(referral_id, "completed")
        await silta.send_and_deliver(bodies.basic_amount_reduction())

        # An invalid code over HTTP.
        notice = bodies.notice_of_need()
        notice["client"]["identity_code"] = bad_code
        response = await silta.kela_http.post("/v1/referrals", json=notice)
        assert response.status_code == 422

        # An invalid code on the bus, and a redelivery of a real message.
        async with bus.connection.channel() as channel:
            tap = await channel.declare_queue(exclusive=True, auto_delete=True)
            await tap.bind("silta.kela", routing_key="notice_of_need.11")
            tapped = await silta.send_and_deliver(bodies.notice_of_need())
            original = await tap.get(no_ack=True, fail=True, timeout=10)
        assert signing.opened(original.body)["referral_id"] == tapped
        await bus.publish(
            original.body, routing_key="notice_of_need.11", message_id=original.message_id
        )
        poison = signing.opened(original.body)
        poison["message_id"] = str(uuid4())
        poison["payload"]["client"]["identity_code"] = bad_code
        await bus.publish(json.dumps(poison).encode(), routing_key="notice_of_need.11")
        [parked] = await bus.take(f"{silta.municipality.queue_name}.parked", 1)
        assert parked.headers["x-silta-reason"] == "payload.invalid"
        await silta.send_and_deliver(bodies.notice_of_need())

        # Stopped as an orchestrator does: SIGTERM, and a graceful exit well within 10 s
        # (uvicorn re-raises the signal once shut down, so -SIGTERM is a clean exit too).
        exit_codes = await silta.stop()
        assert not any(process.killed for process in silta.processes)
        for name, code in exit_codes.items():
            assert code in (0, -signal.SIGTERM), f"{name} exited with {code}"

        logs = silta.log_events()
        for name, text in logs.items():
            assert "Application shutdown complete" in text, f"{name} did not shut down cleanly"
        # The logs did record the traffic (so their silence on identity codes means something).
        assert 'POST /v1/referrals HTTP/1.1" 201' in logs["kela-side"]
        assert 'POST /v1/referrals HTTP/1.1" 422' in logs["kela-side"]
        assert "payload.invalid" in logs["municipality-side"]
        assert "message received" in logs["municipality-side"]
        assert "message published" in logs["kela-side"]
        assert "acknowledgement applied" in logs["kela-side"]
        silta.assert_no_identity_code_in_logs(bad_code)


async def test_requests_are_logged_by_route_never_by_path_or_query(start_silta):
    """uvicorn's access log wrote the path and query as sent (``?q=131052%2D308T``, encoded
    past the redaction): the services log the route's template instead."""
    encoded = "131052%2D308T"
    async with start_silta() as silta:
        directory = await silta.kela_http.get(f"/v1/directory?q={encoded}")
        assert directory.status_code == 200
        malformed = await silta.municipality_http.get(f"/v1/referrals/{encoded}")
        assert malformed.status_code == 422
        await silta.stop()
        logs = silta.logs()
    assert '"GET /v1/directory HTTP/1.1" 200' in events_of(logs["kela-side"])
    assert '"GET /v1/referrals/{referral_id} HTTP/1.1" 422' in events_of(logs["municipality-side"])
    for text in logs.values():
        for needle in ("131052", "308t", "%2d", "?q="):
            assert needle not in text.lower()
