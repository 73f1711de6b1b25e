"""Kela's side restarted (gracefully, or killed with SIGKILL on PostgreSQL): the next notice
reaches the county within seconds, not after a lease left behind by the old process ran out."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.e2e.client import Silta

pytestmark = [pytest.mark.e2e, pytest.mark.fault]

PUBLISHED_WITHIN = 3.0
"""From the 201 of the notice to the county having it, after the restart."""


async def _crosses_quickly(silta: Silta, bodies, eventually) -> None:
    referral_id = (await silta.send(bodies.notice_of_need()))["id"]
    sent = time.monotonic()

    async def at_the_county() -> None:
        assert referral_id in {item["id"] for item in await silta.inbox()}

    await eventually(at_the_county, timeout=45)
    took = time.monotonic() - sent
    assert took < PUBLISHED_WITHIN, f"the notice took {took:.1f} s to reach the county"
    ready = (await silta.kela_http.get("/readyz")).json()
    assert ready["relay"] == "publishing"


async def test_after_a_graceful_restart_the_next_notice_crosses_within_seconds(
    any_silta, bodies, eventually
):
    silta = any_silta
    await silta.send_and_deliver(bodies.notice_of_need())  # the relay holds the lease
    await silta.kela.stop()  # SIGTERM, as `make run` or an orchestrator stops it
    assert not silta.kela.killed  # it stopped by itself, in time
    await silta.restart(silta.kela)
    await _crosses_quickly(silta, bodies, eventually)


@pytest.mark.postgres
async def test_after_kill_9_on_postgres_the_next_notice_crosses_within_seconds(
    silta_on_postgres, bodies, eventually
):
    silta = silta_on_postgres
    await silta.send_and_deliver(bodies.notice_of_need())
    os.kill(silta.kela.pid, signal.SIGKILL)  # no chance to release anything
    await silta.kela.stop()  # reaps it
    await silta.restart(silta.kela)
    await _crosses_quickly(silta, bodies, eventually)
