"""The counties' statements and responsible-worker namings in Kela's database: SQL over the
caller's connection."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from silta_platform.db import as_utc
from silta_protection.encryption import DataCipher
from silta_records.client_records import rows_of_client
from silta_records.events import STATEMENT_RECEIVED, record_events, statement_event
from silta_records.responsible_workers import add_namings as add_naming_rows
from silta_schemas.statements import Statement
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kela_side.db.statements import STATEMENT_PAYLOAD, responsible_workers, statements
from kela_side.db.tables import events
from kela_side.records import StatementRecord


async def senders(conn: AsyncConnection, statement_ids: Iterable[UUID]) -> dict[str, str]:
    """Statement id -> the county that sent it, for those of ``statement_ids`` stored."""
    wanted = sorted({str(statement_id) for statement_id in statement_ids})
    query = select(statements.c.statement_id, statements.c.sender).where(
        statements.c.statement_id.in_(wanted)
    )
    return {row.statement_id: row.sender for row in await conn.execute(query)}


def new_statement_row(
    statement: Statement,
    *,
    sender: str,
    county_code: str,
    referral_id: UUID | None,
    client_key: str,
    cipher: DataCipher,
    received_at: datetime,
    message_id: UUID,
) -> dict[str, Any]:
    """The ``statements`` row of a statement as received (sealed)."""
    key = str(statement.statement_id)
    return {
        "statement_id": key,
        "county_code": county_code,
        "sender": sender,
        "referral_id": None if referral_id is None else str(referral_id),
        "client_key": client_key,
        "payload": STATEMENT_PAYLOAD.seal(cipher, statement.model_dump(mode="json"), key),
        "made_at": statement.made_at,
        "received_at": received_at,
        "message_id": str(message_id),
    }


async def add_statements(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Store statements as received, and their events."""
    if rows:
        await conn.execute(statements.insert(), list(rows))
        received = [statement_event(STATEMENT_RECEIVED, row["received_at"], row) for row in rows]
        await record_events(conn, events.events, received)


async def of_client(
    conn: AsyncConnection, client_key: str, *, limit: int, offset: int
) -> list[Row[Any]]:
    """One client's statements, newest first."""
    order = [statements.c.made_at.desc(), statements.c.received_at.desc()]
    return await rows_of_client(conn, statements, client_key, order, limit=limit, offset=offset)


async def by_id(conn: AsyncConnection, statement_id: UUID) -> Row[Any] | None:
    query = select(statements).where(statements.c.statement_id == str(statement_id))
    return (await conn.execute(query)).first()


def statement_record(row: Row[Any], cipher: DataCipher) -> StatementRecord:
    return StatementRecord(
        id=UUID(row.statement_id),
        county_code=row.county_code,
        sender=row.sender,
        referral_id=None if row.referral_id is None else UUID(row.referral_id),
        made_at=as_utc(row.made_at),
        received_at=as_utc(row.received_at),
        statement=STATEMENT_PAYLOAD.open(cipher, row.payload, row.statement_id) or {},
    )


async def add_namings(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    await add_naming_rows(conn, responsible_workers, rows)
