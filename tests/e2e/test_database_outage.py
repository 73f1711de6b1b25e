"""The county side's PostgreSQL refuses connections, then answers "not accepting connections"
(as while starting up or being promoted), then accepts them: every notice Kela sent meanwhile
reaches the county once and Kela sees it delivered; none is parked by the delivery limit.

Both services are real processes; the county side's database is the session's private
PostgreSQL server (``private_postgres``), Kela's a SQLite file.
"""

from __future__ import annotations

import asyncio

import pytest
from silta_harness import sqlite_url

from tests.e2e.client import running_silta

pytestmark = [pytest.mark.e2e, pytest.mark.fault, pytest.mark.postgres]

PER_PHASE = 10


async def test_notices_sent_while_the_countys_database_refuses_all_arrive_once_none_parked(
    private_postgres, tmp_path, amqp_url, bodies, bus
):
    server, county_database = private_postgres
    async with running_silta(
        tmp_path / "run",
        amqp_url,
        kela_database_url=sqlite_url(tmp_path / "kela.db"),
        municipality_database_url=county_database,
    ) as silta:
        server.stop()  # connections refused
        sent = [(await silta.send(bodies.notice_of_need()))["id"] for _ in range(PER_PHASE)]
        await asyncio.sleep(3)
        server.start(refusing=True)  # 57P03 "not accepting connections"
        sent += [(await silta.send(bodies.notice_of_need()))["id"] for _ in range(PER_PHASE)]
        await asyncio.sleep(5)
        server.promote()

        for referral_id in sent:
            await silta.wait_delivered(referral_id, timeout=60)
        for referral_id in sent:
            at_county = await silta.municipality_view(referral_id)
            assert [change["status"] for change in at_county["history"]] == ["delivered"]
            at_kela = await silta.kela_view(referral_id)
            assert [change["status"] for change in at_kela["history"]] == ["sent", "delivered"]
        assert await bus.message_count(f"{silta.municipality.queue_name}.parked") == 0
        log = silta.municipality.log_text()
        assert "database unavailable" in log
        assert "Traceback" not in log  # one line per outage, not a traceback per attempt
        silta.assert_no_identity_code_in_logs()
