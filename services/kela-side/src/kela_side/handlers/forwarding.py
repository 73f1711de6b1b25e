"""A county answered "not ours": Kela's side sends the referral on to the right county.

The forwarded referral is a new leg with its own id, linked both ways to the one before it,
so each county numbers its own acknowledgements and Kela sees the whole chain.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import ValidationError
from silta_platform.unit_of_work import UnitOfWork
from silta_protection.access_log import Access, service_actor
from silta_protection.encryption import cipher_of
from silta_records.status_history import StatusChange
from silta_schemas.envelope import describe_errors
from silta_schemas.ids import new_id
from silta_schemas.parties import KELA, county_organisation
from silta_schemas.status import ReferralStatus, StatusAcknowledgement

from kela_side.db import referral_repository as stored
from kela_side.db.tables import REFERRAL_PAYLOAD
from kela_side.domain.referrals import SENT_SEQUENCE, forward
from kela_side.messages import referral_entry
from kela_side.purposes import FORWARD_PURPOSE, KELA_SERVICE
from kela_side.settings import KelaSettings

log = logging.getLogger(__name__)


async def send_onwards(
    work: UnitOfWork, settings: KelaSettings, forwards: Sequence[StatusAcknowledgement]
) -> None:
    """Create and announce the next leg of each forwarded referral, in ``work``."""
    cipher = cipher_of(settings)
    rows = await stored.not_forwarded_yet(work.conn, [ack.referral_id for ack in forwards])
    now = datetime.now(UTC)
    for ack in forwards:
        row = rows.get(str(ack.referral_id))
        if row is None:
            continue  # already sent onwards (a repeated acknowledgement)
        try:
            payload = REFERRAL_PAYLOAD.open(cipher, row.payload, row.id)
            assert payload is not None  # an open referral is never purged
            request = forward(payload, ack, row.county_code)
        except ValidationError as error:
            log.error(
                "forwarded referral %s cannot be re-sent: %s",
                ack.referral_id,
                describe_errors(error),
            )
            continue
        leg_id = new_id()
        sent = StatusChange(SENT_SEQUENCE, ReferralStatus.SENT, now, KELA)
        leg = stored.new_referral_row(
            request, leg_id, now, settings, client_key=row.client_key, forwarded_from_id=row.id
        )
        await stored.add(work.conn, cipher, [leg], [sent.row(leg_id)])
        work.announce(referral_entry(request, leg_id))
        await stored.mark_forwarded(work.conn, row.id, leg_id)
        log.info(
            "referral %s forwarded by county %s: sent on as %s", row.id, row.county_code, leg_id
        )
        actor = service_actor(KELA_SERVICE, county_organisation(row.county_code))
        work.account(
            Access(actor, "read", "referral", row.id, row.client_key, FORWARD_PURPOSE, "bus"),
            Access(
                actor, "create", "referral", str(leg_id), row.client_key, FORWARD_PURPOSE, "bus"
            ),
        )
