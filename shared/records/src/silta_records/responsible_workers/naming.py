"""One naming of a referral's responsible worker (vastuutyöntekijä): a pure value, what both
sides store and what crosses the bus. Work contact data only, never client data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from silta_schemas.workers import ResponsibleWorker, ResponsibleWorkerChange, WorkContact


@dataclass(frozen=True)
class Naming:
    """One naming of a referral's responsible worker."""

    named_at: datetime
    change: ResponsibleWorkerChange
    worker: WorkContact
    directory_entry_id: UUID | None

    @classmethod
    def from_payload(cls, payload: ResponsibleWorker) -> Naming:
        return cls(payload.named_at, payload.change, payload.worker, payload.directory_entry_id)

    def payload(self) -> ResponsibleWorker:
        """What the other side is told: the work contact, never anything about the client."""
        return ResponsibleWorker(
            kind="responsible_worker",
            named_at=self.named_at,
            change=self.change,
            worker=self.worker,
            directory_entry_id=self.directory_entry_id,
        )

    def row(self, referral_id: UUID, recorded_at: datetime) -> dict[str, Any]:
        return {
            "referral_id": str(referral_id),
            "named_at": self.named_at,
            "change": self.change,
            "worker": self.worker.model_dump(mode="json"),
            "directory_entry_id": None
            if self.directory_entry_id is None
            else str(self.directory_entry_id),
            "recorded_at": recorded_at,
        }
