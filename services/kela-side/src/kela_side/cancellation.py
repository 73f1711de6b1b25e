"""Kela cancels a referral it sent in error; the county sees it as soon as it arrives.

Kela's side marks the referral cancelled at once. The county applies the cancellation and
reports it back as Kela's change, which then joins the history with the county's sequence.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from silta_messaging.outbox import OutboxEntry, add_to_outbox
from silta_messaging.topology import KELA_EXCHANGE, routing_key
from silta_protection import access_log as audit
from silta_protection.encryption import cipher_of
from silta_schemas.cancellation import Cancellation, CancellationRequest
from silta_schemas.envelope import seal
from silta_schemas.lifecycle import Actor, check_transition
from silta_schemas.parties import KELA
from silta_schemas.referrals import referral_adapter
from silta_schemas.status import ReferralStatus
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from kela_side.db.tables import REFERRAL_CODE, access_log, messaging, referrals
from kela_side.sending import is_child_welfare
from kela_side.settings import KelaSettings

CANCEL_PURPOSE = "referral.cancel"


class ReferralNotFound(Exception):
    pass


async def cancel_referral(
    engine: AsyncEngine,
    settings: KelaSettings,
    referral_id: UUID,
    request: CancellationRequest,
    actor: audit.Actor = audit.UNAUTHENTICATED,
) -> None:
    """Cancel and tell the county; raises ``TransitionNotAllowed`` or ``ReferralNotFound``."""
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        query = select(
            referrals.c.status,
            referrals.c.recipient,
            referrals.c.county_code,
            referrals.c.payload,
            referrals.c.client_key,
        ).where(referrals.c.id == str(referral_id))
        if engine.dialect.name == "postgresql":
            query = query.with_for_update()  # against a concurrent acknowledgement
        row = (await conn.execute(query)).first()
        if row is None:
            raise ReferralNotFound(referral_id)
        check_transition(ReferralStatus(row.status), ReferralStatus.CANCELLED, Actor.KELA)
        await conn.execute(
            update(referrals)
            .where(referrals.c.id == str(referral_id))
            .values(
                status=ReferralStatus.CANCELLED,
                cancelled_at=now,
                cancellation_reason=request.reason,
                updated_at=now,
            )
        )
        payload = Cancellation(kind="cancellation", cancelled_at=now, reason=request.reason)
        envelope = seal(payload, sender=KELA, recipient=row.recipient, referral_id=referral_id)
        # The same queue as the referral, so that the county never sees it before the referral.
        referral = REFERRAL_CODE.open(cipher_of(settings), row.payload, str(referral_id))
        child_welfare = is_child_welfare(referral_adapter.validate_python(referral))
        key = routing_key(payload.kind, row.county_code, child_welfare=child_welfare)
        await add_to_outbox(conn, messaging.outbox, [OutboxEntry(envelope, KELA_EXCHANGE, key)])
        await audit.record_access(
            conn,
            access_log,
            [
                audit.Access(
                    actor, "update", "referral", str(referral_id), row.client_key, CANCEL_PURPOSE
                )
            ],
        )
