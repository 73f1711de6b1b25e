"""The consultations' SQL over the caller's connection, and what a row reads as."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from silta_platform.db import as_utc
from silta_protection.encryption import DataCipher, SealedColumn
from silta_schemas.consultations import ConsultationPurpose, ConsultationStatus
from sqlalchemy import ColumnElement, Row, Table, and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

ASKED = ConsultationStatus.ASKED


@dataclass(frozen=True)
class ConsultationRecord:
    """A consultation as this side keeps it; ``question`` and ``answer`` only where read."""

    id: UUID
    county_code: str
    direction: str
    sender: str
    status: ConsultationStatus
    purposes: list[ConsultationPurpose]
    anonymous: bool
    asked_at: datetime
    due_at: datetime
    answered_at: datetime | None
    question: Mapping[str, Any] | None = field(default=None, repr=False)
    answer: Mapping[str, Any] | None = field(default=None, repr=False)


def status_of(stored: str, due_at: datetime, now: datetime) -> ConsultationStatus:
    """Asked and past its deadline: expired, by itself (nothing has to run)."""
    if stored == ASKED and as_utc(due_at) < now:
        return ConsultationStatus.EXPIRED
    return ConsultationStatus(stored)


def status_clause(table: Table, status: ConsultationStatus, now: datetime) -> ColumnElement[bool]:
    """SQL for ``status_of(...) == status``."""
    if status is ConsultationStatus.EXPIRED:
        return and_(table.c.status == ASKED, table.c.due_at < now)
    if status is ConsultationStatus.ASKED:
        return and_(table.c.status == ASKED, table.c.due_at >= now)
    return table.c.status == status.value


def purposes_text(purposes: Iterable[ConsultationPurpose]) -> str:
    """The purposes in clear (codes, nothing personal), for lists that decrypt nothing."""
    return ",".join(purpose.value for purpose in purposes)


def record(row: Row[Any], now: datetime) -> ConsultationRecord:
    """The row as a record: tracking data only, nothing decrypted."""
    return ConsultationRecord(
        id=UUID(row.consultation_id),
        county_code=row.county_code,
        direction=row.direction,
        sender=row.sender,
        status=status_of(row.status, row.due_at, now),
        purposes=[ConsultationPurpose(p) for p in row.purposes.split(",")],
        anonymous=row.client_key is None,
        asked_at=as_utc(row.asked_at),
        due_at=as_utc(row.due_at),
        answered_at=None if row.answered_at is None else as_utc(row.answered_at),
    )


def opened(
    row: Row[Any], now: datetime, cipher: DataCipher, columns: Mapping[str, SealedColumn]
) -> ConsultationRecord:
    """The row as a record, its question and answer decrypted."""
    key = row.consultation_id
    base = record(row, now)
    question = columns["consultation_questions"].open(cipher, row.payload, key)
    answer = columns["consultation_answers"].open(cipher, row.answer, key)
    return ConsultationRecord(**{**base.__dict__, "question": question, "answer": answer})


async def listed(
    conn: AsyncConnection,
    table: Table,
    counties: frozenset[str] | None,
    direction: str | None,
    status: ConsultationStatus | None,
    now: datetime,
    page: tuple[int, int],
) -> list[Row[Any]]:
    """Consultations, newest first, of ``counties`` (None: all)."""
    query = select(table).order_by(table.c.asked_at.desc(), table.c.consultation_id)
    if counties is not None:
        query = query.where(table.c.county_code.in_(sorted(counties)))
    if direction is not None:
        query = query.where(table.c.direction == direction)
    if status is not None:
        query = query.where(status_clause(table, status, now))
    limit, offset = page
    return list((await conn.execute(query.limit(limit).offset(offset))).all())


async def record_answer(
    conn: AsyncConnection, table: Table, key: str, status: str, answer: Any, at: datetime
) -> bool:
    """Store the answer if the consultation is still asked; False if it was not."""
    result = await conn.execute(
        update(table)
        .where(table.c.consultation_id == key, table.c.status == ASKED)
        .values(status=status, answer=answer, answered_at=at)
    )
    return bool(result.rowcount)


async def open_consultations(
    conn: AsyncConnection, table: Table, client_key: str, now: datetime, limit: int
) -> list[ConsultationRecord]:
    """One client's consultations still open (asked, deadline not passed), newest first."""
    query = (
        select(table)
        .where(table.c.client_key == client_key, status_clause(table, ASKED, now))
        .order_by(table.c.asked_at.desc(), table.c.consultation_id)
        .limit(limit)
    )
    return [record(row, now) for row in await conn.execute(query)]
