"""A service's own PostgreSQL refusing connections and then accepting them again: nothing
is lost or parked.

The database is a private server of the session (``private_postgres``), stopped (connections
refused) and then started as a standby with hot standby off (every connection answered
"not accepting connections", SQLSTATE 57P03, as while starting up) until it is promoted.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aio_pika.abc import AbstractChannel
from silta_harness import PrivatePostgres
from silta_messaging.topology import COUNTY_EXCHANGE, parking_queue_name
from silta_platform.dev_tokens import DevIssuer

from tests.integration.conftest import (
    eventually,
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


async def _drain(acks: asyncio.Queue[Any], expected: int) -> list[str]:
    """The referral ids of every acknowledgement: ``expected`` of them, then nothing more."""
    found = [(await asyncio.wait_for(acks.get(), 30)) for _ in range(expected)]
    await asyncio.sleep(1)
    found += [acks.get_nowait() for _ in range(acks.qsize())]
    return [_referral_of(message) for message in found]


def _referral_of(message: Any) -> str:
    referral: str = json.loads(message.body)["referral_id"]
    return referral


async def _parked(bus: AbstractChannel, queue: str) -> int:
    declared = await bus.declare_queue(parking_queue_name(queue), passive=True)
    return int(declared.declaration_result.message_count or 0)
