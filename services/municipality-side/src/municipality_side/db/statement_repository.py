"""The statements a county's side sent, in its database: SQL over the caller's connection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from silta_platform.db import as_utc
from silta_protection.encryption import DataCipher
from silta_records.events import STATEMENT_RECEIPT, STATEMENT_SENT, record_events, statement_event
from silta_schemas.parties import county_organisation
from silta_schemas.statements import Statement
from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from municipality_side.db.statements import STATEMENT_PAYLOAD, statements
from municipality_side.db.tables import events
from municipality_side.domain.statements import SentStatement
from municipality_side.records import StatementRecord


async def add(
    conn: AsyncConnection,
    statement: Statement,
    *,
    county_code: str,
    referral_id: UUID | None,
    client_key: str,
    cipher: DataCipher,
    sent_at: datetime,
    idempotency_key: str | None,
    fingerprint: str,
) -> None:
    """Store a statement as sent (sealed), and its event."""
    statement_id = str(statement.statement_id)
    payload = statement.model_dump(mode="json")
    await conn.execute(
        statements.insert().values(
            statement_id=statement_id,
            county_code=county_code,
            referral_id=None if referral_id is None else str(referral_id),
            payload=STATEMENT_PAYLOAD.seal(cipher, payload, statement_id),
            client_key=client_key,
            made_at=statement.made_at,
            sent_at=sent_at,
            received_by_kela_at=None,
            idempotency_key=idempotency_key,
            request_hash=fingerprint,
        )
    )
    row = {"statement_id": statement_id, "county_code": county_code, "referral_id": referral_id}
    await record_events(conn, events.events, [statement_event(STATEMENT_SENT, sent_at, row)])


async def by_idempotency_key(conn: AsyncConnection, key: str) -> Row[Any] | None:
    query = select(statements).where(statements.c.idempotency_key == key)
    return (await conn.execute(query)).first()


async def visible(
    conn: AsyncConnection, statement_id: UUID, counties: frozenset[str]
) -> Row[Any] | None:
    """The statement, if one of ``counties`` sent it (another county's is not read at all)."""
    query = select(statements).where(
        statements.c.statement_id == str(statement_id),
        statements.c.county_code.in_(sorted(counties)),
    )
    return (await conn.execute(query)).first()


def statement_record(
    row: Row[Any], cipher: DataCipher, *, content: bool = False
) -> StatementRecord:
    """The statement's tracking record (its topics opened from the sealed payload); with
    ``content``, the statement itself."""
    statement = STATEMENT_PAYLOAD.open(cipher, row.payload, row.statement_id)
    return StatementRecord(
        id=UUID(row.statement_id),
        county_code=row.county_code,
        referral_id=None if row.referral_id is None else UUID(row.referral_id),
        topics=list(statement["topics"]),
        made_at=as_utc(row.made_at),
        sent_at=as_utc(row.sent_at),
        received_by_kela_at=None
        if row.received_by_kela_at is None
        else as_utc(row.received_by_kela_at),
        statement=statement if content else None,
    )


async def listed(
    conn: AsyncConnection,
    cipher: DataCipher,
    counties: frozenset[str],
    received_by_kela: bool | None,
    limit: int,
    offset: int,
) -> list[StatementRecord]:
    """Statements sent, newest first: tracking data only, nothing personal."""
    query = (
        select(statements)
        .where(statements.c.county_code.in_(sorted(counties)))
        .order_by(statements.c.sent_at.desc(), statements.c.statement_id)
    )
    if received_by_kela is not None:
        column = statements.c.received_by_kela_at
        query = query.where(column.is_not(None) if received_by_kela else column.is_(None))
    rows = (await conn.execute(query.limit(limit).offset(offset))).all()
    return [statement_record(row, cipher) for row in rows]


async def sent(conn: AsyncConnection, statement_ids: Iterable[UUID]) -> dict[UUID, SentStatement]:
    """Which of ``statement_ids`` this side sent, as far as Kela's receipt matters."""
    wanted = sorted({str(statement_id) for statement_id in statement_ids})
    query = select(
        statements.c.statement_id, statements.c.county_code, statements.c.received_by_kela_at
    ).where(statements.c.statement_id.in_(wanted))
    return {
        UUID(row.statement_id): SentStatement(
            county_organisation(row.county_code), row.received_by_kela_at
        )
        for row in await conn.execute(query)
    }


async def record_receipts(conn: AsyncConnection, received: Mapping[UUID, datetime]) -> None:
    """When Kela received each statement; a time already recorded stays. Each first
    receipt is an event."""
    if not received:
        return
    first = select(statements.c.statement_id, statements.c.county_code, statements.c.referral_id)
    first = first.where(
        statements.c.statement_id.in_(sorted(str(key) for key in received)),
        statements.c.received_by_kela_at.is_(None),
    )
    receipts = [
        statement_event(STATEMENT_RECEIPT, received[UUID(row.statement_id)], row._mapping)
        for row in await conn.execute(first.order_by(statements.c.statement_id))
    ]
    await conn.execute(
        update(statements)
        .where(
            statements.c.statement_id == bindparam("key"),
            statements.c.received_by_kela_at.is_(None),
        )
        .values(received_by_kela_at=bindparam("received")),
        [{"key": str(key), "received": when} for key, when in received.items()],
    )
    await record_events(conn, events.events, receipts)
