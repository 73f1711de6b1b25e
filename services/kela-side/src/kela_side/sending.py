"""How Kela's side puts a referral on the bus: one place for the envelope and routing key."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from silta_messaging.outbox import OutboxEntry
from silta_messaging.topology import KELA_EXCHANGE, routing_key
from silta_protection.encryption import cipher_of
from silta_records.deadlines import referral_due_at
from silta_schemas.envelope import seal
from silta_schemas.parties import KELA, county_organisation
from silta_schemas.referrals import NoticeOfNeed, ReferralRequest
from silta_schemas.status import ReferralStatus

from kela_side.db.tables import REFERRAL_CODE
from kela_side.domain.referrals import SENT_SEQUENCE
from kela_side.settings import KelaSettings


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


def new_referral_row(
    request: ReferralRequest,
    referral_id: UUID,
    now: datetime,
    settings: KelaSettings,
    *,
    client_key: str,
    payload: dict[str, Any] | None = None,
    **columns: Any,
) -> dict[str, Any]:
    """The ``referrals`` row of a referral Kela sends now (status ``sent``, its identity code
    encrypted, its deadline set); ``columns`` add what only some referrals have."""
    county_code = request.county_code
    body = request.model_dump(mode="json") if payload is None else payload
    return {
        "id": str(referral_id),
        "kind": request.kind,
        "county_code": county_code,
        "recipient": county_organisation(county_code),
        "status": ReferralStatus.SENT,
        "status_sequence": SENT_SEQUENCE,
        "payload": REFERRAL_CODE.seal(cipher_of(settings), body, str(referral_id)),
        "client_key": client_key,
        "new_referral_reason": request.new_referral_reason,
        "due_at": referral_due_at(request, now, settings),
        "created_at": now,
        "updated_at": now,
        **columns,
    }
