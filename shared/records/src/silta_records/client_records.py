"""Records about a client that one side sends and the other keeps (decision notices,
consultations): their columns, the SQL both sides run on them, and the access-logged reads.

Each record's content is sealed (``payload``) beside the keyed hash of the client's identity
code (``client_key``, null for an anonymous consultation): a client's records are found
without decrypting anything, and every read of content goes to the access log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from silta_platform.unit_of_work import Transactions
from silta_protection.access_log import Access, Actor
from sqlalchemy import Column, ColumnElement, Row, String, Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from silta_records.record_columns import sealed_payload

Created = TypeVar("Created")


def client_record_columns(id_column: str, *, client_key_required: bool) -> list[Column[Any]]:
    """A record's id, its county, its sealed content and its client's keyed hash."""
    return [
        Column(id_column, String(36), primary_key=True),
        Column("county_code", String(2), nullable=False),
        *sealed_payload(client_key_required=client_key_required),
    ]


def sending_columns() -> list[Column[Any]]:
    """What the sending side keeps to answer a repeated request (``Idempotency-Key``)."""
    return [
        Column("idempotency_key", String(200), nullable=True, unique=True),
        Column("request_hash", String(64), nullable=True),
    ]


def _id(table: Table) -> Column[Any]:
    (column,) = table.primary_key.columns
    return column


async def row_by_id(conn: AsyncConnection, table: Table, record_id: object) -> Row[Any] | None:
    return (await conn.execute(select(table).where(_id(table) == str(record_id)))).first()


async def row_by_idempotency_key(conn: AsyncConnection, table: Table, key: str) -> Row[Any] | None:
    return (await conn.execute(select(table).where(table.c.idempotency_key == key))).first()


async def stored_rows(
    conn: AsyncConnection, table: Table, ids: Iterable[object]
) -> dict[str, Row[Any]]:
    """Record id -> its row, for those of ``ids`` stored."""
    wanted = sorted({str(record_id) for record_id in ids})
    rows = await conn.execute(select(table).where(_id(table).in_(wanted)))
    return {str(row[0]): row for row in rows}


async def owners(conn: AsyncConnection, table: Table, ids: Iterable[object]) -> dict[str, str]:
    """Record id -> the organisation that sent it (``sender``), for those stored."""
    wanted = sorted({str(record_id) for record_id in ids})
    query = select(_id(table), table.c.sender).where(_id(table).in_(wanted))
    return {str(row[0]): row[1] for row in await conn.execute(query)}


async def rows_of_client(
    conn: AsyncConnection,
    table: Table,
    client_key: str,
    order: Sequence[ColumnElement[Any]],
    *,
    limit: int,
    offset: int,
) -> list[Row[Any]]:
    """One client's records in ``order`` (the id last, for a stable page)."""
    query = (
        select(table)
        .where(table.c.client_key == client_key)
        .order_by(*order, _id(table))
        .limit(limit)
        .offset(offset)
    )
    return list((await conn.execute(query)).all())


async def search_client(
    transactions: Transactions,
    client_key: str,
    actor: Actor,
    resource: str,
    purpose: str,
    fetch: Callable[[AsyncConnection], Awaitable[list[Row[Any]]]],
) -> list[Row[Any]]:
    """The rows ``fetch`` finds for one client, each read in the access log (the search
    itself when it found nothing), in one transaction with the read."""
    async with transactions.begin() as work:
        rows = await fetch(work.conn)
        ids = [str(row[0]) for row in rows]
        work.account(
            *[Access(actor, "read", resource, rid, client_key, purpose) for rid in ids]
            or [Access(actor, "search", resource, None, client_key, purpose)]
        )
    return rows


async def read_logged(
    transactions: Transactions,
    fetch: Callable[[AsyncConnection], Awaitable[Row[Any] | None]],
    access: Callable[[Row[Any]], Access],
) -> Row[Any] | None:
    """The row ``fetch`` finds, its read in the access log (``access``), or None."""
    async with transactions.begin() as work:
        row = await fetch(work.conn)
        if row is not None:
            work.account(access(row))
    return row


async def create_once(
    transactions: Transactions,
    table: Table,
    key: str | None,
    replay: Callable[[Row[Any]], Created | None],
    create: Callable[[], Awaitable[Created]],
) -> tuple[Created, bool]:
    """What ``create`` makes, and True; or, for an ``Idempotency-Key`` already used, what
    ``replay`` makes of the row it created (it checks the body is the same), and False.

    Two requests with the same key at once: the one that loses the unique key answers the
    winner's row."""

    async def earlier() -> Created | None:
        if key is None:
            return None
        async with transactions.engine.connect() as conn:
            row = await row_by_idempotency_key(conn, table, key)
        return None if row is None else replay(row)

    found = await earlier()
    if found is not None:
        return found, False
    try:
        return await create(), True
    except IntegrityError:
        found = await earlier()
        if found is None:
            raise
        return found, False
