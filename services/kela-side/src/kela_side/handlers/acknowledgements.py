"""The counties' status acknowledgements: each change joins its referral's history, the
newest becomes its status, and a forwarded referral is sent on to the county named."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from uuid import UUID

from silta_messaging.incoming import Incoming, Rejection
from silta_platform.unit_of_work import UnitOfWork
from silta_protection.access_log import Access, service_actor
from silta_protection.encryption import cipher_of
from silta_schemas.status import StatusAcknowledgement

from kela_side.db import acknowledgement_repository as stored
from kela_side.domain.referrals import Acknowledgement, apply_acknowledgements
from kela_side.handlers.forwarding import send_onwards
from kela_side.purposes import KELA_SERVICE, TRACK_PURPOSE
from kela_side.settings import KelaSettings

log = logging.getLogger(__name__)


async def receive_acknowledgements(
    work: UnitOfWork, messages: Sequence[Incoming], settings: KelaSettings
) -> Mapping[UUID, Rejection]:
    """Record a batch of status acknowledgements in a few statements.

    Rejected (parked): one whose payload and envelope name different referrals, one for a
    referral Kela does not have, and one the referral's rules refuse
    (``kela_side.domain.referrals.decide``).
    """
    acknowledgements = [_acknowledgement(message) for message in messages]
    found, recorded = await stored.tracked(
        work.conn, [(item.ack.referral_id, item.ack.sequence) for item in acknowledgements]
    )
    applied = apply_acknowledgements(acknowledgements, found.referrals, recorded)
    for item in applied.recorded:
        referral_id = item.ack.referral_id
        work.account(
            Access(
                service_actor(KELA_SERVICE, item.sender),
                "update",
                "referral",
                str(referral_id),
                found.client_keys.get(referral_id),
                TRACK_PURPOSE,
                "bus",
            )
        )
    await stored.add_history(
        work.conn,
        cipher_of(settings),
        [item.ack for item in applied.recorded],
        found.counties_and_kinds,
    )
    await stored.advance(work.conn, applied.advanced)
    for item in applied.recorded:  # ids, sequence and status only
        log.info(
            "acknowledgement applied",
            extra={
                "message_id": str(item.message_id),
                "referral_id": str(item.ack.referral_id),
                "sequence": item.ack.sequence,
                "status": str(item.ack.status),
            },
        )
    if applied.forwarded:
        await send_onwards(work, settings, applied.forwarded)
    return {
        message_id: Rejection(refusal.rule, refusal.detail)
        for message_id, refusal in applied.refused.items()
    }


def _acknowledgement(message: Incoming) -> Acknowledgement:
    payload = message.payload
    assert isinstance(payload, StatusAcknowledgement)
    envelope = message.envelope
    return Acknowledgement(envelope.message_id, envelope.sender, envelope.referral_id, payload)
