"""Alembic, run programmatically: a database holds two histories, each with one linear head.

A service's own tables (its referrals, statements) are migrated by the history in its ``db``
package (version table ``alembic_version``); the tables both services keep alike by the
shared history in ``silta_migrations`` (version table ``alembic_version_shared``), applied
after it because the shared records refer to the service's ``referrals``.
"""

from __future__ import annotations

import asyncio
import os
import sys
from importlib.resources import files
from pathlib import Path
from typing import cast, get_args

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from sqlalchemy import Connection, pool, text
from sqlalchemy.ext.asyncio import create_async_engine

from silta_platform.logs import LogFormat, configure_logging
from silta_platform.settings import MIGRATION_URL_VARIABLE

SERVICE_VERSION_TABLE = "alembic_version"

SHARED_HISTORY = Path(str(files("silta_migrations")))
"""The Alembic script location of the shared tables' history (package ``silta_migrations``,
data only: this module does not import it, its ``env.py`` imports this one)."""
SHARED_VERSION_TABLE = "alembic_version_shared"
"""Where the shared history records its revision, beside the service's ``alembic_version``."""
MIGRATION_LOCK = 0x51174_0001
"""PostgreSQL advisory lock key held while a history migrates: replicas starting together
(Kubernetes starts them at once) migrate one after the other, and the later ones find the
schema at head. Held per transaction, so a crashed migrator releases it."""


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
                lock = text("SELECT pg_advisory_xact_lock(:key)")
                connection.execute(lock, {"key": MIGRATION_LOCK})
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(run())


def main(arguments: list[str]) -> int:
    """``python -m silta_platform.migrations MIGRATIONS_DIR SERVICE LEVEL FORMAT``, the
    database URL in the environment (``MIGRATION_URL_VARIABLE``, never on the command line,
    which ``ps`` shows): ``upgrade``, logged as the service logs (``silta_platform.serve``
    runs it before serving)."""
    migrations_dir, service, level, log_format = arguments
    if log_format not in get_args(LogFormat):
        raise ValueError(f"unknown log format {log_format!r}")
    configure_logging(level, service, access_log=False, log_format=cast(LogFormat, log_format))
    upgrade(Path(migrations_dir), os.environ[MIGRATION_URL_VARIABLE])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
