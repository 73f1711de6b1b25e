"""The counties' statements of social work: store each, and send the county Kela's receipt
in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from silta_messaging.incoming import Incoming, Rejection
from silta_platform.handlers import payload_of
from silta_platform.unit_of_work import UnitOfWork
from silta_protection.access_log import Access, service_actor
from silta_protection.encryption import cipher_of, client_key_of
from silta_schemas.errors import RuleRefused
from silta_schemas.parties import county_code_of
from silta_schemas.statements import Statement

from kela_side.db import referral_repository, statement_repository
from kela_side.domain.statements import check_referral_of_sender, check_same_sender
from kela_side.messages import receipt_entry
from kela_side.purposes import KELA_SERVICE, RECEIVE_PURPOSE
from kela_side.settings import KelaSettings


async def receive_statements(
    work: UnitOfWork, messages: Sequence[Incoming], settings: KelaSettings
) -> Mapping[UUID, Rejection]:
    """Store each statement, send its receipt.

    Rejected (parked): a statement naming a referral Kela does not have (``referral.unknown``)
    or did not send to the sending county (``statement.wrong_county``), and one whose id
    another county's statement has (``statement.duplicate_id``). The same statement again
    (same id, same county) is not stored twice, but gets its receipt again.
    """
    cipher = cipher_of(settings)
    recipients = await referral_repository.recipients(
        work.conn, (m.envelope.referral_id for m in messages)
    )
    senders = await statement_repository.senders(
        work.conn, (payload_of(m, Statement).statement_id for m in messages)
    )
    now = datetime.now(UTC)
    rejections: dict[UUID, Rejection] = {}
    rows: list[dict[str, Any]] = []
    for message in messages:
        envelope, statement = message.envelope, payload_of(message, Statement)
        key = str(statement.statement_id)
        try:
            if envelope.referral_id is not None:
                recipient = recipients.get(str(envelope.referral_id))
                check_referral_of_sender(recipient, envelope.sender, "statement")
            if key in senders:
                check_same_sender(senders[key], envelope.sender)
        except RuleRefused as refusal:
            rejections[envelope.message_id] = Rejection(refusal.rule, refusal.detail)
            continue
        if key not in senders:
            senders[key] = envelope.sender
            county_code = county_code_of(envelope.sender)
            assert county_code is not None
            client_key = client_key_of(settings, statement.client.identity_code)
            rows.append(
                statement_repository.new_statement_row(
                    statement,
                    sender=envelope.sender,
                    county_code=county_code,
                    referral_id=envelope.referral_id,
                    client_key=client_key,
                    cipher=cipher,
                    received_at=now,
                    message_id=envelope.message_id,
                )
            )
            work.account(
                Access(
                    service_actor(KELA_SERVICE, envelope.sender),
                    "create",
                    "statement",
                    key,
                    client_key,
                    RECEIVE_PURPOSE,
                    "bus",
                )
            )
        work.announce(
            receipt_entry(envelope.sender, envelope.referral_id, statement.statement_id, now)
        )
    await statement_repository.add_statements(work.conn, rows)
    return rejections
