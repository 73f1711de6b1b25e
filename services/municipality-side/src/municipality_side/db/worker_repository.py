"""A referral's responsible workers in a county's database: SQL over the caller's connection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from silta_records.directory import get_entry
from silta_records.responsible_workers import Naming, add_namings, load_namings
from sqlalchemy.ext.asyncio import AsyncConnection

from municipality_side.db.statements import responsible_workers
from municipality_side.db.tables import directory_entries


async def namings(conn: AsyncConnection, referral_id: UUID) -> Sequence[Naming]:
    """Every naming of the referral's responsible worker, oldest first."""
    return await load_namings(conn, responsible_workers, referral_id)


async def add(
    conn: AsyncConnection, referral_id: UUID, naming: Naming, recorded_at: datetime
) -> None:
    await add_namings(conn, responsible_workers, [naming.row(referral_id, recorded_at)])


async def entry_organisation(conn: AsyncConnection, entry_id: UUID) -> str | None:
    """The organisation of a live entry of the contact directory; None if there is none."""
    entry = await get_entry(conn, directory_entries, entry_id)
    return None if entry is None else entry.organisation
