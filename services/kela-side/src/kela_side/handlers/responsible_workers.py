"""The responsible workers the counties name per referral: Kela keeps every naming."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from silta_messaging.incoming import Incoming, Rejection
from silta_platform.handlers import payload_of
from silta_platform.unit_of_work import UnitOfWork
from silta_records.responsible_workers import Naming
from silta_schemas.errors import RuleRefused
from silta_schemas.workers import ResponsibleWorker

from kela_side.db import referral_repository, statement_repository
from kela_side.domain.statements import check_referral_of_sender


async def receive_responsible_workers(
    work: UnitOfWork, messages: Sequence[Incoming]
) -> Mapping[UUID, Rejection]:
    """Keep every naming of a referral's responsible worker.

    Rejected (parked): a naming for a referral Kela does not have (``referral.unknown``) or did
    not send to the sending county (``responsible_worker.wrong_county``).
    """
    recipients = await referral_repository.recipients(
        work.conn, (m.envelope.referral_id for m in messages)
    )
    rejections: dict[UUID, Rejection] = {}
    rows: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for message in messages:
        envelope, payload = message.envelope, payload_of(message, ResponsibleWorker)
        assert envelope.referral_id is not None  # the envelope requires it for this kind
        try:
            recipient = recipients.get(str(envelope.referral_id))
            check_referral_of_sender(recipient, envelope.sender, "responsible_worker")
        except RuleRefused as refusal:
            rejections[envelope.message_id] = Rejection(refusal.rule, refusal.detail)
            continue
        rows.append(Naming.from_payload(payload).row(envelope.referral_id, now))
    await statement_repository.add_namings(work.conn, rows)
    return rejections
