"""The services' broker users against the real RabbitMQ: each may do what its service needs
and nothing of the other side's; both services run with them (declare, publish, consume,
park). Users are created by ``infra/broker_users.py`` on the test vhost and deleted after."""

from __future__ import annotations

import asyncio
import copy
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aio_pika
import aiormq
import pytest
from aio_pika.abc import AbstractChannel, AbstractConnection
from kela_side.main import build_app as build_kela
from kela_side.settings import KelaSettings
from municipality_side.main import build_app as build_municipality
from municipality_side.settings import MunicipalitySettings
from silta_harness import VirtualHost
from silta_messaging.topology import COUNTY_EXCHANGE, DEAD_LETTER_EXCHANGE, KELA_EXCHANGE
from silta_platform.authorisation import Side
from silta_platform.dev_tokens import DevIssuer
from silta_schemas import examples

from tests.conftest import (
    AMQP_HOST,
    delete_queues,
    full_access_token,
    migrate,
    serving,
)
from tests.integration.conftest import KELA_MIGRATIONS, MUNICIPALITY_MIGRATIONS, eventually

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "infra" / "broker_users.py"


@dataclass(frozen=True)
class Users:
    kela_url: str
    county_url: str
    kela_user: str
    county_user: str


def _ctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=False, capture_output=True, timeout=120)


def import_definitions(document: str, last_user: str, vhost: str) -> None:
    """Import on the local broker and wait for the import, which is asynchronous, to reach
    ``last_user``'s topic permissions. rabbitmqctl runs as the broker's user and reads the
    file itself (3.10 does not read ``-``): a file in /tmp it may read, removed after."""
    ctl = ["rabbitmqctl", "-q"]
    with tempfile.NamedTemporaryFile("w", dir="/tmp", suffix=".json") as file:
        file.write(document)
        file.flush()
        os.chmod(file.name, 0o644)
        done = subprocess.run(
            [*ctl, "import_definitions", file.name], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    for _ in range(60):
        listed = subprocess.run(
            [*ctl, "list_topic_permissions", "-p", vhost, "--no-table-headers"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        if last_user in listed.stdout.split():
            return
        time.sleep(0.5)
    raise AssertionError(f"the definitions import did not reach {last_user}")


@pytest.fixture(scope="module", params=["rabbitmqctl", "definitions"])
def users(
    test_vhost: VirtualHost,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Users]:
    """The users as the script makes them with rabbitmqctl, or as the RabbitMQ definitions
    file it writes for ``docker compose`` (``--definitions``, imported here by rabbitmqctl)
    makes them: every test runs against both."""
    run = uuid.uuid4().hex[:8]
    admin = f"silta-test-admin-{run}"
    kela_user, county_user = f"silta-test-sign-kela-{run}", f"silta-test-sign-county-{run}"
    passwords = {"kela": secrets.token_urlsafe(16), "county": secrets.token_urlsafe(16)}
    env = {
        **os.environ,
        "SILTA_KELA_AMQP_PASSWORD": passwords["kela"],
        "SILTA_COUNTY_AMQP_PASSWORD": passwords["county"],
    }
    command = [
        sys.executable,
        str(SCRIPT),
        "--vhost",
        test_vhost.name,
        "--kela-user",
        kela_user,
        "--county-user",
        county_user,
        "--counties",
        "11,90",
        "--admin-amqp-url",
        test_vhost.amqp_url,
    ]
    definitions = tmp_path_factory.mktemp("definitions") / "definitions.json"
    if request.param == "definitions":
        command += ["--definitions", str(definitions), "--admin-user", admin]
        env["SILTA_ADMIN_AMQP_PASSWORD"] = secrets.token_urlsafe(16)
    try:
        for _ in range(2):  # idempotent: the second run changes nothing and does not fail
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr
        assert passwords["kela"] not in done.stdout
        if request.param == "definitions":
            assert passwords["kela"] not in definitions.read_text()
            import_definitions(definitions.read_text(), county_user, test_vhost.name)
        vhost = quote(test_vhost.name, safe="")
        yield Users(
            kela_url=f"amqp://{kela_user}:{passwords['kela']}@{AMQP_HOST}:5672/{vhost}",
            county_url=f"amqp://{county_user}:{passwords['county']}@{AMQP_HOST}:5672/{vhost}",
            kela_user=kela_user,
            county_user=county_user,
        )
    finally:
        for user in (kela_user, county_user, admin):
            _ctl("delete_user", user)


@pytest.fixture
async def as_kela(users: Users) -> AsyncIterator[AbstractConnection]:
    connection = await aio_pika.connect(users.kela_url)
    yield connection
    await connection.close()


@pytest.fixture
async def as_county(users: Users) -> AsyncIterator[AbstractConnection]:
    connection = await aio_pika.connect(users.county_url)
    yield connection
    await connection.close()


async def publish(connection: AbstractConnection, exchange: str, key: str) -> None:
    """Publish with confirms (not mandatory: the test is about permission, not routing)."""
    async with connection.channel(publisher_confirms=True) as channel:
        target = await channel.get_exchange(exchange, ensure=False)
        await target.publish(aio_pika.Message(b"{}"), routing_key=key, timeout=10)


async def refused(action: Any) -> bool:
    try:
        await asyncio.wait_for(action, 10)
    except aiormq.exceptions.ChannelAccessRefused:
        return True
    return False


@pytest.mark.parametrize(
    ("user", "allowed", "refusals"),
    [
        (  # Kela publishes to its exchange (and dead-letters its own inbox) only
            "kela",
            [(KELA_EXCHANGE, "notice_of_need.11"), (DEAD_LETTER_EXCHANGE, "silta.kela-side.inbox")],
            [(COUNTY_EXCHANGE, "status_acknowledgement.11"), ("", "silta.municipality-side.inbox")],
        ),
        (  # the counties publish their own counties to theirs only
            "county",
            [(COUNTY_EXCHANGE, "status_acknowledgement.11"), (COUNTY_EXCHANGE, "statement.90")],
            [(COUNTY_EXCHANGE, "status_acknowledgement.05"), (KELA_EXCHANGE, "notice_of_need.11")],
        ),
    ],
)
async def test_each_user_publishes_to_its_own_exchange_only(
    users: Users,
    user: str,
    allowed: list[tuple[str, str]],
    refusals: list[tuple[str, str]],
) -> None:
    connection = await aio_pika.connect(users.kela_url if user == "kela" else users.county_url)
    try:
        for exchange, key in allowed:
            await publish(connection, exchange, key)
        for exchange, key in refusals:
            assert await refused(publish(connection, exchange, key)), (exchange, key)
    finally:
        await connection.close()


async def test_queues_exchanges_and_bindings_of_the_other_side_are_refused(
    as_kela: AbstractConnection, as_county: AbstractConnection, amqp_url: str
) -> None:
    run = uuid.uuid4().hex[:8]
    county_queue = f"silta.municipality-side.t{run}"
    kela_queue = f"silta.kela-side.t{run}"
    try:
        async with as_county.channel() as channel:
            queue = await channel.declare_queue(county_queue, durable=True)
            await queue.bind(KELA_EXCHANGE, "*.11")
            await queue.bind(KELA_EXCHANGE, "*.90.child_welfare")
            await queue.bind(KELA_EXCHANGE, "directory_update.all")
        async with as_kela.channel() as channel:
            own = await channel.declare_queue(kela_queue, durable=True)
            await own.bind(COUNTY_EXCHANGE, "#")

        async def on_kela(action: str) -> None:
            async with as_kela.channel() as channel:
                if action == "consume county queue":
                    queue = await channel.get_queue(county_queue, ensure=False)
                    await queue.get(no_ack=False, fail=False)
                elif action == "declare county queue":
                    await channel.declare_queue(f"{county_queue}.x", durable=True)
                elif action == "declare a queue of no one":
                    await channel.declare_queue(f"other.{run}", durable=True)
                elif action == "configure an exchange":
                    await channel.declare_exchange(
                        KELA_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
                    )
                elif action == "delete an exchange":
                    await channel.exchange_delete(COUNTY_EXCHANGE)
                elif action == "snoop on silta.kela":
                    own = await channel.get_queue(kela_queue, ensure=False)
                    await own.bind(KELA_EXCHANGE, "#")

        for action in (
            "consume county queue",
            "declare county queue",
            "declare a queue of no one",
            "configure an exchange",
            "delete an exchange",
            "snoop on silta.kela",
        ):
            assert await refused(on_kela(action)), action

        async def county_binds(key: str) -> None:
            async with as_county.channel() as channel:
                queue = await channel.get_queue(county_queue, ensure=False)
                await queue.bind(KELA_EXCHANGE, key)

        for key in ("*.05", "#", "notice_of_need.*", "*.05.child_welfare"):
            assert await refused(county_binds(key)), key  # another county's referrals

        async def county_reads_kelas_queue() -> None:
            async with as_county.channel() as channel:
                queue = await channel.get_queue(kela_queue, ensure=False)
                await queue.get(no_ack=False, fail=False)

        assert await refused(county_reads_kelas_queue())
    finally:
        await delete_queues(amqp_url, county_queue, kela_queue)


async def test_both_services_run_with_their_users(
    users: Users, tmp_path: Path, amqp_url: str, bus: AbstractChannel, dev_issuer: DevIssuer
) -> None:
    """Declare their queues, publish (signed), consume and park with their own users."""
    run = uuid.uuid4().hex[:8]
    kela_db = f"sqlite+aiosqlite:///{tmp_path / 'kela.db'}"
    county_db = f"sqlite+aiosqlite:///{tmp_path / 'county.db'}"
    await migrate(KELA_MIGRATIONS, kela_db)
    await migrate(MUNICIPALITY_MIGRATIONS, county_db)
    kela_settings = KelaSettings(
        database_url=kela_db,
        amqp_url=users.kela_url,
        amqp_declare_exchanges=False,
        queue_name=f"silta.kela-side.t{run}.inbox",
        relay_poll_seconds=0.2,
    )
    county_settings = MunicipalitySettings(
        database_url=county_db,
        amqp_url=users.county_url,
        amqp_declare_exchanges=False,
        counties="11,90",
        queue_name=f"silta.municipality-side.t{run}.inbox",
        child_welfare_queue_name=f"silta.municipality-side.t{run}.child-welfare",
        relay_poll_seconds=0.2,
    )
    try:
        async with (
            serving(build_kela(kela_settings), full_access_token(dev_issuer, Side.KELA)) as kela,
            serving(
                build_municipality(county_settings),
                full_access_token(dev_issuer, Side.MUNICIPALITY),
            ) as county,
        ):
            for client in (kela, county):
                await eventually(
                    lambda c=client: _status(c, "/readyz", 200),
                    timeout=20,  # type: ignore[misc]
                )
            body = copy.deepcopy(examples.NOTICE_OF_NEED_EXAMPLE)
            response = await kela.post("/v1/referrals", json=body)
            assert response.status_code == 201, response.text
            referral_id = response.json()["id"]

            async def delivered() -> bool:
                view = (await kela.get(f"/v1/referrals/{referral_id}")).json()
                return bool(view["status"] == "delivered")

            await eventually(delivered, timeout=20)

            # Parking works with the restricted users: an unsigned message to each side.
            for exchange, key, queue in (
                (KELA_EXCHANGE, "notice_of_need.11", county_settings.queue_name),
                (COUNTY_EXCHANGE, "status_acknowledgement.11", kela_settings.queue_name),
            ):
                target = await bus.get_exchange(exchange)
                await target.publish(aio_pika.Message(b"{}", message_id=run), routing_key=key)
                parked = await bus.get_queue(f"{queue}.parked")

                async def one(parked: Any = parked) -> Any:
                    return await parked.get(no_ack=True, fail=False)

                message = await eventually(one)
                assert message.headers["x-silta-reason"] == "signature.missing"
    finally:
        await delete_queues(
            amqp_url,
            kela_settings.queue_name,
            county_settings.queue_name,
            county_settings.child_welfare_queue_name,
        )


async def _status(client: Any, path: str, status: int) -> bool:
    return bool((await client.get(path)).status_code == status)
