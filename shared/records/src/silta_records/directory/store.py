"""Reading and writing the directory table: SQL only, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from silta_platform.db import as_utc, locking
from silta_schemas.directory import DirectoryEntry, KelaService
from silta_schemas.parties import KELA
from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from silta_records.directory.rules import Stored


async def stored(
    conn: AsyncConnection, table: Table, ids: Sequence[str], *, lock: bool = False
) -> dict[str, Stored]:
    """What is stored of the entries ``ids`` (live or removed); ``lock`` them until commit."""
    if not ids:
        return {}
    query = select(table.c.entry_id, table.c.organisation, table.c.updated_at, table.c.removed)
    query = query.where(table.c.entry_id.in_(ids))
    if lock:
        query = locking(query, conn)
    return {
        row.entry_id: Stored(row.organisation, as_utc(row.updated_at), row.removed)
        for row in await conn.execute(query)
    }


async def stored_entry(conn: AsyncConnection, table: Table, key: str) -> DirectoryEntry:
    entry = (await conn.execute(select(table.c.entry).where(table.c.entry_id == key))).scalar_one()
    return DirectoryEntry.model_validate(entry)


async def write(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]], existing: set[str]
) -> None:
    """Insert the rows that are new, replace the others (one statement each)."""
    inserts = [row for row in rows if row["entry_id"] not in existing]
    updates = [
        {f"v_{key}": value for key, value in row.items()}
        for row in rows
        if row["entry_id"] in existing
    ]
    if inserts:
        await conn.execute(table.insert(), inserts)
    if updates:
        columns = [column.name for column in table.columns if column.name != "entry_id"]
        await conn.execute(
            update(table)
            .where(table.c.entry_id == bindparam("v_entry_id"))
            .values({name: bindparam(f"v_{name}") for name in columns}),
            updates,
        )


@dataclass(frozen=True)
class DirectoryQuery:
    county: str | None = None
    service: KelaService | None = None
    organisation: str | None = None
    text: str | None = None
    limit: int = 100
    offset: int = 0


async def search_entries(
    conn: AsyncConnection, table: Table, query: DirectoryQuery
) -> list[DirectoryEntry]:
    """Live entries of both parts, Kela's first, then by county, unit and name.

    ``county`` matches that county's units and Kela's teams for its area, and also Kela's
    national contacts (no area), which serve every county.
    """
    statement = select(table.c.entry).where(table.c.removed.is_(False))
    if query.county is not None:
        national = (table.c.organisation == KELA) & table.c.county_code.is_(None)
        statement = statement.where(or_(table.c.county_code == query.county, national))
    if query.service is not None:
        statement = statement.where(
            table.c.services.contains(f",{query.service.value},", autoescape=True)
        )
    if query.organisation is not None:
        statement = statement.where(table.c.organisation == query.organisation)
    if query.text is not None:
        statement = statement.where(
            table.c.search_text.contains(query.text.casefold(), autoescape=True)
        )
    statement = (
        statement.order_by(
            (table.c.organisation != KELA),
            func.coalesce(table.c.county_code, ""),
            table.c.organisation,
            table.c.search_text,
            table.c.entry_id,
        )
        .limit(query.limit)
        .offset(query.offset)
    )
    rows = (await conn.execute(statement)).scalars().all()
    return [DirectoryEntry.model_validate(row) for row in rows]


async def get_entry(conn: AsyncConnection, table: Table, entry_id: UUID) -> DirectoryEntry | None:
    live = (
        await conn.execute(
            select(table.c.entry).where(
                table.c.entry_id == str(entry_id), table.c.removed.is_(False)
            )
        )
    ).scalar_one_or_none()
    return None if live is None else DirectoryEntry.model_validate(live)
