"""Decision notices as both sides keep them (issue 12, item 6): a county's side what it told
Kela, Kela's side what the counties told it. The facts are sealed (``payload``), found by the
client's keyed hash; the date of the decision orders a client's notices."""

from __future__ import annotations

from typing import Any

from silta_messaging.timestamps import UtcDateTime
from silta_protection.encryption import DataCipher, SealedColumn
from silta_schemas.decisions import DecisionNotice
from sqlalchemy import Column, Date, Index, MetaData, Row, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from silta_records.client_records import client_record_columns, sending_columns


def add_decision_notices(metadata: MetaData) -> Table:
    return Table(
        "decision_notices",
        metadata,
        *client_record_columns("notice_id", client_key_required=True),
        Column("sender", String(20), nullable=False),
        Column("decided_on", Date(), nullable=False),
        # When this side stored it: sent (a county's side) or received (Kela's).
        Column("recorded_at", UtcDateTime(), nullable=False),
        Column("message_id", String(36), nullable=True),  # the message it came in (Kela's)
        Column("acknowledged_at", UtcDateTime(), nullable=True),  # Kela's receipt (a county's)
        *sending_columns(),  # the request that sent it (a county's side)
        Index("ix_decision_notices_client", "client_key", "decided_on"),
        Index("ix_decision_notices_county", "county_code", "recorded_at"),
    )


def sealed_payload(table: Table) -> SealedColumn:
    """The notice: sealed, bound to its id."""
    return SealedColumn(table, "notice_id", client_key_column="client_key")


def notice_row(
    table: Table, notice: DecisionNotice, cipher: DataCipher, **columns: Any
) -> dict[str, Any]:
    """The row of ``notice`` (sealed), with the side's ``columns`` (``county_code``,
    ``sender``, ``client_key``, ``recorded_at``, ...)."""
    key = str(notice.notice_id)
    sealed = sealed_payload(table).seal(cipher, notice.model_dump(mode="json"), key)
    return {"notice_id": key, "payload": sealed, "decided_on": notice.decided_on, **columns}


async def of_counties(
    conn: AsyncConnection, table: Table, counties: frozenset[str], limit: int, offset: int
) -> list[Row[Any]]:
    """The notices of ``counties``, the latest stored first."""
    query = (
        select(table)
        .where(table.c.county_code.in_(sorted(counties)))
        .order_by(table.c.recorded_at.desc(), table.c.notice_id)
        .limit(limit)
        .offset(offset)
    )
    return list((await conn.execute(query)).all())
