"""The services' databases for one run: SQLite files, or fresh PostgreSQL databases."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

# asyncpg ships no type information; it is used through a few calls only.
asyncpg: Any = importlib.import_module("asyncpg")


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of the SQLite file ``path``."""
    return f"sqlite+aiosqlite:///{path.resolve()}"


def sqlalchemy_url(dsn: str) -> str:
    """A ``postgresql://`` DSN as the services' SQLAlchemy URL (asyncpg driver)."""
    return dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


@asynccontextmanager
async def postgres_databases(admin_dsn: str, names: Sequence[str]) -> AsyncIterator[list[str]]:
    """New, empty databases ``names`` on ``admin_dsn``'s server, dropped afterwards even
    while still connected to; yields their ``postgresql://`` DSNs."""
    created: list[str] = []
    base = admin_dsn.rsplit("/", 1)[0]
    try:
        admin = await asyncpg.connect(admin_dsn)
        try:
            for name in names:
                await admin.execute(f'CREATE DATABASE "{name}"')
                created.append(name)
        finally:
            await admin.close()
        yield [f"{base}/{name}" for name in names]
    finally:
        if created:
            admin = await asyncpg.connect(admin_dsn)
            try:
                for name in created:
                    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()
