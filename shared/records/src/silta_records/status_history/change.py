"""One change in a referral's status history: who (organisation), when, what (status,
event, outcome) and why. A pure value: what both sides store and what crosses the bus."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from silta_schemas.status import ReferralStatus, StatusAcknowledgement

_SENT = frozenset(StatusAcknowledgement.model_fields) - {"kind", "referral_id"}
"""The fields of a change that cross the bus."""


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
    changed_by_unit: str | None = None
    """The county unit that made the change (work data): both sides keep it."""
    changed_by_worker: str | None = None
    """The county worker who made it (their token's subject): the county's side only, never
    on the bus (Kela learns a worker only through the responsible-worker kind)."""

    @classmethod
    def from_acknowledgement(cls, ack: StatusAcknowledgement) -> StatusChange:
        return cls(
            **{field.name: getattr(ack, field.name) for field in fields(cls) if field.name in _SENT}
        )

    def acknowledgement(self, referral_id: UUID) -> StatusAcknowledgement:
        """What the other side is told of this change: the status, never case content, never
        the worker."""
        sent = {name: getattr(self, name) for name in _SENT}
        return StatusAcknowledgement(kind="status_acknowledgement", referral_id=referral_id, **sent)

    def row(self, referral_id: UUID) -> dict[str, Any]:
        return {"referral_id": str(referral_id), **self.as_dict()}

    def as_dict(self) -> dict[str, Any]:
        """The fields by name (its values are immutable: ``dataclasses.asdict``'s deep copy
        costs a few % of a service's CPU per message for nothing)."""
        return {name: getattr(self, name) for name in _FIELDS}


_FIELDS = tuple(field.name for field in fields(StatusChange))
