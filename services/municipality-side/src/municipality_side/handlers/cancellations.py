"""Kela's cancellations: the referral is cancelled at once, and Kela told so."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from uuid import UUID

from silta_messaging.incoming import Incoming, Rejection
from silta_platform.unit_of_work import UnitOfWork
from silta_protection.access_log import Access, service_actor
from silta_protection.encryption import cipher_of
from silta_schemas.cancellation import Cancellation
from silta_schemas.errors import RuleRefused
from silta_schemas.lifecycle import TransitionNotAllowed

from municipality_side.db import referral_repository
from municipality_side.domain.referrals import cancellation
from municipality_side.messages import acknowledgement
from municipality_side.purposes import HANDLING_PURPOSE, MUNICIPALITY_SERVICE
from municipality_side.settings import MunicipalitySettings


async def receive_cancellations(
    work: UnitOfWork, messages: Sequence[Incoming], settings: MunicipalitySettings
) -> Mapping[UUID, Rejection]:
    """Cancel each referral, one message after another (a later one sees the earlier's
    change).

    Rejected (parked): a cancellation of a referral this side does not hold for a county it
    serves, one addressed to another county than the one holding it, and one that comes after
    the referral was closed (``lifecycle.terminal``).
    """
    rejections: dict[UUID, Rejection] = {}
    for message in messages:
        envelope, payload = message.envelope, message.payload
        assert isinstance(payload, Cancellation)
        referral_id = envelope.referral_id
        assert referral_id is not None  # the envelope requires it
        found = await referral_repository.held(work.conn, referral_id)
        try:
            change = cancellation(
                None if found is None else found[0],
                recipient=envelope.recipient,
                served=settings.served_counties,
                reason=payload.reason,
                now=datetime.now(UTC),
            )
        except RuleRefused as refusal:
            rejections[envelope.message_id] = Rejection(refusal.rule, refusal.detail)
            continue
        except TransitionNotAllowed as error:
            rejections[envelope.message_id] = Rejection(error.rule, error.message)
            continue
        assert found is not None
        held, client_key = found
        await referral_repository.record_change(work.conn, cipher_of(settings), referral_id, change)
        work.announce(acknowledgement(referral_id, held.county_code, change))
        work.account(
            Access(
                service_actor(MUNICIPALITY_SERVICE, envelope.sender),
                "update",
                "referral",
                str(referral_id),
                client_key,
                HANDLING_PURPOSE,
                "bus",
                county=held.county_code,
            )
        )
    return rejections
