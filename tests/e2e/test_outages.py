"""The broker goes down and comes back: nothing is lost and no service needs a restart.

Stops the whole local RabbitMQ application (``rabbitmqctl stop_app``); the broker is started
again in ``finally`` (and by the ``rabbitmq_app`` fixture) whatever happens.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

OUTAGE_DEADLINE = 60.0
"""Reconnecting takes the services' retry interval on top of the broker's own start-up."""


async def test_a_notice_sent_while_the_broker_is_down_arrives_once_it_is_back(
    silta, bodies, rabbitmq_app, eventually
):
    async def readiness(http, expected_status: int, broker: str) -> None:
        response = await http.get("/readyz")
        assert response.status_code == expected_status, response.text
        assert response.json()["checks"]["broker"] == broker
        assert response.json()["checks"]["database"] == "up"

    pids = [process.process.pid for process in silta.processes]
    try:
        rabbitmq_app("stop")

        for http in (silta.kela_http, silta.municipality_http):
            await eventually(lambda http=http: readiness(http, 503, "down"))
        response = await silta.kela_http.get("/readyz")
        assert response.headers["content-type"].startswith("application/problem+json")

        # Kela's case system can still send: the notice is taken and waits in the outbox.
        created = await silta.send(bodies.notice_of_need())
        referral_id = created["id"]
        assert (await silta.kela_view(referral_id))["status"] == "sent"
        # The services stay up and keep answering while the broker is away.
        assert (await silta.kela_http.get("/healthz")).status_code == 200
        assert (await silta.inbox()) == []
    finally:
        rabbitmq_app("start")

    # Without restarting anything, the notice crosses and Kela learns it was delivered.
    for http in (silta.kela_http, silta.municipality_http):
        await eventually(lambda http=http: readiness(http, 200, "up"), timeout=OUTAGE_DEADLINE)
    await silta.wait_delivered(referral_id, timeout=OUTAGE_DEADLINE)
    received = await silta.municipality_view(referral_id)
    assert [c["status"] for c in received["history"]] == ["delivered"]
    at_kela = await silta.kela_view(referral_id)
    assert [(c["status"], c["changed_by"]) for c in at_kela["history"]] == [
        ("sent", "kela"),
        ("delivered", "county-11"),
    ]

    # And the way back works too after the outage: the county's next change reaches Kela.
    response = await silta.set_status(referral_id, {"status": "accepted"})
    assert response.status_code == 200, response.text
    await silta.wait_kela_status(referral_id, "accepted")

    assert [process.process.pid for process in silta.processes] == pids
    assert all(process.running() for process in silta.processes)
    silta.assert_no_identity_code_in_logs()


async def test_a_side_that_is_down_catches_up_when_it_comes_back(silta, bus, bodies, eventually):
    """Durable queues and persistent messages: a restart of either side loses nothing."""
    # The county side is down: Kela still sends, the notice waits in the county's queue.
    await silta.municipality.stop()
    referral_id = (await silta.send(bodies.notice_of_need()))["id"]

    async def waiting_in_queue() -> None:
        assert await bus.message_count(silta.municipality.queue_name) == 1

    await eventually(waiting_in_queue)
    assert (await silta.kela_view(referral_id))["status"] == "sent"
    await silta.restart(silta.municipality)
    await silta.wait_delivered(referral_id)

    # Kela's side is down: the county's changes wait for it.
    await silta.kela.stop()
    await silta.advance(
        referral_id,
        {"status": "accepted"},
        {"status": "in_progress", "event": "client_not_reached"},
    )
    await silta.restart(silta.kela)
    at_kela = await silta.wait_kela_status(referral_id, "in_progress")
    assert [(c["status"], c["event"]) for c in at_kela["history"]] == [
        ("sent", None),
        ("delivered", None),
        ("accepted", None),
        ("in_progress", "client_not_reached"),
    ]
    silta.assert_no_identity_code_in_logs()
