"""Integration fixtures: a service running in-process against the real broker and database."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
import silta_messaging.topology as topology
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection
from fastapi import FastAPI
from kela_side.main import build_app as build_kela
from kela_side.settings import KelaSettings
from municipality_side.main import build_app as build_municipality
from municipality_side.settings import MunicipalitySettings
from silta_harness.ports import free_port
from silta_platform.auth import KELA_AUDIENCE, MUNICIPALITY_AUDIENCE
from silta_platform.authorisation import COUNTY_ROLES, Role, Side
from silta_platform.db import create_engine
from silta_platform.dev_tokens import DevIssuer
from silta_platform.logs import configure_logging
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from tests import signing
from tests.conftest import (
    delete_queues,
    full_access_token,
    migrate,
    new_postgres_database,
    serving,
)

KELA_MIGRATIONS = Path(__import__("kela_side").__file__).parent / "db" / "migrations"
MUNICIPALITY_MIGRATIONS = (
    Path(__import__("municipality_side").__file__).parent / "db" / "migrations"
)


@dataclass
class Both:
    """Both services in-process, each on its own database, on the test broker."""

    kela: httpx.AsyncClient
    municipality: httpx.AsyncClient
    kela_app: FastAPI
    municipality_app: FastAPI
    issuer: DevIssuer
    kela_queue: str

    def token(self, side: Side, role: Role, county: str = "11") -> dict[str, str]:
        """A user with one role, of the organisation that role belongs to."""
        audience = KELA_AUDIENCE if side is Side.KELA else MUNICIPALITY_AUDIENCE
        if role in COUNTY_ROLES:
            token = self.issuer.mint(
                roles=[role], org=f"county-{county}", counties=[county], audience=audience
            )
        else:
            token = self.issuer.mint(roles=[role], org="kela", audience=audience)
        return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def two_sides(
    kela_url: str,
    municipality_url: str,
    amqp_url: str,
    issuer: DevIssuer,
    metrics_ports: tuple[int, int] | tuple[None, None] = (None, None),
    **settings: Any,
) -> AsyncIterator[Both]:
    """Kela's side on ``kela_url`` and the municipality side (counties 11 and 90) on
    ``municipality_url``, migrated, talking over the test broker; clients without a token.
    ``metrics_ports``: Kela's and the municipality side's ``METRICS_PORT``; ``settings``:
    more of both sides' settings."""
    await migrate(KELA_MIGRATIONS, kela_url)
    await migrate(MUNICIPALITY_MIGRATIONS, municipality_url)
    run = uuid.uuid4().hex[:8]
    kela_settings = KelaSettings(
        database_url=kela_url,
        amqp_url=amqp_url,
        queue_name=f"test.both-kela.{run}",
        relay_poll_seconds=0.2,
        auth_jwks=str(issuer.jwks_path),
        metrics_port=metrics_ports[0],
        **settings,
    )
    municipality_settings = MunicipalitySettings(
        database_url=municipality_url,
        amqp_url=amqp_url,
        counties="11,90",
        queue_name=f"test.both-municipality.{run}",
        child_welfare_queue_name=f"test.both-municipality-cw.{run}",
        relay_poll_seconds=0.2,
        auth_jwks=str(issuer.jwks_path),
        metrics_port=metrics_ports[1],
        **settings,
    )
    kela_app = build_kela(kela_settings)
    municipality_app = build_municipality(municipality_settings)
    try:
        async with serving(kela_app) as kela, serving(municipality_app) as municipality:
            both = Both(
                kela, municipality, kela_app, municipality_app, issuer, kela_settings.queue_name
            )

            async def ready() -> bool:
                answers = [await kela.get("/readyz"), await municipality.get("/readyz")]
                return all(answer.status_code == 200 for answer in answers)

            await eventually(ready)
            yield both
    finally:
        await delete_queues(
            amqp_url,
            kela_settings.queue_name,
            municipality_settings.queue_name,
            municipality_settings.child_welfare_queue_name,
        )


@pytest.fixture
async def both(tmp_path: Path, amqp_url: str, dev_issuer: DevIssuer) -> AsyncIterator[Both]:
    """Both services in-process, each on its own SQLite database."""
    kela_url = f"sqlite+aiosqlite:///{tmp_path / 'kela.db'}"
    municipality_url = f"sqlite+aiosqlite:///{tmp_path / 'municipality.db'}"
    async with two_sides(kela_url, municipality_url, amqp_url, dev_issuer) as sides:
        yield sides


@asynccontextmanager
async def sides_on(
    database_url: str, tmp_path: Path, amqp_url: str, issuer: DevIssuer, **settings: Any
) -> AsyncIterator[Both]:
    """Kela on ``database_url``, the county on a second database of the same kind."""
    async with contextlib.AsyncExitStack() as stack:
        if database_url.startswith("sqlite"):
            county_url = f"sqlite+aiosqlite:///{tmp_path / 'county.db'}"
        else:
            county_url = await stack.enter_async_context(new_postgres_database())
        yield await stack.enter_async_context(
            two_sides(database_url, county_url, amqp_url, issuer, **settings)
        )


@pytest.fixture
async def sides(
    database_url: str, tmp_path: Path, amqp_url: str, dev_issuer: DevIssuer
) -> AsyncIterator[Both]:
    """Kela on ``database_url``, the county on a second database of the same kind."""
    async with sides_on(database_url, tmp_path, amqp_url, dev_issuer) as both:
        yield both


@pytest.fixture
async def scraped(tmp_path: Path, amqp_url: str, dev_issuer: DevIssuer) -> AsyncIterator[Both]:
    """Both sides on SQLite files in ``tmp_path`` (``kela.db``, ``municipality.db``), each
    with a ``METRICS_PORT`` (its client's ``x-metrics-port`` header), clients without a
    token."""
    kela_url = f"sqlite+aiosqlite:///{tmp_path / 'kela.db'}"
    municipality_url = f"sqlite+aiosqlite:///{tmp_path / 'municipality.db'}"
    ports = (free_port(), free_port())
    async with two_sides(kela_url, municipality_url, amqp_url, dev_issuer, ports) as sides:
        sides.kela.headers["x-metrics-port"] = str(ports[0])
        sides.municipality.headers["x-metrics-port"] = str(ports[1])
        yield sides


@pytest.fixture
async def bus(amqp_url: str) -> AsyncIterator[AbstractChannel]:
    """A confirming channel on the test vhost, for publishing and reading as a test peer."""
    connection: AbstractRobustConnection = await aio_pika.connect_robust(amqp_url)
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    yield channel
    await connection.close()


@asynccontextmanager
async def running_kela(
    database_url: str, amqp_url: str, dev_issuer: DevIssuer, *, token: bool = True, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """Kela's side in-process on ``database_url`` with more ``settings``, ready, with a
    full-access client (with no token at all unless ``token``)."""
    await migrate(KELA_MIGRATIONS, database_url)
    config = KelaSettings(
        database_url=database_url,
        auth_jwks=str(dev_issuer.jwks_path),
        amqp_url=amqp_url,
        queue_name=f"test.kela.{uuid.uuid4().hex[:8]}",
        **{"relay_poll_seconds": 0.2, **settings},
    )
    bearer = full_access_token(dev_issuer, Side.KELA) if token else None
    try:
        async with serving(build_kela(config), bearer) as client:
            await eventually(lambda: _ready(client))
            yield client
    finally:  # also when the test failed: a queue left bound would take later tests' messages
        await delete_queues(amqp_url, config.queue_name)


@asynccontextmanager
async def running_municipality(
    database_url: str, amqp_url: str, dev_issuer: DevIssuer, *, token: bool = True, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The municipality side (counties 11 and 90) in-process on ``database_url`` with more
    ``settings``, ready, with a full-access client (with no token at all unless ``token``;
    its ``x-test-queue`` header names its queue, for tests that read parking)."""
    await migrate(MUNICIPALITY_MIGRATIONS, database_url)
    config = MunicipalitySettings(
        database_url=database_url,
        auth_jwks=str(dev_issuer.jwks_path),
        amqp_url=amqp_url,
        counties="11,90",
        queue_name=f"test.municipality.{uuid.uuid4().hex[:8]}",
        child_welfare_queue_name=f"test.municipality-cw.{uuid.uuid4().hex[:8]}",
        **{"relay_poll_seconds": 0.2, **settings},
    )
    bearer = full_access_token(dev_issuer, Side.MUNICIPALITY) if token else None
    try:
        async with serving(build_municipality(config), bearer) as client:
            client.headers["x-test-queue"] = config.queue_name
            await eventually(lambda: _ready(client))
            yield client
    finally:  # also when the test failed: a queue left bound would take later tests' messages
        await delete_queues(amqp_url, config.queue_name, config.child_welfare_queue_name)


@pytest.fixture
async def kela(
    database_url: str, amqp_url: str, dev_issuer: DevIssuer
) -> AsyncIterator[httpx.AsyncClient]:
    async with running_kela(database_url, amqp_url, dev_issuer) as client:
        yield client


@pytest.fixture
async def municipality(
    database_url: str, amqp_url: str, dev_issuer: DevIssuer
) -> AsyncIterator[httpx.AsyncClient]:
    async with running_municipality(database_url, amqp_url, dev_issuer) as client:
        yield client


@asynccontextmanager
async def two_replicas(
    database_url: str, metadata: MetaData
) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """Two engines on one database with ``metadata``'s tables: two replicas of a service."""
    first, second = create_engine(database_url), create_engine(database_url)
    async with first.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield first, second
    finally:
        await first.dispose()
        await second.dispose()


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200


async def eventually(
    probe: Callable[[], Awaitable[Any]], *, timeout: float = 10.0, interval: float = 0.05
) -> Any:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(interval)


Acks = asyncio.Queue[AbstractIncomingMessage]


@pytest.fixture
async def acks(municipality: httpx.AsyncClient, bus: AbstractChannel) -> Acks:
    """What Kela's side would receive from county 11: its status acknowledgements, collected
    from before the test delivers anything."""
    return await tap(bus, topology.COUNTY_EXCHANGE, "status_acknowledgement.11")


async def tap(
    channel: AbstractChannel, exchange: str, key: str
) -> asyncio.Queue[AbstractIncomingMessage]:
    """Bind a throw-away queue to ``exchange`` and collect what arrives on ``key``."""
    await channel.get_exchange(exchange)  # declared by the caller or the services
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, routing_key=key)
    received: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()

    async def collect(message: AbstractIncomingMessage) -> None:
        await message.ack()
        await received.put(message)

    await queue.consume(collect)
    return received


def body(message: AbstractIncomingMessage) -> dict[str, Any]:
    """The envelope a service published, decrypted with the test keys (it travels
    encrypted: a body in clear fails here)."""
    return signing.opened(message.body)


@pytest.fixture
def service_logs() -> Iterator[io.StringIO]:
    """The services' logging configuration for one test, its handler writing to a buffer
    instead of stderr; then the test run's logging back."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("INFO", "kela-side")
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    handler.setStream(buffer)
    yield buffer
    root.handlers[:], level = saved
    root.setLevel(level)
    logging.getLogger("uvicorn.access").disabled = False
