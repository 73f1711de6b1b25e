"""Fixtures shared by every test layer: real RabbitMQ, real SQLite and PostgreSQL.

Each test session gets its own RabbitMQ virtual host, so its exchanges and queues never
mix with another run's (or with `make run`'s); each test that needs a database gets a new
one, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from silta_harness import (
    PostgresUnavailable,
    PrivatePostgres,
    VirtualHost,
    leased_vhost,
    postgres_databases,
    sqlalchemy_url,
)
from silta_harness.vhosts import delete_queues as harness_delete_queues
from silta_platform.auth import KELA_AUDIENCE, MUNICIPALITY_AUDIENCE
from silta_platform.authorisation import COUNTY_ROLES, KELA_ROLES, Side
from silta_platform.dev_tokens import DevIssuer
from silta_platform.migrations import upgrade

from tests import signing

AMQP_HOST = os.environ.get("SILTA_TEST_AMQP_HOST", "127.0.0.1")
POSTGRES_DSN = os.environ.get("SILTA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session", autouse=True)
def signing_keys() -> None:
    """Services built in-process sign with the session's test keys and trust the test
    registry (``tests/signing.py``); a test that needs others passes its own settings."""
    for prefix, side in (("KELA_SIDE_", "kela"), ("MUNICIPALITY_SIDE_", "municipality")):
        for name, value in signing.side_settings(side).items():
            os.environ.setdefault(prefix + name, value)


@pytest.fixture(scope="session")
def test_vhost() -> Iterator[VirtualHost]:
    """This run's own RabbitMQ virtual host, leased from the pool ``silta-test-0`` ..
    ``silta-test-7`` (``SILTA_TEST_VHOST`` names one instead): two test runs on one machine
    never consume or park each other's messages. Emptied of queues before and after the run;
    the virtual host itself is kept (creating and deleting them wedges RabbitMQ 3.10)."""
    with leased_vhost(
        "silta-test", name=os.environ.get("SILTA_TEST_VHOST") or None, host=AMQP_HOST
    ) as vhost:
        yield vhost


@pytest.fixture(scope="session")
def amqp_url(test_vhost: VirtualHost) -> str:
    """guest's AMQP URL on this run's virtual host (apart from `make run`'s and other runs')."""
    return test_vhost.amqp_url


async def delete_queues(amqp_url: str, *names: str) -> None:
    """Delete queues a test declared (and their parking queues), so nothing piles up."""
    await harness_delete_queues(amqp_url, [q for name in names for q in (name, f"{name}.parked")])


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database (asyncpg URL), dropped afterwards."""
    async with new_postgres_database() as url:
        yield url


@asynccontextmanager
async def new_postgres_database() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database (asyncpg URL), dropped afterwards."""
    name = f"silta_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = POSTGRES_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    yield f"{base}/{name}"
    admin = await asyncpg.connect(POSTGRES_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def private_postgres_server() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of this session's own, which fault tests stop and start (never
    the shared one). On ``SILTA_TEST_PRIVATE_PG_PORT`` if set, else on a free port."""
    port = os.environ.get("SILTA_TEST_PRIVATE_PG_PORT")
    try:
        server = PrivatePostgres(port=int(port)) if port else PrivatePostgres()
        server.create()
    except PostgresUnavailable as missing:
        pytest.skip(str(missing))
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture
async def private_postgres(
    private_postgres_server: PrivatePostgres,
) -> AsyncIterator[tuple[PrivatePostgres, str]]:
    """The private server, running, and a new database on it (asyncpg URL). Running again
    afterwards whatever the test did to it."""
    server = private_postgres_server
    async with postgres_databases(server.dsn, [f"silta_fault_{uuid.uuid4().hex[:12]}"]) as dsns:
        try:
            yield server, sqlalchemy_url(dsns[0])
        finally:
            if server.running:
                server.stop("immediate")
            server.start()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'silta.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs on the embedded default and on production's database."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture(scope="session", autouse=True)
def dev_issuer(tmp_path_factory: pytest.TempPathFactory) -> DevIssuer:
    """A development issuer for the session. Services built in-process trust it (its
    ``jwks_path`` is their default ``AUTH_JWKS``); a test that needs another passes it."""
    issuer = DevIssuer.ensure(tmp_path_factory.mktemp("dev-issuer"))
    for prefix in ("KELA_SIDE_", "MUNICIPALITY_SIDE_"):
        os.environ.setdefault(f"{prefix}AUTH_JWKS", str(issuer.jwks_path))
    return issuer


def full_access_token(issuer: DevIssuer, side: Side) -> str:
    """A token with every role of ``side``, for the tests of what a service does (the
    permission matrix is tested on its own, one role at a time)."""
    if side is Side.KELA:
        return issuer.mint(roles=sorted(KELA_ROLES), org="kela", audience=KELA_AUDIENCE)
    return issuer.mint(
        roles=sorted(COUNTY_ROLES),
        org="county-11",
        counties=["11", "90"],  # every county the tests' deployments serve
        audience=MUNICIPALITY_AUDIENCE,
    )


@asynccontextmanager
async def serving(app: FastAPI, token: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """Run ``app`` in-process with its lifespan (relay and consumer included); the client
    sends ``token`` as its bearer token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://silta.test", headers=headers
        ) as client:
            yield client


async def migrate(migrations_dir: Path, url: str) -> None:
    await asyncio.to_thread(upgrade, migrations_dir, url)
