"""The services' databases for one run, and read-only probes of Kela's referral statuses."""

from __future__ import annotations

import asyncio
import importlib
import secrets
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from silta_harness import sqlalchemy_url, sqlite_url
from silta_harness.databases import postgres_databases as fresh_postgres_databases
from silta_messaging.timestamps import UtcDateTime
from sqlalchemy.dialects import sqlite

# asyncpg ships no type information; the probe uses it through a few calls only.
asyncpg: Any = importlib.import_module("asyncpg")

POSTGRES_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"

_COUNT_DELIVERED = "SELECT count(*) FROM referrals WHERE status = 'delivered'"
# Counting only the referrals created since a moment reads only their part of the index of
# statuses (status, created_at): at 100,000 referrals counting them all took 3.5 ms a poll,
# every 50 ms, on the cores the services share.
_COUNT_DELIVERED_SINCE = _COUNT_DELIVERED + " AND created_at >= {marker}"
_SQLITE_TIME = UtcDateTime().bind_processor(sqlite.dialect()) or str
_DELIVERED_CHANGES = (
    "SELECT referral_id, changed_at FROM referral_status_history WHERE status = 'delivered'"
)


@dataclass(frozen=True)
class ServiceDatabases:
    kind: str
    kela_url: str
    """SQLAlchemy URL for the Kela side."""
    municipality_url: str

    @property
    def names(self) -> list[str]:
        """The two databases' names (on PostgreSQL: whose backends are the services')."""
        return [url.rsplit("/", 1)[1] for url in (self.kela_url, self.municipality_url)]


class DeliveryProbe(Protocol):
    """Reads the Kela side's database while the services run."""

    async def delivered_count(self, since: datetime | None = None) -> int:
        """Referrals ``delivered`` at Kela; only those created at or after ``since``, if given."""
        ...

    async def delivered_among(self, ids: Sequence[str]) -> set[str]: ...

    async def municipality_stored_at(self) -> dict[str, float]:
        """Referral id → epoch seconds of its ``delivered`` change (the county's clock)."""
        ...

    async def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of a read-only query on Kela's database (no parameters)."""
        ...

    async def close(self) -> None: ...


def epoch(value: datetime | str) -> float:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:  # SQLite keeps what Silta stores: UTC, without the offset
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


class SqliteProbe:
    """A read-only ``sqlite3`` connection, used from a worker thread (WAL: never blocks)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = sqlite3.connect(
                f"file:{self._path}?mode=ro", uri=True, timeout=10, check_same_thread=False
            )
        return self._conn

    async def _query(self, sql: str, params: Sequence[str] = ()) -> list[tuple[Any, ...]]:
        def run() -> list[tuple[Any, ...]]:
            return self._connection().execute(sql, tuple(params)).fetchall()

        async with self._lock:
            return await asyncio.to_thread(run)

    async def delivered_count(self, since: datetime | None = None) -> int:
        if since is None:
            rows = await self._query(_COUNT_DELIVERED)
        else:  # as the services write it (UTC text: silta_messaging.timestamps)
            text = _SQLITE_TIME(since)
            rows = await self._query(_COUNT_DELIVERED_SINCE.format(marker="?"), [text])
        return int(rows[0][0])

    async def delivered_among(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = await self._query(
                f"SELECT id FROM referrals WHERE status = 'delivered' AND id IN ({marks})",  # noqa: S608
                chunk,
            )
            found.update(str(row[0]) for row in rows)
        return found

    async def municipality_stored_at(self) -> dict[str, float]:
        return {str(row[0]): epoch(row[1]) for row in await self._query(_DELIVERED_CHANGES)}

    async def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        return await self._query(sql)

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class PostgresProbe:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn: Any = None
        self._lock = asyncio.Lock()

    async def _connection(self) -> Any:
        if self._conn is None:
            self._conn = await asyncpg.connect(self._dsn)
        return self._conn

    async def delivered_count(self, since: datetime | None = None) -> int:
        async with self._lock:
            conn = await self._connection()
            if since is None:
                return int(await conn.fetchval(_COUNT_DELIVERED))
            return int(await conn.fetchval(_COUNT_DELIVERED_SINCE.format(marker="$1"), since))

    async def delivered_among(self, ids: Sequence[str]) -> set[str]:
        async with self._lock:
            conn = await self._connection()
            rows = await conn.fetch(
                "SELECT id FROM referrals WHERE status = 'delivered' AND id = ANY($1::text[])",
                list(ids),
            )
        return {str(row[0]) for row in rows}

    async def municipality_stored_at(self) -> dict[str, float]:
        async with self._lock:
            conn = await self._connection()
            rows = await conn.fetch(_DELIVERED_CHANGES)
        return {str(row[0]): epoch(row[1]) for row in rows}

    async def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        async with self._lock:
            conn = await self._connection()
            return [tuple(row) for row in await conn.fetch(sql)]

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                await self._conn.close()
                self._conn = None


@asynccontextmanager
async def sqlite_databases(directory: Path) -> AsyncIterator[tuple[ServiceDatabases, Path]]:
    """Two SQLite files in ``directory`` (the caller removes it); yields them and Kela's path."""
    kela = directory / "kela-side.db"
    municipality = directory / "municipality-side.db"
    yield ServiceDatabases("sqlite", sqlite_url(kela), sqlite_url(municipality)), kela


@asynccontextmanager
async def postgres_databases(
    admin_dsn: str = POSTGRES_ADMIN_DSN,
) -> AsyncIterator[tuple[ServiceDatabases, str]]:
    """Two fresh PostgreSQL databases, dropped afterwards; yields them and Kela's asyncpg DSN."""
    stem = f"silta_bench_{secrets.token_hex(4)}"
    names = (f"{stem}_kela", f"{stem}_municipality")
    async with fresh_postgres_databases(admin_dsn, names) as (kela, municipality):
        yield (
            ServiceDatabases("postgresql", sqlalchemy_url(kela), sqlalchemy_url(municipality)),
            kela,
        )


@asynccontextmanager
async def run_databases(
    kind: str, directory: Path, admin_dsn: str = POSTGRES_ADMIN_DSN
) -> AsyncIterator[tuple[ServiceDatabases, DeliveryProbe]]:
    """The databases of one run (``sqlite`` or ``postgresql``) and a probe of Kela's."""
    async with AsyncExitStack() as stack:
        probe: DeliveryProbe
        if kind == "postgresql":
            databases, kela_dsn = await stack.enter_async_context(postgres_databases(admin_dsn))
            probe = PostgresProbe(kela_dsn)
        else:
            databases, kela_path = await stack.enter_async_context(sqlite_databases(directory))
            probe = SqliteProbe(kela_path)
        stack.push_async_callback(probe.close)
        yield databases, probe
