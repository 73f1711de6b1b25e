"""Kela side service layer for statements of social work.

The consumer stores each statement and, in the same transaction, sends the county Kela's
receipt. The officer deciding a client's application finds the client's statements by a keyed
hash of the identity code (``client_key``), never by the code itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from silta_messaging.consumer import BatchHandler, Incoming, Rejection
from silta_messaging.outbox import OutboxEntry, add_to_outbox
from silta_messaging.topology import KELA_EXCHANGE, routing_key
from silta_platform.db import as_utc
from silta_protection import access_log as audit
from silta_protection.encryption import cipher_of, client_key_of
from silta_schemas.codes import MessageKind
from silta_schemas.envelope import seal
from silta_schemas.parties import KELA, county_code_of
from silta_schemas.statements import Statement, StatementReceipt
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from kela_side.db.statements import STATEMENT_CODE, statements
from kela_side.db.tables import access_log, messaging, referrals
from kela_side.domain.statements import (
    CountyMessageRejected,
    check_referral_of_sender,
    check_same_sender,
)
from kela_side.forwarding import KELA_SERVICE
from kela_side.settings import KelaSettings


@dataclass(frozen=True)
class StatementRecord:
    id: UUID
    county_code: str
    sender: str
    referral_id: UUID | None
    made_at: datetime
    received_at: datetime
    statement: Mapping[str, Any] = field(repr=False)


def _receipt(
    envelope_sender: str, referral_id: UUID | None, statement_id: UUID, received_at: datetime
) -> OutboxEntry:
    """Kela's receipt, to the county that sent the statement: nothing personal."""
    county = county_code_of(envelope_sender)
    assert county is not None  # the envelope lets only a county send a statement
    receipt = StatementReceipt(
        kind="statement_receipt", statement_id=statement_id, received_at=received_at
    )
    envelope = seal(receipt, sender=KELA, recipient=envelope_sender, referral_id=referral_id)
    return OutboxEntry(
        envelope, KELA_EXCHANGE, routing_key(MessageKind.STATEMENT_RECEIPT.value, county)
    )


def statement_receiver(settings: KelaSettings) -> BatchHandler:
    """The bus handler for the counties' statements: store each, send its receipt.

    Rejected (parked): a statement naming a referral Kela does not have (``referral.unknown``)
    or did not send to the sending county (``statement.wrong_county``), and one whose id
    another county's statement has (``statement.duplicate_id``). The same statement again
    (same id, same county) is not stored twice, but gets its receipt again.
    """
    cipher = cipher_of(settings)

    async def receive(
        conn: AsyncConnection, messages: Sequence[Incoming]
    ) -> Mapping[UUID, Rejection]:
        rejections: dict[UUID, Rejection] = {}
        referral_ids = sorted(
            {str(m.envelope.referral_id) for m in messages if m.envelope.referral_id is not None}
        )
        recipients = {
            row.id: row.recipient
            for row in await conn.execute(
                select(referrals.c.id, referrals.c.recipient).where(
                    referrals.c.id.in_(referral_ids)
                )
            )
        }
        statement_ids = sorted({str(_statement(m).statement_id) for m in messages})
        senders = {
            row.statement_id: row.sender
            for row in await conn.execute(
                select(statements.c.statement_id, statements.c.sender).where(
                    statements.c.statement_id.in_(statement_ids)
                )
            )
        }
        now = datetime.now(UTC)
        rows: list[dict[str, Any]] = []
        accesses: list[audit.Access] = []
        receipts: list[OutboxEntry] = []
        for message in messages:
            envelope, statement = message.envelope, _statement(message)
            key = str(statement.statement_id)
            try:
                if envelope.referral_id is not None:
                    recipient = recipients.get(str(envelope.referral_id))
                    check_referral_of_sender(recipient, envelope.sender, "statement")
                if key in senders:
                    check_same_sender(senders[key], envelope.sender)
            except CountyMessageRejected as error:
                rejections[envelope.message_id] = Rejection(error.rule, error.detail)
                continue
            if key not in senders:
                senders[key] = envelope.sender
                county = county_code_of(envelope.sender)
                assert county is not None
                rows.append(
                    {
                        "statement_id": key,
                        "county_code": county,
                        "sender": envelope.sender,
                        "referral_id": None
                        if envelope.referral_id is None
                        else str(envelope.referral_id),
                        "client_key": client_key_of(settings, statement.client.identity_code),
                        "payload": STATEMENT_CODE.seal(
                            cipher, statement.model_dump(mode="json"), key
                        ),
                        "made_at": statement.made_at,
                        "received_at": now,
                        "message_id": str(envelope.message_id),
                    }
                )
                accesses.append(
                    audit.Access(
                        audit.service_actor(KELA_SERVICE, envelope.sender),
                        "create",
                        "statement",
                        key,
                        rows[-1]["client_key"],
                        RECEIVE_PURPOSE,
                        "bus",
                    )
                )
            receipts.append(
                _receipt(envelope.sender, envelope.referral_id, statement.statement_id, now)
            )
        if rows:
            await conn.execute(statements.insert(), rows)
        await add_to_outbox(conn, messaging.outbox, receipts)
        await audit.record_access(conn, access_log, accesses)
        return rejections

    return receive


def _statement(message: Incoming) -> Statement:
    payload = message.payload
    assert isinstance(payload, Statement)
    return payload


RECEIVE_PURPOSE = "statement.receive"
DECISION_PURPOSE = "social_assistance.decision"
"""Why Kela's officer reads a client's statements (ASA 1412/1997 §18)."""


def _record(row: Row[Any], settings: KelaSettings) -> StatementRecord:
    return StatementRecord(
        id=UUID(row.statement_id),
        county_code=row.county_code,
        sender=row.sender,
        referral_id=None if row.referral_id is None else UUID(row.referral_id),
        made_at=as_utc(row.made_at),
        received_at=as_utc(row.received_at),
        statement=STATEMENT_CODE.open(cipher_of(settings), row.payload, row.statement_id) or {},
    )


async def search_statements(
    engine: AsyncEngine,
    settings: KelaSettings,
    identity_code: str,
    *,
    limit: int,
    offset: int,
    actor: audit.Actor = audit.UNAUTHENTICATED,
) -> list[StatementRecord]:
    """One client's statements, newest first; each read (or the empty search) is logged."""
    key = client_key_of(settings, identity_code)
    query = (
        select(statements)
        .where(statements.c.client_key == key)
        .order_by(
            statements.c.made_at.desc(),
            statements.c.received_at.desc(),
            statements.c.statement_id,
        )
        .limit(limit)
        .offset(offset)
    )
    async with engine.begin() as conn:
        rows = (await conn.execute(query)).all()
        accesses = [
            audit.Access(actor, "read", "statement", row.statement_id, key, DECISION_PURPOSE)
            for row in rows
        ] or [audit.Access(actor, "search", "statement", None, key, DECISION_PURPOSE)]
        await audit.record_access(conn, access_log, accesses)
    return [_record(row, settings) for row in rows]


async def get_statement(
    engine: AsyncEngine,
    settings: KelaSettings,
    statement_id: UUID,
    actor: audit.Actor = audit.UNAUTHENTICATED,
) -> StatementRecord | None:
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                select(statements).where(statements.c.statement_id == str(statement_id))
            )
        ).first()
        if row is not None:
            await audit.record_access(
                conn,
                access_log,
                [
                    audit.Access(
                        actor,
                        "read",
                        "statement",
                        row.statement_id,
                        row.client_key,
                        DECISION_PURPOSE,
                    )
                ],
            )
    return None if row is None else _record(row, settings)
