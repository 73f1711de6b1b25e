"""What Kela's side puts on the bus: each message sealed and addressed in one place."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel
from silta_messaging.outbox import OutboxEntry
from silta_schemas.cancellation import Cancellation
from silta_schemas.envelope import seal
from silta_schemas.parties import KELA, county_organisation
from silta_schemas.referral_parts import for_county
from silta_schemas.referrals import NoticeOfNeed, ReferralRequest
from silta_schemas.statements import StatementReceipt


def is_child_welfare(request: ReferralRequest) -> bool:
    """A child-welfare notice: it and what follows it go to the child-welfare queue."""
    return isinstance(request, NoticeOfNeed) and request.is_child_welfare_notice


def referral_entry(request: ReferralRequest, referral_id: UUID) -> OutboxEntry:
    """The sealed referral, to its county (a child-welfare notice to the county's
    child-welfare queue); under an address non-disclosure with the county code only, never
    the municipality (``for_county``)."""
    recipient = county_organisation(request.county_code)
    envelope = seal(for_county(request), sender=KELA, recipient=recipient, referral_id=referral_id)
    return OutboxEntry.addressed(envelope, child_welfare=is_child_welfare(request))


def cancellation_entry(
    cancellation: Cancellation, referral_id: UUID, *, recipient: str, child_welfare: bool
) -> OutboxEntry:
    """Kela's cancellation of a referral, on the same queue as the referral (its county's,
    ``child_welfare`` or not), so that the county never sees it before the referral."""
    envelope = seal(cancellation, sender=KELA, recipient=recipient, referral_id=referral_id)
    return OutboxEntry.addressed(envelope, child_welfare=child_welfare)


def receipt_entry(
    county: str, referral_id: UUID | None, statement_id: UUID, received_at: datetime
) -> OutboxEntry:
    """Kela's receipt of a statement, to the county (``county-NN``) that sent it: nothing
    personal."""
    receipt = StatementReceipt(
        kind="statement_receipt", statement_id=statement_id, received_at=received_at
    )
    envelope = seal(receipt, sender=KELA, recipient=county, referral_id=referral_id)
    return OutboxEntry.addressed(envelope)


def to_client_county(record: BaseModel, county_code: str) -> OutboxEntry:
    """A cooperation record (case-manager period, cooperation case) as it now stands, to the
    client's county; it belongs to no referral."""
    recipient = county_organisation(county_code)
    return OutboxEntry.addressed(seal(record, sender=KELA, recipient=recipient, referral_id=None))
