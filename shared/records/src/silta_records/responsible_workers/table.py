"""A referral's responsible workers (vastuutyöntekijä), kept in the same shape on both sides.

Every naming is kept: who was named when, and whether it was the first (`named`) or a later
one (`changed`). The current responsible worker is the one named last (`named_at`), so a
change that arrives before an older one still leaves the right worker current. Work contact
data only, never client data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field
from silta_messaging.timestamps import UtcDateTime
from silta_platform.db import as_utc
from silta_schemas.directory import DirectoryEntry
from silta_schemas.workers import ResponsibleWorkerChange, WorkContact
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from silta_records.events.table import WORKER_NAMED, EventTables, record_referral_events
from silta_records.responsible_workers.naming import Naming

WORKERS = "responsible_workers"
_INDEX = "ix_responsible_workers_referral"


def add_responsible_workers(metadata: MetaData, events: EventTables) -> Table:
    """The namings table; each naming added (``add_namings``) is an event of the feed."""
    return Table(
        WORKERS,
        metadata,
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
        Column("referral_id", String(36), ForeignKey("referrals.id"), nullable=False),
        Column("named_at", UtcDateTime(), nullable=False),
        Column("change", String(10), nullable=False),
        Column("worker", JSON, nullable=False),
        Column("directory_entry_id", String(36), nullable=True),
        Column("recorded_at", UtcDateTime(), nullable=False),
        Index(_INDEX, "referral_id", "named_at"),
        info={"events": events},
    )


async def add_namings(
    conn: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Store namings (``Naming.row``) and their events, in the caller's transaction."""
    if rows:
        await conn.execute(table.insert(), list(rows))
        events: EventTables = table.info["events"]
        await record_referral_events(
            conn,
            events.events,
            table.metadata.tables["referrals"],
            [(str(row["referral_id"]), WORKER_NAMED, None, row["named_at"]) for row in rows],
        )


async def load_namings(conn: AsyncConnection, table: Table, referral_id: UUID) -> Sequence[Naming]:
    """Every naming of the referral's responsible worker, oldest first."""
    rows = await conn.execute(
        select(table)
        .where(table.c.referral_id == str(referral_id))
        .order_by(table.c.named_at, table.c.id)
    )
    return [
        Naming(
            named_at=as_utc(row.named_at),
            change=ResponsibleWorkerChange(row.change),
            worker=WorkContact.model_validate(row.worker),
            directory_entry_id=None
            if row.directory_entry_id is None
            else UUID(row.directory_entry_id),
        )
        for row in rows
    ]


class NamingView(BaseModel):
    """One naming of a referral's responsible worker."""

    named_at: datetime = Field(description="When the county named the worker.")
    change: ResponsibleWorkerChange = Field(
        description="`named` for the first responsible worker, `changed` for a later one."
    )
    worker: WorkContact = Field(description="The worker's work contact.")
    directory_entry_id: UUID | None = Field(
        description="The worker's entry in the county's part of the contact directory, if any."
    )


class ResponsibleWorkerView(NamingView):
    """The referral's current responsible worker (the one named last)."""

    directory_entry: DirectoryEntry | None = Field(
        default=None,
        description="The directory entry `directory_entry_id` names, where this side holds it "
        "(the county's part of the directory, replicated to Kela over the bus).",
    )


def naming_view(naming: Naming) -> NamingView:
    return NamingView.model_validate(naming, from_attributes=True)
