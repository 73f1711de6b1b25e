"""The status history table, the same on both sides, and reading a referral's history.

Every change is kept: who (organisation), when, what (status, event, outcome) and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from silta_messaging.timestamps import UtcDateTime
from silta_platform.db import as_utc
from silta_protection.encryption import DataCipher, SealedColumn
from silta_schemas.status import ReferralStatus
from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from silta_records.events.table import EventTables, record_referral_events, status_event_kind
from silta_records.status_history.change import StatusChange

HISTORY = "referral_status_history"


def add_status_history(
    metadata: MetaData, events: EventTables, *, acknowledged_from: str | None = None
) -> Table:
    """The history table; every change added to it is also an event of the change feed
    (``events``), in the same statement group. ``acknowledged_from``: the organisations
    whose changes this side applies as acknowledgements (Kela's side: ``county-``)."""
    return Table(
        HISTORY,
        metadata,
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
        Column("referral_id", String(36), ForeignKey("referrals.id"), nullable=False),
        Column("sequence", Integer, nullable=False),
        Column("status", String(20), nullable=False),
        Column("event", String(40), nullable=True),
        Column("outcome", String(40), nullable=True),
        Column("hold_reason", String(40), nullable=True),
        Column("reason", Text, nullable=True),
        Column("changed_at", UtcDateTime(), nullable=False),
        Column("changed_by", String(20), nullable=False),
        # Where a forwarded referral went.
        Column("forwarded_to_county", String(2), nullable=True),
        Column("forwarded_to_municipality", String(3), nullable=True),
        # Which unit made the change (both sides) and which worker (the county's side only).
        Column("changed_by_unit", String(200), nullable=True),
        Column("changed_by_worker", String(200), nullable=True),
        UniqueConstraint("referral_id", "sequence", name="uq_history_referral_sequence"),
        info={"events": events, "acknowledged_from": acknowledged_from},
    )


def history_reason(history: Table) -> SealedColumn:
    """The free-text ``reason`` of a change (a rejection's, a cancellation's): sealed, bound
    to the referral and the change's sequence."""
    return SealedColumn(history, ("referral_id", "sequence"), "reason", form="text")


async def add_changes(
    conn: AsyncConnection,
    history: Table,
    cipher: DataCipher,
    rows: Sequence[Mapping[str, Any]],
    referrals: Mapping[str, tuple[str, str]] | None = None,
) -> None:
    """Insert history rows (``StatusChange.row``), each reason sealed, in one statement,
    and their events: every status change anywhere is recorded here, so here it is
    announced to the change feed. ``referrals``: id → (county code, message kind) of the
    referrals the caller holds (the others are read)."""
    if rows:
        reason = history_reason(history)
        await conn.execute(
            history.insert(),
            [
                {**row, "reason": reason.seal(cipher, row["reason"], reason.row_id(row))}
                for row in rows
            ],
        )
        events: EventTables = history.info["events"]
        acknowledged_from = history.info["acknowledged_from"]
        await record_referral_events(
            conn,
            events.events,
            history.metadata.tables["referrals"],
            [
                (
                    str(row["referral_id"]),
                    status_event_kind(row, acknowledged_from),
                    str(row["status"]),
                    row["changed_at"],
                )
                for row in rows
            ],
            referrals,
        )


async def add_referrals(
    referrals: Table,
    history: Table,
    conn: AsyncConnection,
    cipher: DataCipher,
    rows: Sequence[Mapping[str, Any]],
    changes: Sequence[Mapping[str, Any]],
) -> None:
    """Store new referrals (``rows``) with their first history entries, in two statements."""
    if rows:
        await conn.execute(referrals.insert(), list(rows))
        written = {str(row["id"]): (str(row["county_code"]), str(row["kind"])) for row in rows}
        await add_changes(conn, history, cipher, changes, written)


async def load_history(
    conn: AsyncConnection, history: Table, referral_id: UUID, cipher: DataCipher
) -> Sequence[StatusChange]:
    reason = history_reason(history)
    rows = await conn.execute(
        select(history)
        .where(history.c.referral_id == str(referral_id))
        .order_by(history.c.sequence)
    )
    return [
        StatusChange(
            sequence=row.sequence,
            status=ReferralStatus(row.status),
            changed_at=as_utc(row.changed_at),
            changed_by=row.changed_by,
            event=row.event,
            outcome=row.outcome,
            hold_reason=row.hold_reason,
            reason=reason.open(cipher, row.reason, reason.row_id(row._mapping)),
            forwarded_to_county=row.forwarded_to_county,
            forwarded_to_municipality=row.forwarded_to_municipality,
            changed_by_unit=row.changed_by_unit,
            changed_by_worker=row.changed_by_worker,
        )
        for row in rows
    ]
