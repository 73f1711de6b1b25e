"""POST /v1/referrals/{id}/status: a county worker moves a referral along its lifecycle
(forwarding included), and Kela is told in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from silta_platform.unit_of_work import Transactions
from silta_protection.access_log import Access
from silta_protection.encryption import cipher_of

from municipality_side.commands import ChangeStatus
from municipality_side.db import referral_repository
from municipality_side.domain.referrals import change_by_county
from municipality_side.messages import acknowledgement
from municipality_side.purposes import HANDLING_PURPOSE
from municipality_side.records import ReferralRecord
from municipality_side.settings import MunicipalitySettings


async def change_status(
    command: ChangeStatus, transactions: Transactions, settings: MunicipalitySettings
) -> ReferralRecord:
    """The referral as it is after the change.

    Raises ``NotFound``, ``TransitionNotAllowed`` or ``RuleRefused`` (``domain.referrals``).
    """
    referral_id, cipher = command.referral_id, cipher_of(settings)
    async with transactions.begin() as work:
        held, client_key = await referral_repository.held_in(
            work.conn, referral_id, command.counties
        )
        change = change_by_county(held, command.update, datetime.now(UTC), command.actor.subject)
        await referral_repository.record_change(work.conn, cipher, referral_id, change)
        work.announce(acknowledgement(referral_id, held.county_code, change))
        work.account(
            Access(
                command.actor,
                "update",
                "referral",
                str(referral_id),
                client_key,
                HANDLING_PURPOSE,
                county=held.county_code,
            )
        )
        record = await referral_repository.load(work.conn, cipher, referral_id)
    assert record is not None
    return record
