"""Webhook subscriptions in the database: made, listed, read, deleted and replayed, always
within one organisation's own (``organisation``)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from silta_protection.encryption import DataCipher
from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from silta_records.events.feed import last_cursor
from silta_records.events.table import EventTables
from silta_records.events.webhooks import ACTIVE, webhook_secret_column

RECENT_DELIVERIES = 20


async def create(
    conn: AsyncConnection,
    tables: EventTables,
    cipher: DataCipher,
    *,
    organisation: str,
    counties: Collection[str] | None,
    url: str,
    secret: str,
    after: int | None,
    created_by: str,
) -> Row[Any]:
    """A new active subscription; it receives the events after ``after`` (None: only those
    recorded from now on)."""
    hooks, webhook_id, now = tables.webhooks, str(uuid.uuid4()), datetime.now(UTC)
    position = await last_cursor(conn, tables) if after is None else after
    await conn.execute(
        hooks.insert().values(
            id=webhook_id,
            organisation=organisation,
            counties=None if counties is None else ",".join(sorted(counties)),
            url=url,
            secret=webhook_secret_column(hooks).seal(cipher, secret, webhook_id),
            status=ACTIVE,
            position=position,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            created_by=created_by,
        )
    )
    found = await get(conn, tables, organisation, webhook_id)
    assert found is not None
    return found


async def listed(conn: AsyncConnection, tables: EventTables, organisation: str) -> list[Row[Any]]:
    hooks = tables.webhooks
    query = select(hooks).where(hooks.c.organisation == organisation)
    return list((await conn.execute(query.order_by(hooks.c.created_at, hooks.c.id))).all())


async def get(
    conn: AsyncConnection, tables: EventTables, organisation: str, webhook_id: str
) -> Row[Any] | None:
    hooks = tables.webhooks
    query = select(hooks).where(hooks.c.id == webhook_id, hooks.c.organisation == organisation)
    return (await conn.execute(query)).first()


async def recent_deliveries(
    conn: AsyncConnection, tables: EventTables, webhook_id: str
) -> list[Row[Any]]:
    """The subscription's latest delivery attempts, newest first."""
    deliveries = tables.deliveries
    query = (
        select(deliveries)
        .where(deliveries.c.webhook_id == webhook_id)
        .order_by(deliveries.c.id.desc())
        .limit(RECENT_DELIVERIES)
    )
    return list((await conn.execute(query)).all())


async def remove(
    conn: AsyncConnection, tables: EventTables, organisation: str, webhook_id: str
) -> bool:
    hooks = tables.webhooks
    gone = await conn.execute(
        delete(hooks).where(hooks.c.id == webhook_id, hooks.c.organisation == organisation)
    )
    if gone.rowcount:
        deliveries = tables.deliveries
        await conn.execute(delete(deliveries).where(deliveries.c.webhook_id == webhook_id))
    return bool(gone.rowcount)


async def replay(
    conn: AsyncConnection, tables: EventTables, organisation: str, webhook_id: str, start: int
) -> bool:
    """Deliver again every event from cursor ``start`` on; a failed subscription is active
    again, and a delivery under way elsewhere stops (its claim is taken away)."""
    hooks = tables.webhooks
    changed = await conn.execute(
        update(hooks)
        .where(hooks.c.id == webhook_id, hooks.c.organisation == organisation)
        .values(
            status=ACTIVE,
            position=max(start - 1, 0),
            attempts=0,
            last_error=None,
            next_attempt_at=datetime.now(UTC),
            claimed_by=None,
            claimed_until=None,
        )
    )
    return bool(changed.rowcount)
