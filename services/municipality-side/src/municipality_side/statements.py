"""Municipality side service layer for statements of social work and Kela's receipts.

A county's client information system sends a statement; it is stored with its outbox message
in one transaction. Kela answers with a `statement_receipt`, which records
`received_by_kela_at`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from silta_messaging.consumer import BatchHandler, Incoming, Rejection
from silta_messaging.outbox import OutboxEntry, add_to_outbox
from silta_messaging.topology import COUNTY_EXCHANGE, routing_key
from silta_platform.db import as_utc
from silta_protection import access_log as audit
from silta_protection.encryption import DataCipher, cipher_of, client_key_of
from silta_schemas.envelope import seal
from silta_schemas.parties import KELA, county_code_of, county_organisation
from silta_schemas.statements import Statement, StatementReceipt, StatementRequest
from sqlalchemy import Row, bindparam, exc, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from municipality_side.db.statements import STATEMENT_CODE, statements
from municipality_side.db.tables import access_log, messaging, referrals
from municipality_side.domain.statements import check_county_served, check_statement_referral
from municipality_side.settings import MunicipalitySettings

STATEMENT_PURPOSE = "statement.social_assistance"
"""Why the county gives and reads a statement (ASA 1412/1997 §18)."""


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was used before with a different request body."""


@dataclass(frozen=True)
class StatementRecord:
    id: UUID
    county_code: str
    referral_id: UUID | None
    topics: Sequence[str]
    made_at: datetime
    sent_at: datetime
    received_by_kela_at: datetime | None
    statement: Mapping[str, Any] | None = field(default=None, repr=False)


def _fingerprint(request: StatementRequest) -> str:
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def submit_statement(
    engine: AsyncEngine,
    served: frozenset[str],
    request: StatementRequest,
    idempotency_key: str | None,
    *,
    settings: MunicipalitySettings,
    actor: audit.Actor = audit.UNAUTHENTICATED,
) -> tuple[StatementRecord, bool]:
    """Store a statement and its outbox message; return it and whether it is new.

    Raises ``Refused`` (county not served, unknown referral) or ``IdempotencyKeyReused``.
    """
    check_county_served(request.county_code, served)
    fingerprint = _fingerprint(request)
    if idempotency_key is not None:
        replay = await _by_idempotency_key(engine, idempotency_key, fingerprint)
        if replay is not None:
            return replay, False
    statement = Statement(
        kind="statement",
        statement_id=uuid4(),
        **request.model_dump(exclude={"county_code", "referral_id"}),
    )
    sender = county_organisation(request.county_code)
    envelope = seal(statement, sender=sender, recipient=KELA, referral_id=request.referral_id)
    now = datetime.now(UTC)
    payload = statement.model_dump(mode="json")
    statement_id = str(statement.statement_id)
    key = client_key_of(settings, statement.client.identity_code)
    try:
        async with engine.begin() as conn:
            if request.referral_id is not None:
                referral_county = (
                    await conn.execute(
                        select(referrals.c.county_code).where(
                            referrals.c.id == str(request.referral_id)
                        )
                    )
                ).scalar_one_or_none()
                check_statement_referral(referral_county, request.county_code)
            await conn.execute(
                statements.insert().values(
                    statement_id=statement_id,
                    county_code=request.county_code,
                    referral_id=None if request.referral_id is None else str(request.referral_id),
                    payload=STATEMENT_CODE.seal(cipher_of(settings), payload, statement_id),
                    client_key=key,
                    made_at=statement.made_at,
                    sent_at=now,
                    received_by_kela_at=None,
                    idempotency_key=idempotency_key,
                    request_hash=fingerprint,
                )
            )
            entry = OutboxEntry(
                envelope, COUNTY_EXCHANGE, routing_key(statement.kind, request.county_code)
            )
            await add_to_outbox(conn, messaging.outbox, [entry])
            await audit.record_access(
                conn,
                access_log,
                [audit.Access(actor, "create", "statement", statement_id, key, STATEMENT_PURPOSE)],
            )
    except exc.IntegrityError:
        # A concurrent request with the same Idempotency-Key won.
        if idempotency_key is not None:
            replay = await _by_idempotency_key(engine, idempotency_key, fingerprint)
            if replay is not None:
                return replay, False
        raise
    record = StatementRecord(
        id=statement.statement_id,
        county_code=request.county_code,
        referral_id=request.referral_id,
        topics=[topic.value for topic in statement.topics],
        made_at=statement.made_at,
        sent_at=now,
        received_by_kela_at=None,
        statement=payload,
    )
    return record, True


async def _by_idempotency_key(
    engine: AsyncEngine, key: str, fingerprint: str
) -> StatementRecord | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(statements).where(statements.c.idempotency_key == key))
        ).first()
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise IdempotencyKeyReused(key)
    return _record(row)


def _record(row: Row[Any], *, cipher: DataCipher | None = None) -> StatementRecord:
    """The statement's tracking record; with a ``cipher``, the statement itself, decrypted."""
    return StatementRecord(
        id=UUID(row.statement_id),
        county_code=row.county_code,
        referral_id=None if row.referral_id is None else UUID(row.referral_id),
        topics=list(row.payload["topics"]),
        made_at=as_utc(row.made_at),
        sent_at=as_utc(row.sent_at),
        received_by_kela_at=None
        if row.received_by_kela_at is None
        else as_utc(row.received_by_kela_at),
        statement=None
        if cipher is None
        else STATEMENT_CODE.open(cipher, row.payload, row.statement_id),
    )


async def get_statement(
    engine: AsyncEngine,
    settings: MunicipalitySettings,
    statement_id: UUID,
    actor: audit.Actor = audit.UNAUTHENTICATED,
    counties: frozenset[str] | None = None,
) -> StatementRecord | None:
    """A statement of ``counties`` (default: those this side serves), decrypted; the read is
    logged. Another county's statement is not read at all."""
    visible = settings.served_counties if counties is None else counties
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                select(statements).where(
                    statements.c.statement_id == str(statement_id),
                    statements.c.county_code.in_(sorted(visible)),
                )
            )
        ).first()
        if row is None:
            return None
        await audit.record_access(
            conn,
            access_log,
            [
                audit.Access(
                    actor, "read", "statement", row.statement_id, row.client_key, STATEMENT_PURPOSE
                )
            ],
        )
    return _record(row, cipher=cipher_of(settings))


async def list_statements(
    engine: AsyncEngine,
    *,
    counties: frozenset[str],
    received_by_kela: bool | None,
    limit: int,
    offset: int,
) -> list[StatementRecord]:
    query = (
        select(statements)
        .where(statements.c.county_code.in_(sorted(counties)))
        .order_by(statements.c.sent_at.desc(), statements.c.statement_id)
    )
    if received_by_kela is not None:
        column = statements.c.received_by_kela_at
        query = query.where(column.is_not(None) if received_by_kela else column.is_(None))
    async with engine.connect() as conn:
        rows = (await conn.execute(query.limit(limit).offset(offset))).all()
    return [_record(row) for row in rows]


def receipt_receiver(served: frozenset[str]) -> BatchHandler:
    """The bus handler for Kela's receipts of statements sent by the counties ``served``.

    Rejected (parked): a receipt for a county this deployment does not serve, for an unknown
    statement, or addressed to another county than the one that sent the statement. A repeated
    receipt changes nothing: the first one's time stays.
    """

    async def receive(
        conn: AsyncConnection, messages: Sequence[Incoming]
    ) -> Mapping[UUID, Rejection]:
        rejections: dict[UUID, Rejection] = {}
        receipts: list[tuple[Incoming, StatementReceipt]] = []
        for message in messages:
            payload = message.payload
            assert isinstance(payload, StatementReceipt)
            if county_code_of(message.envelope.recipient) not in served:
                rejections[message.envelope.message_id] = Rejection(
                    "routing.county_not_served", "this deployment does not serve that county"
                )
            else:
                receipts.append((message, payload))
        if not receipts:
            return rejections
        ids = sorted({str(receipt.statement_id) for _, receipt in receipts})
        stored = {
            row.statement_id: row
            for row in await conn.execute(
                select(
                    statements.c.statement_id,
                    statements.c.county_code,
                    statements.c.received_by_kela_at,
                ).where(statements.c.statement_id.in_(ids))
            )
        }
        changes: dict[str, datetime] = {}
        for message, receipt in receipts:
            key = str(receipt.statement_id)
            row = stored.get(key)
            message_id = message.envelope.message_id
            if row is None:
                rejections[message_id] = Rejection("statement.unknown", "no such statement here")
            elif message.envelope.recipient != county_organisation(row.county_code):
                rejections[message_id] = Rejection(
                    "statement_receipt.wrong_county",
                    "the receipt is addressed to another county than the one that sent it",
                )
            elif row.received_by_kela_at is None and key not in changes:
                changes[key] = receipt.received_at
        if changes:
            await conn.execute(
                update(statements)
                .where(
                    statements.c.statement_id == bindparam("key"),
                    statements.c.received_by_kela_at.is_(None),
                )
                .values(received_by_kela_at=bindparam("received")),
                [{"key": key, "received": when} for key, when in changes.items()],
            )
        return rejections

    return receive
