"""Each authority on its own broker: Kela's side on one RabbitMQ node, the county side on
another, linked by the shovels ``infra/shovels.py`` declares. Notices cross one way and
acknowledgements and status updates the other, while the county's broker is down for 30 s,
while the link is removed and declared again, and while Kela's broker restarts; afterwards
both APIs show every referral once, nothing parked, nothing left on the link. Both nodes
are private (``silta_harness.rabbit_nodes``), started for this module and deleted after it.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aio_pika
import pytest
from silta_harness import RabbitNode, RabbitUnavailable, sqlite_url

from tests.e2e.bodies import COUNTY
from tests.e2e.bus import Bus
from tests.e2e.client import Silta, running_silta
from tests.e2e.polling import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.fault]

ROOT = Path(__file__).resolve().parents[2]
LINK = f"county-{COUNTY}"
LINK_PASSWORDS = {"SILTA_LINK_KELA_PASSWORD": "kela-end", "SILTA_LINK_COUNTY_PASSWORD": "c-end"}
DOWN_S = 30.0
STEPS = [
    {"status": "accepted"},
    {"status": "in_progress", "event": "contact_attempted"},
    {"status": "in_progress", "event": "client_reached"},
]


def _declare_link(kela: RabbitNode, county: RabbitNode, *extra: str) -> None:
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "infra" / "shovels.py"),
            f"--link={LINK}",
            f"--counties={COUNTY}",
            f"--kela-uri=amqp://127.0.0.1:{kela.port}/%2F",
            f"--county-uri=amqp://127.0.0.1:{county.port}/%2F",
            f"--kela-rabbitmqctl={' '.join(kela.rabbitmqctl)}",
            f"--county-rabbitmqctl={' '.join(county.rabbitmqctl)}",
            f"--kela-admin-amqp-url={kela.amqp_url()}",
            f"--county-admin-amqp-url={county.amqp_url()}",
            *extra,
        ],
        env={**kela.environment(), **LINK_PASSWORDS},
        check=True,
        capture_output=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def brokers() -> Iterator[tuple[RabbitNode, RabbitNode]]:
    """Kela's node and the county's, started, linked, and deleted afterwards."""
    kela, county = RabbitNode("rmqs-kela"), RabbitNode("rmqs-county")  # free ports
    try:
        try:
            asyncio.run(asyncio.wait_for(_start_both(kela, county), 240))
        except RabbitUnavailable as missing:
            pytest.skip(str(missing))
        _declare_link(kela, county)
        yield kela, county
    finally:
        kela.destroy()
        county.destroy()


async def _start_both(*nodes: RabbitNode) -> None:
    await asyncio.gather(*(asyncio.to_thread(node.start) for node in nodes))


async def _messages(url: str, queue: str) -> int:
    connection = await aio_pika.connect(url)
    try:
        return await Bus(connection).message_count(queue)
    finally:
        await connection.close()


async def _send(silta: Silta, bodies, count: int) -> list[str]:
    return [(await silta.send(bodies.notice_of_need()))["id"] for _ in range(count)]


async def _settled(silta: Silta, sent: list[str], steps: dict[str, int]) -> None:
    """Every referral at the county once, with its history, and Kela seeing the same."""

    async def all_in_the_inbox() -> None:
        inbox = [item["id"] for item in await silta.inbox(limit=200)]
        assert sorted(inbox) == sorted(sent), "the county's inbox misses or repeats a referral"

    await eventually(all_in_the_inbox, timeout=90)
    for referral_id in sent:
        done = [step["status"] for step in STEPS[: steps.get(referral_id, 0)]]
        expected = "delivered" if not done else done[-1]
        await silta.wait_kela_status(referral_id, expected, timeout=90)
        at_county = await silta.municipality_view(referral_id)
        assert [c["status"] for c in at_county["history"]] == ["delivered", *done]

        async def kela_has_the_whole_history(
            referral_id: str = referral_id, done: list[str] = done
        ) -> None:
            # The status alone does not say that the last of two in_progress changes is in.
            at_kela = await silta.kela_view(referral_id)
            assert [c["status"] for c in at_kela["history"]] == ["sent", "delivered", *done]

        await eventually(kela_has_the_whole_history, timeout=90)


async def test_notices_and_status_updates_cross_both_ways_through_a_link_down_30_s_and_restarts(
    brokers, tmp_path, bodies
):
    kela_broker, county_broker = brokers
    kela_url, county_url = kela_broker.amqp_url(), county_broker.amqp_url()
    steps: dict[str, int] = {}

    async def advance(referral_id: str) -> None:
        response = await silta.set_status(referral_id, STEPS[steps.get(referral_id, 0)])
        assert response.status_code == 200, response.text
        steps[referral_id] = steps.get(referral_id, 0) + 1

    async with running_silta(
        tmp_path / "run",
        kela_url,
        municipality_amqp_url=county_url,
        kela_database_url=sqlite_url(tmp_path / "kela.db"),
        municipality_database_url=sqlite_url(tmp_path / "county.db"),
        counties=COUNTY,
    ) as silta:
        sent = await _send(silta, bodies, 5)
        for referral_id in sent:
            await silta.wait_delivered(referral_id, timeout=60)
        await advance(sent[0])

        # The county's broker is down for 30 s: the link is down both ways.
        down = time.monotonic()
        await asyncio.to_thread(county_broker.stop)
        during = await _send(silta, bodies, 5)
        for referral_id in sent[1:3]:
            await advance(referral_id)  # held in the county side's outbox
        await asyncio.sleep(DOWN_S - (time.monotonic() - down))
        assert await _messages(kela_url, f"silta.link.{LINK}.to-county") == len(during)
        await asyncio.to_thread(county_broker.start)
        sent += during
        await _settled(silta, sent, steps)

        # The link is removed (both shovels deleted) and declared again.
        await asyncio.to_thread(_declare_link, kela_broker, county_broker, "--remove")
        removed = await _send(silta, bodies, 3)
        await advance(sent[0])
        await asyncio.sleep(2)
        assert await _messages(kela_url, f"silta.link.{LINK}.to-county") == len(removed)
        await asyncio.to_thread(_declare_link, kela_broker, county_broker)
        sent += removed
        await _settled(silta, sent, steps)

        # Kela's broker restarts: the county's updates wait on its side of the link.
        await asyncio.to_thread(kela_broker.stop)
        for referral_id in sent[:4]:
            await advance(referral_id)
        await asyncio.sleep(3)
        await asyncio.to_thread(kela_broker.start)
        sent += await _send(silta, bodies, 5)
        await _settled(silta, sent, steps)

        for url, service in ((kela_url, silta.kela), (county_url, silta.municipality)):
            assert await _messages(url, f"{service.queue_name}.parked") == 0
        assert await _messages(kela_url, f"silta.link.{LINK}.to-county") == 0
        assert await _messages(county_url, f"silta.link.{LINK}.to-kela") == 0
        silta.assert_no_identity_code_in_logs()


async def test_a_link_user_may_do_nothing_but_its_link(brokers):
    """The link's user on Kela's broker may not publish as Kela nor read anything but the
    link's queue; on the county's broker it may not publish as the county."""
    kela_broker, county_broker = brokers
    for node, exchange, queue in (
        (kela_broker, "silta.kela", f"silta.link.{LINK}.to-county"),
        (county_broker, "silta.county", f"silta.link.{LINK}.to-kela"),
    ):
        password = LINK_PASSWORDS[
            "SILTA_LINK_KELA_PASSWORD" if node is kela_broker else "SILTA_LINK_COUNTY_PASSWORD"
        ]
        connection = await aio_pika.connect(node.amqp_url(f"silta-link-{LINK}", password))
        try:
            channel = await connection.channel(publisher_confirms=True)
            await channel.declare_queue(queue, passive=True)  # its own: allowed
            target = await channel.get_exchange(exchange, ensure=False)
            with pytest.raises(aio_pika.exceptions.ChannelClosed, match="ACCESS_REFUSED"):
                await target.publish(aio_pika.Message(b"{}"), routing_key=f"x.{COUNTY}")
            channel = await connection.channel()
            with pytest.raises(aio_pika.exceptions.ChannelClosed, match="ACCESS_REFUSED"):
                await channel.declare_queue("silta.someone-elses", durable=True)
        finally:
            await connection.close()


async def test_what_the_link_brings_before_the_county_side_declared_its_queues_is_kept(brokers):
    """No county side runs (its queues are not declared): a notice Kela's broker takes
    crosses the link and waits in the county broker's ``silta.link.unroutable`` queue
    instead of vanishing behind the destination's confirm."""
    kela_broker, county_broker = brokers
    before = await _messages(county_broker.amqp_url(), "silta.link.unroutable")
    connection = await aio_pika.connect(kela_broker.amqp_url())
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("silta.kela")
        await exchange.publish(
            aio_pika.Message(b"{}", delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=f"notice_of_need.{COUNTY}",
            mandatory=True,
        )
    finally:
        await connection.close()

    async def kept() -> None:
        assert await _messages(county_broker.amqp_url(), "silta.link.unroutable") == before + 1

    await eventually(kept, timeout=30)
