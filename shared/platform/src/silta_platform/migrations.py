"""Alembic, run programmatically: each service keeps its migrations in its ``db`` package."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from sqlalchemy import Connection, MetaData, pool
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(migrations_dir: Path, database_url: str) -> None:
    """Bring the database to the newest schema (synchronous: call before the event loop)."""
    command.upgrade(alembic_config(migrations_dir, database_url), "heads")


def run_env(context: EnvironmentContext, metadata: MetaData) -> None:
    """The body of a service's ``env.py``: online migrations over the async driver."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(run())
