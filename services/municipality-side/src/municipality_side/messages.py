"""What a county's side puts on the bus: everything goes to Kela, from the county concerned."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel
from silta_messaging.outbox import OutboxEntry
from silta_records.status_history import StatusChange
from silta_schemas.envelope import seal
from silta_schemas.parties import KELA, county_organisation


def to_kela(payload: BaseModel, county_code: str, referral_id: UUID | None = None) -> OutboxEntry:
    """``payload`` sealed from ``county_code``'s county to Kela, on the counties' exchange."""
    envelope = seal(
        payload, sender=county_organisation(county_code), recipient=KELA, referral_id=referral_id
    )
    return OutboxEntry.addressed(envelope)


def acknowledgement(referral_id: UUID, county_code: str, change: StatusChange) -> OutboxEntry:
    """Kela is told of every change, the county's own and Kela's cancellation applied here:
    the status, never the content of the case."""
    return to_kela(change.acknowledgement(referral_id), county_code, referral_id)
