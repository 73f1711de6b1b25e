"""One change in a referral's status history: who (organisation), when, what (status,
event, outcome) and why. A pure value: what both sides store and what crosses the bus."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from silta_schemas.status import ReferralStatus, StatusAcknowledgement


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
