"""End-to-end fixtures: both services as real processes on the session's RabbitMQ vhost.

Thin fixtures over :mod:`silta_harness` (the processes) and this folder's modules: the
system and its HTTP clients (``client``), the test's own bus connection (``bus``), request
bodies (``bodies``) and polling (``polling``). Tests talk to the services only as their
users do: over HTTP, and over the bus where a test plays a misbehaving or repeating sender.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from silta_harness import (
    RabbitCluster,
    RabbitUnavailable,
    postgres_databases,
    sqlalchemy_url,
    sqlite_url,
)

from tests.e2e.bodies import Bodies
from tests.e2e.bus import Bus
from tests.e2e.client import Silta, running_silta
from tests.e2e.polling import eventually

POSTGRES_DSN = os.environ.get("SILTA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
async def bus(amqp_url: str) -> AsyncIterator[Bus]:
    connection = await aio_pika.connect(amqp_url)
    try:
        yield Bus(connection)
    finally:
        await connection.close()


@pytest.fixture
def start_silta(
    tmp_path: Path, amqp_url: str
) -> Callable[..., contextlib.AbstractAsyncContextManager[Silta]]:
    """``async with start_silta(log_level=..., counties=...) as silta``: both services on
    fresh SQLite databases, with settings a test chooses."""
    runs = iter(range(1_000))

    def start(**settings: Any) -> contextlib.AbstractAsyncContextManager[Silta]:
        directory = tmp_path / f"run-{next(runs)}"
        return running_silta(
            directory,
            amqp_url,
            kela_database_url=sqlite_url(directory / "kela.db"),
            municipality_database_url=sqlite_url(directory / "municipality.db"),
            **settings,
        )

    return start


@pytest.fixture
async def silta(
    start_silta: Callable[..., contextlib.AbstractAsyncContextManager[Silta]],
) -> AsyncIterator[Silta]:
    """Both services on SQLite databases in ``tmp_path``."""
    async with start_silta() as running:
        yield running


@pytest.fixture
async def silta_on_postgres(tmp_path: Path, amqp_url: str) -> AsyncIterator[Silta]:
    """Both services on PostgreSQL, each with a fresh database of its own."""
    names = [f"silta_e2e_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    async with (
        postgres_databases(POSTGRES_DSN, names) as (kela_dsn, municipality_dsn),
        running_silta(
            tmp_path / "run",
            amqp_url,
            kela_database_url=sqlalchemy_url(kela_dsn),
            municipality_database_url=sqlalchemy_url(municipality_dsn),
        ) as running,
    ):
        yield running


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_silta(request: pytest.FixtureRequest) -> Silta:
    """Each test using this runs on SQLite and on PostgreSQL."""
    name = "silta" if request.param == "sqlite" else "silta_on_postgres"
    running: Silta = request.getfixturevalue(name)
    return running


@pytest.fixture
def bodies() -> Bodies:
    return Bodies()


@pytest.fixture(name="eventually")
def eventually_fixture() -> Callable[..., Awaitable[Any]]:
    """``await eventually(check, timeout=...)``: poll an async assertion until it holds."""
    return eventually


@pytest.fixture
def rabbitmq_app() -> Iterator[Callable[[str], None]]:
    """``rabbitmqctl stop_app`` / ``start_app`` for a test; the broker is always running again
    afterwards, whatever happened."""

    def ctl(*args: str, timeout: float = 120) -> None:
        subprocess.run(
            ["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=timeout
        )

    def control(action: str) -> None:
        if action == "stop":
            ctl("stop_app")
        elif action == "start":
            ctl("start_app")
            ctl("await_startup")
        else:
            raise ValueError(action)

    try:
        yield control
    finally:
        try:
            ctl("start_app")
        finally:
            ctl("await_startup")


@pytest.fixture
def rabbit_cluster() -> Iterator[RabbitCluster]:
    """A private three-node RabbitMQ cluster (free ports), stopped and deleted after."""
    cluster = RabbitCluster()
    try:
        try:
            cluster.start()
        except RabbitUnavailable as error:
            pytest.skip(str(error))
        yield cluster
    finally:
        cluster.destroy()
