"""Kela's referrals in its database: SQL over the caller's connection, nothing else."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from silta_platform.db import as_utc, locking
from silta_protection.encryption import DataCipher, SealedColumn, cipher_of
from silta_records.deadlines import overdue_clause, referral_due_at
from silta_records.status_history import (
    StatusChange,
    add_referrals,
    load_history,
)
from silta_records.views import ListQuery
from silta_schemas.cancellation import Cancellation
from silta_schemas.parties import county_organisation
from silta_schemas.referrals import ReferralRequest
from silta_schemas.status import ReferralStatus
from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kela_side.db.tables import (
    CANCELLATION_REASON,
    NEW_REFERRAL_REASON,
    OPEN_STATUSES,
    REFERRAL_PAYLOAD,
    referrals,
    status_history,
)
from kela_side.domain.referrals import SENT_SEQUENCE
from kela_side.domain.submission import OpenReferral, Slot
from kela_side.records import Leg, ReferralRecord
from kela_side.settings import KelaSettings


def new_referral_row(
    request: ReferralRequest,
    referral_id: UUID,
    now: datetime,
    settings: KelaSettings,
    *,
    client_key: str,
    payload: dict[str, Any] | None = None,
    **columns: Any,
) -> dict[str, Any]:
    """The ``referrals`` row of a referral Kela sends now (status ``sent``, sealed,
    its deadline set); ``columns`` add what only some referrals have."""
    county_code = request.county_code
    body = request.model_dump(mode="json") if payload is None else payload
    cipher = cipher_of(settings)
    return {
        "id": str(referral_id),
        "kind": request.kind,
        "county_code": county_code,
        "recipient": county_organisation(county_code),
        "status": ReferralStatus.SENT,
        "status_sequence": SENT_SEQUENCE,
        "payload": REFERRAL_PAYLOAD.seal(cipher, body, str(referral_id)),
        "client_key": client_key,
        "new_referral_reason": NEW_REFERRAL_REASON.seal(
            cipher, request.new_referral_reason, str(referral_id)
        ),
        "due_at": referral_due_at(request, now, settings),
        "created_at": now,
        "updated_at": now,
        **columns,
    }


add = functools.partial(add_referrals, referrals, status_history)
"""Store new referrals with their first history entries (``sent``), reasons sealed."""


async def taken_idempotency_keys(conn: AsyncConnection, keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` a stored referral has."""
    return set(await by_idempotency_keys(conn, keys))


def _open_in(query: Any) -> Any:
    return query.where(referrals.c.status.in_(OPEN_STATUSES)).order_by(referrals.c.created_at)


# The hot paths' statements are built once: a statement reused keeps its SQLAlchemy cache
# key, and building and keying one anew cost more than SQLite running it.
_OF_CLIENTS = select(
    referrals.c.id,
    referrals.c.status,
    referrals.c.client_key,
    referrals.c.kind,
    referrals.c.county_code,
    referrals.c.created_at,
).where(referrals.c.client_key.in_(bindparam("client_keys", expanding=True)))
"""Every referral of these clients, found by the clients' index. Which are open, and the
oldest, is decided in Python: with the status in the statement, SQLite's planner (which keeps
no statistics here) chose the index of statuses for a batch's hundreds of clients and walked
every open referral, 84 ms a group of 200 notices with 100,000 open (README, *Growth*); a
client has only a few referrals."""

_OPEN = frozenset(OPEN_STATUSES)


async def open_referrals(
    conn: AsyncConnection, client_keys: Iterable[str]
) -> dict[Slot, OpenReferral]:
    """The oldest open referral in each slot of these clients."""
    wanted = sorted(set(client_keys))
    if not wanted:
        return {}
    rows = await conn.execute(_OF_CLIENTS, {"client_keys": wanted})
    found: dict[Slot, OpenReferral] = {}
    for row in sorted((row for row in rows if row.status in _OPEN), key=_created):
        slot = (row.client_key, row.kind, row.county_code)
        found.setdefault(slot, OpenReferral(UUID(row.id), ReferralStatus(row.status)))
    return found


def _created(row: Any) -> datetime:
    return as_utc(row.created_at)


async def oldest_open(conn: AsyncConnection, slot: Slot) -> OpenReferral | None:
    client_key, kind, county_code = slot
    query = select(referrals.c.id, referrals.c.status).where(
        referrals.c.client_key == client_key,
        referrals.c.kind == kind,
        referrals.c.county_code == county_code,
    )
    row = (await conn.execute(_open_in(query).limit(1))).first()
    return None if row is None else OpenReferral(UUID(row.id), ReferralStatus(row.status))


async def by_idempotency_key(conn: AsyncConnection, key: str) -> tuple[UUID, str | None] | None:
    """The referral stored with this Idempotency-Key, and its request's fingerprint."""
    return (await by_idempotency_keys(conn, [key])).get(key)


async def by_idempotency_keys(
    conn: AsyncConnection, keys: Iterable[str]
) -> dict[str, tuple[UUID, str | None]]:
    """Idempotency-Key -> the referral stored with it and its request's fingerprint, for
    those of ``keys`` that are taken (one query; the keys' unique index answers it)."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    query = select(referrals.c.idempotency_key, referrals.c.id, referrals.c.request_hash).where(
        referrals.c.idempotency_key.in_(wanted)
    )
    return {
        row.idempotency_key: (UUID(row.id), row.request_hash) for row in await conn.execute(query)
    }


async def load(
    conn: AsyncConnection, referral_id: UUID, cipher: DataCipher
) -> ReferralRecord | None:
    """The referral's tracking record: status, history, every leg if it was forwarded (the
    reasons opened)."""
    row = (await conn.execute(summary_query().where(referrals.c.id == str(referral_id)))).first()
    if row is None:
        return None
    history = await load_history(conn, status_history, referral_id, cipher)
    chain = await chain_of(conn, referral_id)
    return referral_record(row, history, chain, cipher)


async def client_key(conn: AsyncConnection, referral_id: UUID) -> str | None:
    query = select(referrals.c.client_key).where(referrals.c.id == str(referral_id))
    return (await conn.execute(query)).scalar_one_or_none()


async def listed(conn: AsyncConnection, page: ListQuery) -> list[ReferralRecord]:
    """A page of referrals, newest first, without their histories."""
    query = summary_query().order_by(referrals.c.created_at.desc(), referrals.c.id)
    if page.status is not None:
        query = query.where(referrals.c.status == page.status)
    if page.overdue:
        query = query.where(overdue_clause(referrals, datetime.now(UTC)))
    rows = (await conn.execute(query.limit(page.limit).offset(page.offset))).all()
    return [referral_record(row) for row in rows]


def summary_query() -> Any:
    """A referral without its history: the columns every list and read of one selects."""
    return select(
        referrals.c.id,
        referrals.c.kind,
        referrals.c.county_code,
        referrals.c.recipient,
        referrals.c.status,
        referrals.c.created_at,
        referrals.c.updated_at,
        referrals.c.due_at,
        referrals.c.new_referral_reason,
        referrals.c.forwarded_from_id,
        referrals.c.forwarded_to_id,
        referrals.c.cancelled_at,
        referrals.c.cancellation_reason,
        referrals.c.purged_at,
    )


def _uuid(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def referral_record(
    row: Row[Any],
    history: Sequence[StatusChange] = (),
    chain: Sequence[Leg] = (),
    cipher: DataCipher | None = None,
) -> ReferralRecord:
    """The record; its free-text reasons only with a ``cipher`` (lists leave them out)."""

    def opened(column: SealedColumn, stored: str | None) -> str | None:
        return None if cipher is None else column.open(cipher, stored, row.id)

    return ReferralRecord(
        id=UUID(row.id),
        kind=row.kind,
        county_code=row.county_code,
        recipient=row.recipient,
        status=ReferralStatus(row.status),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        due_at=_utc(row.due_at),
        new_referral_reason=opened(NEW_REFERRAL_REASON, row.new_referral_reason),
        forwarded_from_id=_uuid(row.forwarded_from_id),
        forwarded_to_id=_uuid(row.forwarded_to_id),
        cancelled_at=_utc(row.cancelled_at),
        cancellation_reason=opened(CANCELLATION_REASON, row.cancellation_reason),
        history=history,
        chain=chain,
        purged_at=_utc(row.purged_at),
    )


async def not_forwarded_yet(conn: AsyncConnection, ids: Iterable[UUID]) -> dict[str, Any]:
    """The referrals among ``ids`` that have not been sent on to another county: id -> what
    sending them on needs."""
    columns = (
        referrals.c.id,
        referrals.c.kind,
        referrals.c.county_code,
        referrals.c.payload,
        referrals.c.client_key,
        referrals.c.new_referral_reason,
    )
    query = select(*columns).where(
        referrals.c.id.in_([str(referral_id) for referral_id in ids]),
        referrals.c.forwarded_to_id.is_(None),
    )
    return {row.id: row for row in await conn.execute(query)}


async def mark_forwarded(conn: AsyncConnection, referral_id: str, leg_id: UUID) -> None:
    await conn.execute(
        update(referrals).where(referrals.c.id == referral_id).values(forwarded_to_id=str(leg_id))
    )


async def for_cancellation(conn: AsyncConnection, referral_id: UUID) -> Any:
    """The row cancelling the referral needs (None: no such referral), locked against a
    concurrent acknowledgement."""
    columns = (
        referrals.c.status,
        referrals.c.recipient,
        referrals.c.county_code,
        referrals.c.payload,
        referrals.c.client_key,
    )
    query = select(*columns).where(referrals.c.id == str(referral_id))
    return (await conn.execute(locking(query, conn))).first()


async def mark_cancelled(
    conn: AsyncConnection, cipher: DataCipher, referral_id: UUID, cancellation: Cancellation
) -> None:
    await conn.execute(
        update(referrals)
        .where(referrals.c.id == str(referral_id))
        .values(
            status=ReferralStatus.CANCELLED,
            cancelled_at=cancellation.cancelled_at,
            cancellation_reason=CANCELLATION_REASON.seal(
                cipher, cancellation.reason, str(referral_id)
            ),
            updated_at=cancellation.cancelled_at,
        )
    )


async def recipients(conn: AsyncConnection, ids: Iterable[UUID | None]) -> dict[str, str]:
    """Referral id -> the county it was sent to, for those of ``ids`` Kela has."""
    wanted = sorted({str(referral_id) for referral_id in ids if referral_id is not None})
    query = select(referrals.c.id, referrals.c.recipient).where(referrals.c.id.in_(wanted))
    return {row.id: row.recipient for row in await conn.execute(query)}


async def chain_of(conn: AsyncConnection, referral_id: UUID) -> list[Leg]:
    """Every leg of the referral ``referral_id`` belongs to, first county first."""
    columns = (
        referrals.c.id,
        referrals.c.county_code,
        referrals.c.status,
        referrals.c.forwarded_from_id,
        referrals.c.forwarded_to_id,
    )
    by_id = {}
    current = str(referral_id)
    while current not in by_id:  # back to the first leg
        row = (await conn.execute(select(*columns).where(referrals.c.id == current))).first()
        if row is None:
            return []
        by_id[current] = row
        if row.forwarded_from_id is None:
            break
        current = row.forwarded_from_id
    legs = []
    seen: set[str] = set()
    row = by_id[current]
    while row is not None and row.id not in seen:  # forwards to the last
        seen.add(row.id)
        legs.append(Leg(UUID(row.id), row.county_code, ReferralStatus(row.status)))
        nxt = row.forwarded_to_id
        row = (
            None
            if nxt is None
            else (
                by_id.get(nxt)
                or (await conn.execute(select(*columns).where(referrals.c.id == nxt))).first()
            )
        )
    return legs
