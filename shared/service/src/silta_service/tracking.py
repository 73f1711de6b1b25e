"""A referral's status history, kept in the same shape on both sides.

Every change is kept: who (organisation), when, what (status, event, outcome) and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from silta_schemas.status import ReferralStatus, StatusAcknowledgement
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

from silta_service.db import as_utc

HISTORY = "referral_status_history"


@dataclass(frozen=True)
class StatusChange:
    sequence: int
    status: ReferralStatus
    changed_at: datetime
    changed_by: str
    event: str | None = None
    outcome: str | None = None
    reason: str | None = None
    forwarded_to_county: str | None = None
    forwarded_to_municipality: str | None = None

    @classmethod
    def from_acknowledgement(cls, ack: StatusAcknowledgement) -> StatusChange:
        return cls(
            sequence=ack.sequence,
            status=ack.status,
            changed_at=ack.changed_at,
            changed_by=ack.changed_by,
            event=ack.event,
            outcome=ack.outcome,
            reason=ack.reason,
            forwarded_to_county=ack.forwarded_to_county,
            forwarded_to_municipality=ack.forwarded_to_municipality,
        )

    def acknowledgement(self, referral_id: UUID) -> StatusAcknowledgement:
        """What the other side is told of this change: the status, never case content."""
        return StatusAcknowledgement(
            kind="status_acknowledgement",
            referral_id=referral_id,
            sequence=self.sequence,
            status=self.status,
            event=self.event,
            outcome=self.outcome,
            reason=self.reason,
            forwarded_to_county=self.forwarded_to_county,
            forwarded_to_municipality=self.forwarded_to_municipality,
            changed_at=self.changed_at,
            changed_by=self.changed_by,
        )

    def row(self, referral_id: UUID) -> dict[str, Any]:
        return {
            "referral_id": str(referral_id),
            "sequence": self.sequence,
            "status": self.status,
            "event": self.event,
            "outcome": self.outcome,
            "reason": self.reason,
            "forwarded_to_county": self.forwarded_to_county,
            "forwarded_to_municipality": self.forwarded_to_municipality,
            "changed_at": self.changed_at,
            "changed_by": self.changed_by,
        }


def add_status_history(metadata: MetaData) -> Table:
    return Table(
        HISTORY,
        metadata,
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
        Column("referral_id", String(36), ForeignKey("referrals.id"), nullable=False),
        Column("sequence", Integer, nullable=False),
        Column("status", String(20), nullable=False),
        Column("event", String(40), nullable=True),
        Column("outcome", String(40), nullable=True),
        Column("reason", Text, nullable=True),
        Column("changed_at", DateTime(timezone=True), nullable=False),
        Column("changed_by", String(20), nullable=False),
        # Where a forwarded referral went.
        Column("forwarded_to_county", String(2), nullable=True),
        Column("forwarded_to_municipality", String(3), nullable=True),
        UniqueConstraint("referral_id", "sequence", name="uq_history_referral_sequence"),
    )


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
