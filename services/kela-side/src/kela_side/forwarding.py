"""A county answered "not ours": Kela's side re-sends the referral to the right county.

The forwarded referral is a new leg with its own id, linked both ways to the one before it,
so each county numbers its own acknowledgements and Kela sees the whole chain.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from pydantic import ValidationError
from silta_messaging.outbox import add_to_outbox
from silta_protection.access_log import Access, service_actor
from silta_protection.encryption import cipher_of
from silta_records.status_history.change import StatusChange
from silta_schemas.envelope import describe_errors
from silta_schemas.parties import KELA, county_organisation
from silta_schemas.referrals import referral_adapter
from silta_schemas.status import ReferralStatus, StatusAcknowledgement
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kela_side.db.tables import REFERRAL_CODE, messaging, referrals, status_history
from kela_side.domain.referrals import SENT_SEQUENCE, forwarded_payload
from kela_side.sending import new_referral_row, referral_entry
from kela_side.settings import KelaSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Leg:
    """One county's part of a (possibly forwarded) referral."""

    referral_id: UUID
    county_code: str
    status: ReferralStatus


KELA_SERVICE = "silta-kela-side"
"""The subject of what the service itself does on a message's behalf (access log)."""
FORWARD_PURPOSE = "referral.forward"


async def send_onwards(
    conn: AsyncConnection, settings: KelaSettings, forwards: Sequence[StatusAcknowledgement]
) -> list[Access]:
    """Create and send the next leg of each forwarded referral, in the caller's transaction;
    return what to log (the caller appends it to the access log)."""
    cipher = cipher_of(settings)
    accesses: list[Access] = []
    ids = [str(ack.referral_id) for ack in forwards]
    rows = {
        row.id: row
        for row in await conn.execute(
            select(
                referrals.c.id,
                referrals.c.kind,
                referrals.c.county_code,
                referrals.c.payload,
                referrals.c.client_key,
                referrals.c.new_referral_reason,
            ).where(referrals.c.id.in_(ids), referrals.c.forwarded_to_id.is_(None))
        )
    }
    now = datetime.now(UTC)
    for ack in forwards:
        row = rows.get(str(ack.referral_id))
        if row is None:
            continue  # already sent onwards (a repeated acknowledgement)
        try:
            payload = REFERRAL_CODE.open(cipher, row.payload, row.id)
            assert payload is not None  # an open referral is never purged
            request = referral_adapter.validate_python(
                forwarded_payload(payload, ack, row.county_code)
            )
        except ValidationError as error:
            log.error(
                "forwarded referral %s cannot be re-sent: %s",
                ack.referral_id,
                describe_errors(error),
            )
            continue
        leg_id = uuid4()
        sent = StatusChange(SENT_SEQUENCE, ReferralStatus.SENT, now, KELA)
        await conn.execute(
            referrals.insert().values(
                new_referral_row(
                    request,
                    leg_id,
                    now,
                    settings,
                    client_key=row.client_key,
                    forwarded_from_id=row.id,
                )
            )
        )
        await conn.execute(status_history.insert().values(sent.row(leg_id)))
        await add_to_outbox(conn, messaging.outbox, [referral_entry(request, leg_id)])
        await conn.execute(
            update(referrals).where(referrals.c.id == row.id).values(forwarded_to_id=str(leg_id))
        )
        log.info(
            "referral %s forwarded by county %s: sent on as %s", row.id, row.county_code, leg_id
        )
        actor = service_actor(KELA_SERVICE, county_organisation(row.county_code))
        accesses += [
            Access(actor, "read", "referral", row.id, row.client_key, FORWARD_PURPOSE, "bus"),
            Access(
                actor, "create", "referral", str(leg_id), row.client_key, FORWARD_PURPOSE, "bus"
            ),
        ]
    return accesses


async def chain_of(conn: AsyncConnection, referral_id: UUID) -> list[Leg]:
    """Every leg of the referral ``referral_id`` belongs to, first county first."""
    columns = (
        referrals.c.id,
        referrals.c.county_code,
        referrals.c.status,
        referrals.c.forwarded_from_id,
        referrals.c.forwarded_to_id,
    )
    by_id = {}
    current = str(referral_id)
    while current not in by_id:  # back to the first leg
        row = (await conn.execute(select(*columns).where(referrals.c.id == current))).first()
        if row is None:
            return []
        by_id[current] = row
        if row.forwarded_from_id is None:
            break
        current = row.forwarded_from_id
    legs = []
    seen: set[str] = set()
    row = by_id[current]
    while row is not None and row.id not in seen:  # forwards to the last
        seen.add(row.id)
        legs.append(Leg(UUID(row.id), row.county_code, ReferralStatus(row.status)))
        nxt = row.forwarded_to_id
        row = (
            None
            if nxt is None
            else (
                by_id.get(nxt)
                or (await conn.execute(select(*columns).where(referrals.c.id == nxt))).first()
            )
        )
    return legs
