"""Replicas starting at once on one PostgreSQL database migrate it one after the other.

Without the lock, concurrent upgrades of an empty database race on ``CREATE TABLE
alembic_version`` (a deadlock or a duplicate) and a replica fails to start.
"""

from __future__ import annotations

import asyncio
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.integration.conftest import KELA_MIGRATIONS

pytestmark = pytest.mark.postgres

REPLICAS = 4
MIGRATE = "import sys; from silta_platform.migrations import upgrade; upgrade(*sys.argv[1:])"


async def _replica_migrates(url: str) -> None:
    """What a replica does at start, in a process of its own (Alembic's context is global)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        MIGRATE,
        str(KELA_MIGRATIONS),
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, output.decode()[-2000:]


async def test_replicas_migrating_one_empty_database_at_once_all_start(postgres_url):
    await asyncio.gather(*(_replica_migrates(postgres_url) for _ in range(REPLICAS)))

    engine = create_async_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            versions = (await connection.execute(text("SELECT * FROM alembic_version"))).all()
            shared = (await connection.execute(text("SELECT * FROM alembic_version_shared"))).all()
    finally:
        await engine.dispose()
    assert len(versions) == 1
    assert len(shared) == 1
