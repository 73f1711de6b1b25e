"""One change in a referral's status history: who (organisation), when, what (status,
event, outcome) and why. A pure value: what both sides store and what crosses the bus."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
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
    hold_reason: str | None = None
    reason: str | None = None
    forwarded_to_county: str | None = None
    forwarded_to_municipality: str | None = None

    @classmethod
    def from_acknowledgement(cls, ack: StatusAcknowledgement) -> StatusChange:
        return cls(**{field.name: getattr(ack, field.name) for field in fields(cls)})

    def acknowledgement(self, referral_id: UUID) -> StatusAcknowledgement:
        """What the other side is told of this change: the status, never case content."""
        return StatusAcknowledgement(
            kind="status_acknowledgement", referral_id=referral_id, **asdict(self)
        )

    def row(self, referral_id: UUID) -> dict[str, Any]:
        return {"referral_id": str(referral_id), **asdict(self)}
