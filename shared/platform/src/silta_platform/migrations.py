"""Alembic, run programmatically: a database holds two histories, each with one linear head.

A service's own tables (its referrals, statements) are migrated by the history in its ``db``
package (version table ``alembic_version``); the tables both services keep alike by the
shared history in ``silta_migrations`` (version table ``alembic_version_shared``), applied
after it because the shared records refer to the service's ``referrals``.
"""

from __future__ import annotations

import asyncio
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from sqlalchemy import Connection, pool, text
from sqlalchemy.ext.asyncio import create_async_engine

SERVICE_VERSION_TABLE = "alembic_version"

SHARED_HISTORY = Path(str(files("silta_migrations")))
"""The Alembic script location of the shared tables' history (package ``silta_migrations``,
data only: this module does not import it, its ``env.py`` imports this one)."""
SHARED_VERSION_TABLE = "alembic_version_shared"
"""Where the shared history records its revision, beside the service's ``alembic_version``."""
LOCK_KEY = 0x5117A_0001
"""The PostgreSQL advisory lock a migration holds for its transaction."""


def alembic_config(history: Path, database_url: str, version_table: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(history))
    config.set_main_option("sqlalchemy.url", database_url)
    config.set_main_option("version_table", version_table)
    return config


def histories(migrations_dir: Path) -> list[tuple[Path, str]]:
    """A service's histories in the order they are applied, each with its version table."""
    return [
        (migrations_dir, SERVICE_VERSION_TABLE),
        (SHARED_HISTORY, SHARED_VERSION_TABLE),
    ]


def upgrade(migrations_dir: Path, database_url: str) -> None:
    """Bring a service's database (its history in ``migrations_dir``, then the shared one) to
    the newest schema (synchronous: call before the event loop)."""
    for history, version_table in histories(migrations_dir):
        command.upgrade(alembic_config(history, database_url, version_table), "head")


def run_env(context: EnvironmentContext) -> None:
    """The body of each history's ``env.py``: online migrations over the async driver."""
    url = context.config.get_main_option("sqlalchemy.url")
    version_table = context.config.get_main_option("version_table", SERVICE_VERSION_TABLE)
    assert url is not None

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, version_table=version_table, render_as_batch=True)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Replicas starting at once migrate one after the other: the next finds the
                # schema at head (a concurrent CREATE TABLE alembic_version deadlocks).
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(run())
