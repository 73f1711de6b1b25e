"""A service's own PostgreSQL refusing connections and then accepting them again: nothing
is lost or parked, and HTTP callers are told to come back (503 with Retry-After).

The database is a private server of the session (``private_postgres``), stopped (connections
refused) and then started as a standby with hot standby off (every connection answered
"not accepting connections", SQLSTATE 57P03, as while starting up) until it is promoted.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from aio_pika.abc import AbstractChannel
from silta_harness import PrivatePostgres
from silta_messaging.topology import COUNTY_EXCHANGE, parking_queue_name
from silta_platform.dev_tokens import DevIssuer
from silta_schemas import examples

from tests import signing
from tests.integration.conftest import (
    eventually,
    running_kela,
    running_municipality,
    tap,
)
from tests.integration.test_municipality_side import deliver, in_inbox

pytestmark = [pytest.mark.fault, pytest.mark.postgres]

NOTICES_PER_PHASE = 15


async def test_notices_arriving_while_the_database_refuses_are_all_processed_once_none_parked(
    private_postgres: tuple[PrivatePostgres, str],
    amqp_url: str,
    dev_issuer: DevIssuer,
    bus: AbstractChannel,
) -> None:
    server, url = private_postgres
    async with running_municipality(url, amqp_url, dev_issuer) as county:
        acks = await tap(bus, COUNTY_EXCHANGE, "status_acknowledgement.#")
        server.stop()  # connections refused
        sent = [await deliver(bus) for _ in range(NOTICES_PER_PHASE)]
        await asyncio.sleep(3)
        server.start(refusing=True)  # "not accepting connections" (57P03)
        sent += [await deliver(bus) for _ in range(NOTICES_PER_PHASE)]
        await asyncio.sleep(5)
        server.promote()

        async def all_delivered() -> bool:
            views = [await in_inbox(county, referral_id) for referral_id in sent]
            return all(view is not None for view in views)

        await eventually(all_delivered, timeout=60, interval=0.5)
        for referral_id in sent:
            view = await in_inbox(county, referral_id)
            assert view is not None
            assert [change["status"] for change in view["history"]] == ["delivered"]
        acknowledged = await _drain(acks, len(sent))
        assert sorted(acknowledged) == sorted(str(r) for r in sent)  # each processed once
        assert await _parked(bus, county.headers["x-test-queue"]) == 0


async def test_requests_while_the_database_is_down_answer_503_with_retry_after(
    private_postgres: tuple[PrivatePostgres, str],
    amqp_url: str,
    dev_issuer: DevIssuer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, url = private_postgres
    key = {"Idempotency-Key": f"outage-{uuid.uuid4()}"}
    async with running_kela(url, amqp_url, dev_issuer) as kela:
        server.stop()
        caplog.clear()
        for refusing in (False, True):
            if refusing:
                server.start(refusing=True)
            sent = await kela.post(
                "/v1/referrals", json=examples.NOTICE_OF_NEED_EXAMPLE, headers=key
            )
            listed = await kela.get("/v1/referrals")
            for response in (sent, listed):
                _assert_database_unavailable(response)
        outage_lines = [r for r in caplog.records if "answering 503" in r.getMessage()]
        assert len(outage_lines) == 4  # one line per request
        assert not [r for r in caplog.records if r.exc_info or r.exc_text]  # no traceback
        assert "131052-308T" not in caplog.text

        server.promote()
        retried = await eventually(
            lambda: _created(kela, key), timeout=30, interval=0.5
        )  # the same Idempotency-Key: one referral, however often it was tried
        again = await kela.post("/v1/referrals", json=examples.NOTICE_OF_NEED_EXAMPLE, headers=key)
        assert again.status_code == 200
        assert again.json()["id"] == retried["id"]


def _assert_database_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    problem = response.json()
    assert problem["type"] == "urn:silta:problem:database-unavailable"
    assert problem["rule"] == "service.database_unavailable"
    assert problem["status"] == 503
    assert "Traceback" not in response.text


async def _created(kela: httpx.AsyncClient, key: dict[str, str]) -> dict[str, Any] | None:
    response = await kela.post("/v1/referrals", json=examples.NOTICE_OF_NEED_EXAMPLE, headers=key)
    if response.status_code == 503:
        return None
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _drain(acks: asyncio.Queue[Any], expected: int) -> list[str]:
    """The referral ids of every acknowledgement: ``expected`` of them, then nothing more."""
    found = [(await asyncio.wait_for(acks.get(), 30)) for _ in range(expected)]
    await asyncio.sleep(1)
    found += [acks.get_nowait() for _ in range(acks.qsize())]
    return [_referral_of(message) for message in found]


def _referral_of(message: Any) -> str:
    referral: str = signing.opened(message.body)["referral_id"]  # encrypted to Kela
    return referral


async def _parked(bus: AbstractChannel, queue: str) -> int:
    declared = await bus.declare_queue(parking_queue_name(queue), passive=True)
    return int(declared.declaration_result.message_count or 0)
