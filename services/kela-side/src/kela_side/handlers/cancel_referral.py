"""POST /v1/referrals/{id}/cancel: Kela cancels a referral it sent in error.

Kela's side marks the referral cancelled at once and tells the county, which applies the
cancellation and reports it back as Kela's change; that then joins the history with the
county's sequence.
"""

from __future__ import annotations

from datetime import UTC, datetime

from silta_platform.unit_of_work import Transactions
from silta_protection.access_log import Access
from silta_protection.encryption import cipher_of
from silta_schemas.errors import NotFound
from silta_schemas.referrals import referral_adapter
from silta_schemas.status import ReferralStatus

from kela_side.commands import CancelReferral
from kela_side.db import referral_repository as stored
from kela_side.db.tables import REFERRAL_PAYLOAD
from kela_side.domain.referrals import cancel
from kela_side.messages import cancellation_entry, is_child_welfare
from kela_side.purposes import CANCEL_PURPOSE
from kela_side.records import ReferralRecord
from kela_side.settings import KelaSettings


async def cancel_referral(
    command: CancelReferral, transactions: Transactions, settings: KelaSettings
) -> ReferralRecord:
    """Cancel and tell the county; the referral as it is now. Raises ``NotFound`` and
    ``TransitionNotAllowed`` (the referral is no longer open)."""
    referral_id, cipher = command.referral_id, cipher_of(settings)
    async with transactions.begin() as work:
        row = await stored.for_cancellation(work.conn, referral_id)
        if row is None:
            raise NotFound("referral")
        cancellation = cancel(ReferralStatus(row.status), command.reason, datetime.now(UTC))
        await stored.mark_cancelled(work.conn, cipher, referral_id, cancellation)
        referral = REFERRAL_PAYLOAD.open(cipher, row.payload, str(referral_id))
        work.announce(
            cancellation_entry(
                cancellation,
                referral_id,
                recipient=row.recipient,
                child_welfare=is_child_welfare(referral_adapter.validate_python(referral)),
            )
        )
        work.account(
            Access(
                command.actor,
                "update",
                "referral",
                str(referral_id),
                row.client_key,
                CANCEL_PURPOSE,
            )
        )
        record = await stored.load(work.conn, referral_id, cipher)
    assert record is not None
    return record
