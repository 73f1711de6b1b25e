"""Scale-out under faults: two replicas of each side, one PostgreSQL database per side, a
private three-node RabbitMQ cluster with quorum queues, each replica given all three nodes.

Steady traffic (referrals from Kela through both Kela replicas, status updates from the
county through both county replicas); Kela's publishing replica is killed (kill -9), then
the broker node that replicas talk to. Afterwards, through the APIs: every referral
arrived at the county once, every status update was applied once at Kela, in the county's
order, and nothing was parked.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from silta_harness import RabbitCluster, ServiceProcess, postgres_databases, sqlalchemy_url
from silta_messaging.failover import connect_failover

from tests.e2e.bus import Bus
from tests.e2e.client import running_silta
from tests.e2e.conftest import POSTGRES_DSN
from tests.e2e.polling import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.fault, pytest.mark.postgres]

RATE = 12.0
"""Referrals per second."""
DURATION = 20.0
KILL_REPLICA_AT = 6.0
KILL_NODE_AT = 12.0
ADVANCED_EVERY = 3
"""Every third referral is worked by the county: three status updates each."""
STEPS = (
    {"status": "accepted"},
    {"status": "in_progress", "event": "contact_attempted"},
    {"status": "in_progress", "event": "client_reached"},
)
RECOVERY_BOUND_S = 30.0


def replica_of(process: ServiceProcess, urls: list[str], name: str) -> ServiceProcess:
    """A second replica of ``process``: same database, queue and keys, a port of its own,
    the broker nodes in another order (so replicas spread over the nodes)."""
    return ServiceProcess(
        process.side,
        {**process.settings, "AMQP_URL": ",".join(urls)},
        log_path=process.log_path.with_name(f"{name}.log"),
        inherited=process.inherited,
    )


def client_for(process: ServiceProcess, like: httpx.AsyncClient) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=process.base_url, timeout=10, headers=like.headers)


class Traffic:
    """What the test sent and what it expects each side to show."""

    def __init__(self, kela: list[httpx.AsyncClient], county: list[httpx.AsyncClient]):
        self.kela = kela
        """Kela replicas still alive (the killed one is removed)."""
        self.county = county
        self.referrals: list[str] = []
        self.advanced: set[str] = set()
        self.to_advance: asyncio.Queue[str | None] = asyncio.Queue()
        self.sent_at: dict[str, float] = {}

    async def send(self, number: int, body: dict[str, Any]) -> None:
        """POST a referral; on a dead replica or a 503, the same request (same
        Idempotency-Key) to the next live replica, as the README tells clients."""
        key = uuid.uuid4().hex
        for attempt in range(60):
            client = self.kela[(number + attempt) % len(self.kela)]
            try:
                response = await client.post(
                    "/v1/referrals", json=body, headers={"Idempotency-Key": key}
                )
            except httpx.TransportError:
                await asyncio.sleep(0.5)
                continue
            if response.status_code == 503:
                await asyncio.sleep(0.5)
                continue
            assert response.status_code in (200, 201), response.text
            referral_id: str = response.json()["id"]
            self.referrals.append(referral_id)
            self.sent_at[referral_id] = time.monotonic()
            if number % ADVANCED_EVERY == 0:
                self.advanced.add(referral_id)
                self.to_advance.put_nowait(referral_id)
            return
        raise AssertionError("no Kela replica took the referral")

    async def work(self) -> None:
        """The county works referrals as they arrive: each step through another replica."""
        while (referral_id := await self.to_advance.get()) is not None:

            async def arrived(referral_id: str = referral_id) -> None:
                response = await self.county[0].get(f"/v1/referrals/{referral_id}")
                assert response.status_code == 200, "not at the county yet"

            await eventually(arrived, timeout=90, interval=0.3)
            for step_number, step in enumerate(STEPS):
                client = self.county[step_number % len(self.county)]
                response = await client.post(f"/v1/referrals/{referral_id}/status", json=step)
                assert response.status_code == 200, response.text


async def _publishing(clients: list[httpx.AsyncClient]) -> list[httpx.AsyncClient]:
    answers = [await client.get("/readyz") for client in clients]
    return [
        client
        for client, answer in zip(clients, answers, strict=True)
        if answer.status_code == 200 and answer.json().get("relay") == "publishing"
    ]


async def test_two_replicas_per_side_survive_a_replica_and_a_broker_node_killed_under_traffic(
    rabbit_cluster: RabbitCluster, tmp_path, bodies
):
    urls = rabbit_cluster.urls
    names = [f"silta_scale_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    async with (
        postgres_databases(POSTGRES_DSN, names) as (kela_dsn, county_dsn),
        running_silta(
            tmp_path / "run",
            ",".join(urls),
            kela_database_url=sqlalchemy_url(kela_dsn),
            municipality_database_url=sqlalchemy_url(county_dsn),
        ) as silta,
        contextlib.AsyncExitStack() as stack,
    ):
        others = urls[1:] + urls[:1]  # replica b talks to node 2 first
        kela_b = replica_of(silta.kela, others, "kela-side-b")
        county_b = replica_of(silta.municipality, others, "municipality-side-b")
        for replica in (kela_b, county_b):
            replica.start()
            stack.push_async_callback(replica.stop)
        await silta.wait_ready(consuming=True, processes=(kela_b, county_b))
        kela_processes = [silta.kela, kela_b]
        kela = [client_for(process, silta.kela_http) for process in kela_processes]
        county = [
            client_for(process, silta.municipality_http)
            for process in (silta.municipality, county_b)
        ]
        for client in (*kela, *county):
            stack.push_async_callback(client.aclose)
        assert len(await _publishing(kela)) == 1  # one relay publishes at a time

        traffic = Traffic(list(kela), county)
        workers = [asyncio.create_task(traffic.work()) for _ in range(4)]
        started = time.monotonic()
        sends: list[asyncio.Task[None]] = []
        killed_replica = killed_node = False
        takeover_s = node_loss_s = 0.0
        number = 0
        while (now := time.monotonic() - started) < DURATION:
            if not killed_replica and now >= KILL_REPLICA_AT:
                [publisher] = await _publishing(kela)
                victim = kela_processes[kela.index(publisher)]
                os.kill(victim.pid, signal.SIGKILL)
                traffic.kela.remove(publisher)
                killed_replica, killed = True, time.monotonic()
                while not await _publishing(traffic.kela):
                    await asyncio.sleep(0.1)
                takeover_s = time.monotonic() - killed
            if not killed_node and now >= KILL_NODE_AT:
                rabbit_cluster.kill(rabbit_cluster.nodes[0])  # replicas "a" talk to it
                killed_node, node_killed_at = True, time.monotonic()
            sends.append(asyncio.create_task(traffic.send(number, bodies.notice_of_need())))
            number += 1
            await asyncio.sleep(max(0.0, started + number / RATE - time.monotonic()))
        await asyncio.gather(*sends)
        for _ in workers:
            traffic.to_advance.put_nowait(None)
        await asyncio.wait_for(asyncio.gather(*workers), 120)

        # Every referral at the county once, every status update applied once, in order.
        live_kela = traffic.kela[0]
        after_node_loss: list[float] = []
        for referral_id in traffic.referrals:
            steps = STEPS if referral_id in traffic.advanced else ()
            expected = [("sent", None), ("delivered", None)] + [
                (step["status"], step.get("event")) for step in steps
            ]

            async def complete(referral_id: str = referral_id, expected: Any = expected) -> Any:
                response = await _get(live_kela, f"/v1/referrals/{referral_id}")
                assert response.status_code == 200, response.text
                history = response.json()["history"]
                assert len(history) >= len(expected), "not all of it back at Kela yet"
                return history

            history = await eventually(complete, timeout=90, interval=0.3)
            assert [(c["status"], c["event"]) for c in history] == expected, referral_id
            assert [c["sequence"] for c in history] == list(range(len(expected)))
            answered = await _get(county[1], f"/v1/referrals/{referral_id}")
            assert answered.status_code == 200, answered.text
            at_county = answered.json()
            assert [(c["status"], c["event"]) for c in at_county["history"]] == expected[1:]
            if traffic.sent_at[referral_id] >= node_killed_at:
                after_node_loss.append(traffic.sent_at[referral_id])
        listed = await county[0].get("/v1/referrals", params={"limit": 500})
        if listed.status_code == 200 and "items" in listed.json():
            ids = [item["id"] for item in listed.json()["items"]]
            assert len(ids) == len(set(ids))
            assert set(ids) == set(traffic.referrals)

        # The county consumed on after the node loss, through the surviving nodes.
        connection = await connect_failover(urls[1:])
        try:
            bus = Bus(connection)
            for process in (silta.kela, silta.municipality):
                assert await bus.message_count(f"{process.queue_name}.parked") == 0
        finally:
            await connection.close()
        node_loss_s = await _first_delivery_after(live_kela, traffic, node_killed_at)
        print(
            f"scale-out: {len(traffic.referrals)} referrals, "
            f"{len(traffic.advanced) * len(STEPS)} status updates; relay taken over in "
            f"{takeover_s:.1f} s; first referral after the node loss delivered "
            f"{node_loss_s:.1f} s after the kill"
        )
        assert takeover_s < RECOVERY_BOUND_S
        assert node_loss_s < RECOVERY_BOUND_S
        assert after_node_loss, "no traffic after the node was killed"
        assert kela_b.running() or silta.kela.running()
        assert county_b.running()
        assert silta.municipality.running()


async def _get(client: httpx.AsyncClient, url: str) -> httpx.Response:
    """A GET as a well-behaved client makes it: answered ``429`` (this check reads every
    referral on both sides, faster than the 100 requests a second a caller may make), it
    waits the ``Retry-After`` and asks again."""
    for _ in range(30):
        response = await client.get(url)
        if response.status_code != 429:
            return response
        await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
    return response


async def _first_delivery_after(kela: httpx.AsyncClient, traffic: Traffic, moment: float) -> float:
    """Seconds from ``moment`` until the first referral sent after it was delivered (by the
    county's acknowledgement's own time at Kela, measured here from the send)."""
    after = sorted(
        (sent, referral_id) for referral_id, sent in traffic.sent_at.items() if sent >= moment
    )
    if not after:
        return float("inf")
    sent, referral_id = after[0]
    view = (await kela.get(f"/v1/referrals/{referral_id}")).json()
    created = view["history"][0]["changed_at"]
    delivered = view["history"][1]["changed_at"]
    took = (datetime.fromisoformat(delivered) - datetime.fromisoformat(created)).total_seconds()
    return (sent - moment) + took
