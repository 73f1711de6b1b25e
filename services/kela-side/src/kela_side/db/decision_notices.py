"""The counties' decision notices in Kela's database: the table and the SQL over the caller's
connection (the generic parts in ``silta_records.client_records``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from silta_messaging.timestamps import UtcDateTime
from silta_protection.encryption import DataCipher, SealedColumn
from silta_records.client_records import client_record_columns, rows_of_client
from silta_schemas.decisions import DecisionNotice
from sqlalchemy import Column, Date, Index, Row, String, Table
from sqlalchemy.ext.asyncio import AsyncConnection

from kela_side.db.tables import metadata

decision_notices = Table(
    "decision_notices",
    metadata,
    *client_record_columns("notice_id", client_key_required=True),
    Column("sender", String(20), nullable=False),
    Column("decided_on", Date(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("message_id", String(36), nullable=False),
    Index("ix_decision_notices_client", "client_key", "decided_on"),
)
"""Decision notices the counties sent, as received: the facts sealed, the date for ordering."""

DECISION_NOTICE_PAYLOAD = SealedColumn(
    decision_notices, "notice_id", client_key_column="client_key"
)
"""The notice: sealed, bound to its id."""


def new_row(
    notice: DecisionNotice,
    *,
    sender: str,
    county_code: str,
    client_key: str,
    cipher: DataCipher,
    received_at: datetime,
    message_id: UUID,
) -> dict[str, Any]:
    key = str(notice.notice_id)
    return {
        "notice_id": key,
        "county_code": county_code,
        "sender": sender,
        "client_key": client_key,
        "payload": DECISION_NOTICE_PAYLOAD.seal(cipher, notice.model_dump(mode="json"), key),
        "decided_on": notice.decided_on,
        "received_at": received_at,
        "message_id": str(message_id),
    }


async def add(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(decision_notices.insert(), list(rows))


async def of_client(
    conn: AsyncConnection, client_key: str, *, limit: int, offset: int
) -> list[Row[Any]]:
    """One client's notices, the latest decision first."""
    table = decision_notices
    order = [table.c.decided_on.desc(), table.c.received_at.desc()]
    return await rows_of_client(conn, table, client_key, order, limit=limit, offset=offset)
