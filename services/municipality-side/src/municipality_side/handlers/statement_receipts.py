"""Kela's receipts of the statements the counties sent: when Kela's side stored each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID

from silta_messaging.incoming import Incoming, Rejection
from silta_platform.handlers import payload_of
from silta_platform.unit_of_work import UnitOfWork
from silta_schemas.errors import RuleRefused
from silta_schemas.parties import county_code_of
from silta_schemas.statements import StatementReceipt

from municipality_side.db import statement_repository
from municipality_side.domain.referrals import check_served
from municipality_side.domain.statements import receipt_time
from municipality_side.settings import MunicipalitySettings


async def receive_statement_receipts(
    work: UnitOfWork, messages: Sequence[Incoming], settings: MunicipalitySettings
) -> Mapping[UUID, Rejection]:
    """Record when Kela received each statement.

    Rejected (parked): a receipt for a county this deployment does not serve, for an unknown
    statement, or addressed to another county than the one that sent the statement. A
    repeated receipt changes nothing: the first one's time stays.
    """
    receipts = {
        message.envelope.message_id: payload_of(message, StatementReceipt) for message in messages
    }
    sent = await statement_repository.sent(
        work.conn, (receipt.statement_id for receipt in receipts.values())
    )
    rejections: dict[UUID, Rejection] = {}
    received: dict[UUID, datetime] = {}
    for message in messages:
        envelope = message.envelope
        receipt = receipts[envelope.message_id]
        try:
            check_served(county_code_of(envelope.recipient), settings.served_counties)
            when = receipt_time(
                sent.get(receipt.statement_id), envelope.recipient, receipt.received_at
            )
        except RuleRefused as refusal:
            rejections[envelope.message_id] = Rejection(refusal.rule, refusal.detail)
            continue
        if when is not None:
            received.setdefault(receipt.statement_id, when)
    await statement_repository.record_receipts(work.conn, received)
    return rejections
