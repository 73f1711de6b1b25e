"""Kela's referrals (notices of need, notices of basic amount reduction, application
transfers): store each, ``delivered`` at once, and tell Kela in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from silta_messaging.incoming import Incoming, Rejection
from silta_platform.unit_of_work import UnitOfWork
from silta_protection.access_log import Access, service_actor
from silta_protection.encryption import cipher_of, client_key_of
from silta_schemas.errors import RuleRefused
from silta_schemas.referrals import ApplicationTransfer, NoticeOfBasicAmountReduction, NoticeOfNeed

from municipality_side.db import referral_repository
from municipality_side.domain.referrals import (
    Arrival,
    admit,
    check_contents,
    delivered,
    first_deliveries,
)
from municipality_side.messages import acknowledgement
from municipality_side.purposes import MUNICIPALITY_SERVICE, RECEIVE_PURPOSE
from municipality_side.settings import MunicipalitySettings

_PAYLOADS = (NoticeOfNeed, NoticeOfBasicAmountReduction, ApplicationTransfer)


async def receive_referrals(
    work: UnitOfWork, messages: Sequence[Incoming], settings: MunicipalitySettings
) -> Mapping[UUID, Rejection]:
    """Store each referral for a county served; acknowledge it ``delivered``.

    Rejected (parked): a referral for a county this deployment does not serve, and one whose
    id another message (in this batch, or before) already delivered.
    """
    by_message = {message.envelope.message_id: message for message in messages}
    refused: dict[UUID, RuleRefused] = {}
    for message in messages:
        try:
            check_contents(message.payload, settings.checklist)
        except RuleRefused as refusal:
            refused[message.envelope.message_id] = refusal
    arrivals = [_arrival(message) for message in messages]
    admitted = admit([a for a in arrivals if a.message_id not in refused], settings.served_counties)
    refused.update(admitted.refused)
    if admitted.accepted:
        known = await referral_repository.known(
            work.conn, (arrival.referral_id for arrival in admitted.accepted)
        )
        new = first_deliveries(admitted.accepted, known)
        refused.update(new.refused)
        await _store(work, [by_message[arrival.message_id] for arrival in new.accepted], settings)
    return {message_id: Rejection(no.rule, no.detail) for message_id, no in refused.items()}


async def _store(
    work: UnitOfWork, messages: Sequence[Incoming], settings: MunicipalitySettings
) -> None:
    cipher = cipher_of(settings)
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for message in messages:
        envelope, referral = message.envelope, message.payload
        assert isinstance(referral, _PAYLOADS)
        assert envelope.referral_id is not None  # the envelope requires it for referrals
        change = delivered(envelope.recipient, now)
        key = client_key_of(settings, referral.client.identity_code)
        rows.append(
            referral_repository.new_referral_row(
                envelope, referral, change, client_key=key, cipher=cipher, settings=settings
            )
        )
        history.append(change.row(envelope.referral_id))
        work.announce(acknowledgement(envelope.referral_id, referral.county_code, change))
        work.account(
            Access(
                service_actor(MUNICIPALITY_SERVICE, envelope.sender),
                "create",
                "referral",
                str(envelope.referral_id),
                key,
                RECEIVE_PURPOSE,
                "bus",
                county=referral.county_code,
            )
        )
    await referral_repository.add(work.conn, cipher, rows, history)


def _arrival(message: Incoming) -> Arrival:
    envelope = message.envelope
    assert envelope.referral_id is not None  # the envelope requires it for referrals
    return Arrival(envelope.message_id, envelope.referral_id, envelope.recipient)
