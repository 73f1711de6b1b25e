"""The decision notices a county's side sent to Kela: the table and its SQL over the caller's
connection (the generic parts in ``silta_records.client_records``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from silta_messaging.timestamps import UtcDateTime
from silta_protection.encryption import DataCipher, SealedColumn
from silta_records.client_records import client_record_columns, sending_columns
from silta_schemas.decisions import DecisionNotice
from sqlalchemy import Column, Index, Row, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from municipality_side.db.tables import metadata

decision_notices = Table(
    "decision_notices",
    metadata,
    *client_record_columns("notice_id", client_key_required=True),
    *sending_columns(),
    Column("sent_at", UtcDateTime(), nullable=False),
    Index("ix_decision_notices_county_sent", "county_code", "sent_at"),
)
"""Decision notices this side sent to Kela: the facts sealed."""

DECISION_NOTICE_PAYLOAD = SealedColumn(
    decision_notices, "notice_id", client_key_column="client_key"
)


async def add(
    conn: AsyncConnection,
    notice: DecisionNotice,
    *,
    county_code: str,
    client_key: str,
    cipher: DataCipher,
    sent_at: datetime,
    idempotency_key: str | None,
    fingerprint: str,
) -> None:
    key = str(notice.notice_id)
    await conn.execute(
        decision_notices.insert().values(
            notice_id=key,
            county_code=county_code,
            payload=DECISION_NOTICE_PAYLOAD.seal(cipher, notice.model_dump(mode="json"), key),
            client_key=client_key,
            sent_at=sent_at,
            idempotency_key=idempotency_key,
            request_hash=fingerprint,
        )
    )


async def listed(
    conn: AsyncConnection, counties: frozenset[str], limit: int, offset: int
) -> list[Row[Any]]:
    """Notices the counties sent, newest first."""
    table = decision_notices
    query = (
        select(table)
        .where(table.c.county_code.in_(sorted(counties)))
        .order_by(table.c.sent_at.desc(), table.c.notice_id)
        .limit(limit)
        .offset(offset)
    )
    return list((await conn.execute(query)).all())
