"""How Kela's side puts a referral on the bus: one place for the envelope and routing key."""

from __future__ import annotations

from uuid import UUID

from silta_messaging.outbox import OutboxEntry
from silta_messaging.topology import KELA_EXCHANGE, routing_key
from silta_schemas.envelope import seal
from silta_schemas.parties import KELA, county_organisation
from silta_schemas.referrals import NoticeOfNeed, ReferralRequest


def is_child_welfare(request: ReferralRequest) -> bool:
    """A child-welfare notice: it and what follows it go to the child-welfare queue."""
    return isinstance(request, NoticeOfNeed) and request.is_child_welfare_notice


def referral_entry(request: ReferralRequest, referral_id: UUID) -> OutboxEntry:
    """The sealed referral for the outbox, routed to its county (a child-welfare notice to
    the county's child-welfare queue)."""
    county_code = request.county_code
    envelope = seal(
        request, sender=KELA, recipient=county_organisation(county_code), referral_id=referral_id
    )
    key = routing_key(request.kind, county_code, child_welfare=is_child_welfare(request))
    return OutboxEntry(envelope, KELA_EXCHANGE, key)
