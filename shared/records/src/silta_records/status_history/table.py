"""The status history table, the same on both sides, and reading a referral's history.

Every change is kept: who (organisation), when, what (status, event, outcome) and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from silta_platform.db import as_utc
from silta_schemas.status import ReferralStatus
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
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

from silta_records.status_history.change import StatusChange

HISTORY = "referral_status_history"


def history_columns(*, forwarding: bool = True) -> list[Any]:
    return [
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
        Column("referral_id", String(36), ForeignKey("referrals.id"), nullable=False),
        Column("sequence", Integer, nullable=False),
        Column("status", String(20), nullable=False),
        Column("event", String(40), nullable=True),
        Column("outcome", String(40), nullable=True),
        Column("reason", Text, nullable=True),
        Column("changed_at", DateTime(timezone=True), nullable=False),
        Column("changed_by", String(20), nullable=False),
        *(forwarding_columns() if forwarding else []),
        UniqueConstraint("referral_id", "sequence", name="uq_history_referral_sequence"),
    ]


def forwarding_columns() -> list[Column[str]]:
    """Where a forwarded referral went (migration 0004 adds them to existing databases)."""
    return [
        Column("forwarded_to_county", String(2), nullable=True),
        Column("forwarded_to_municipality", String(3), nullable=True),
    ]


def add_forwarding_columns(op: Any) -> None:
    """For the migration that adds forwarding to an existing history table."""
    for column in forwarding_columns():
        op.add_column(HISTORY, column)


def add_status_history(metadata: MetaData) -> Table:
    return Table(HISTORY, metadata, *history_columns())


def create_status_history(op: Any) -> None:
    """For a service's first Alembic migration: the table as it was then (0004 adds
    forwarding)."""
    op.create_table(HISTORY, *history_columns(forwarding=False))


async def load_history(
    conn: AsyncConnection, history: Table, referral_id: UUID
) -> Sequence[StatusChange]:
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
            reason=row.reason,
            forwarded_to_county=row.forwarded_to_county,
            forwarded_to_municipality=row.forwarded_to_municipality,
        )
        for row in rows
    ]
