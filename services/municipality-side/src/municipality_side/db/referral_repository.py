"""The referrals a county's side holds, in its database: SQL over the caller's connection."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from silta_platform.db import as_utc, locking
from silta_protection.encryption import DataCipher
from silta_records.deadlines import overdue_clause, referral_due_at
from silta_records.status_history import (
    StatusChange,
    add_changes,
    add_referrals,
    load_history,
)
from silta_schemas.codes import MessageKind
from silta_schemas.envelope import Envelope
from silta_schemas.errors import NotFound
from silta_schemas.referrals import NoticeOfNeed, ReferralRequest
from silta_schemas.status import ReferralStatus
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from municipality_side.db.tables import REFERRAL_PAYLOAD, referrals, status_history
from municipality_side.domain.referrals import HeldReferral
from municipality_side.records import Assignment, ReferralRecord
from municipality_side.settings import MunicipalitySettings


def new_referral_row(
    envelope: Envelope,
    referral: ReferralRequest,
    change: StatusChange,
    *,
    client_key: str,
    cipher: DataCipher,
    settings: MunicipalitySettings,
) -> dict[str, Any]:
    """The ``referrals`` row of a referral as it arrives (sealed, its
    deadline set), in the status of its first ``change``."""
    referral_id = str(envelope.referral_id)
    now = change.changed_at
    return {
        "id": referral_id,
        "kind": envelope.kind,
        "county_code": referral.county_code,
        "sender": envelope.sender,
        "status": change.status,
        "status_sequence": change.sequence,
        "urgency": getattr(referral, "urgency", None),
        "payload": REFERRAL_PAYLOAD.seal(cipher, referral.model_dump(mode="json"), referral_id),
        "client_key": client_key,
        "child_welfare": isinstance(referral, NoticeOfNeed) and referral.is_child_welfare_notice,
        "message_id": str(envelope.message_id),
        "received_at": now,
        "updated_at": now,
        "due_at": referral_due_at(referral, now, settings),
    }


add = functools.partial(add_referrals, referrals, status_history)
"""Store new referrals with their first history entries, reasons sealed."""


# Built once: a statement reused keeps its SQLAlchemy cache key (the consumer's hot path).
_KNOWN = select(referrals.c.id).where(referrals.c.id.in_(bindparam("ids", expanding=True)))


async def known(conn: AsyncConnection, referral_ids: Iterable[UUID]) -> set[UUID]:
    """Which of ``referral_ids`` this side holds."""
    wanted = [str(referral_id) for referral_id in referral_ids]
    return {UUID(found) for found in (await conn.execute(_KNOWN, {"ids": wanted})).scalars()}


async def held(
    conn: AsyncConnection, referral_id: UUID, *, to_change: bool = False
) -> tuple[HeldReferral, str | None] | None:
    """The referral as held, and its client's key (the access log's); ``to_change`` locks it
    until the transaction ends (one change at a time per referral)."""
    query = select(
        referrals.c.kind,
        referrals.c.county_code,
        referrals.c.status,
        referrals.c.status_sequence,
        referrals.c.client_key,
    ).where(referrals.c.id == str(referral_id))
    row = (await conn.execute(locking(query, conn) if to_change else query)).first()
    if row is None:
        return None
    referral = HeldReferral(
        MessageKind(row.kind), row.county_code, ReferralStatus(row.status), row.status_sequence
    )
    return referral, row.client_key


async def held_in(
    conn: AsyncConnection, referral_id: UUID, counties: frozenset[str]
) -> tuple[HeldReferral, str | None]:
    """:func:`held` to change, of one of ``counties``; raises ``NotFound`` otherwise."""
    found = await held(conn, referral_id, to_change=True)
    if found is None or found[0].county_code not in counties:
        raise NotFound("referral")
    return found


async def record_change(
    conn: AsyncConnection, cipher: DataCipher, referral_id: UUID, change: StatusChange
) -> None:
    """A status change: the referral and its history, together."""
    await conn.execute(
        update(referrals)
        .where(referrals.c.id == str(referral_id))
        .values(status=change.status, status_sequence=change.sequence, updated_at=change.changed_at)
    )
    await add_changes(conn, status_history, cipher, [change.row(referral_id)])


async def county_of(conn: AsyncConnection, referral_id: UUID) -> str | None:
    """The county holding the referral, if this side has it (reads no personal data)."""
    query = select(referrals.c.county_code).where(referrals.c.id == str(referral_id))
    county: str | None = (await conn.execute(query)).scalar_one_or_none()
    return county


async def client_key(conn: AsyncConnection, referral_id: UUID) -> str | None:
    query = select(referrals.c.client_key).where(referrals.c.id == str(referral_id))
    key: str | None = (await conn.execute(query)).scalar_one()
    return key


_SUMMARY = (
    referrals.c.id,
    referrals.c.kind,
    referrals.c.county_code,
    referrals.c.status,
    referrals.c.urgency,
    referrals.c.received_at,
    referrals.c.updated_at,
    referrals.c.due_at,
    referrals.c.child_welfare,
    referrals.c.assigned_to,
)


def _record(row: Any, **details: Any) -> ReferralRecord:
    return ReferralRecord(
        id=UUID(row.id),
        kind=row.kind,
        county_code=row.county_code,
        status=ReferralStatus(row.status),
        urgency=row.urgency,
        received_at=as_utc(row.received_at),
        updated_at=as_utc(row.updated_at),
        due_at=None if row.due_at is None else as_utc(row.due_at),
        child_welfare=bool(row.child_welfare),
        assigned_to=row.assigned_to,
        **details,
    )


async def load(
    conn: AsyncConnection, cipher: DataCipher, referral_id: UUID
) -> ReferralRecord | None:
    """The whole referral: the notice decrypted, its history."""
    query = select(*_SUMMARY, referrals.c.payload, referrals.c.purged_at).where(
        referrals.c.id == str(referral_id)
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    history = await load_history(conn, status_history, referral_id, cipher)
    payload = REFERRAL_PAYLOAD.open(cipher, row.payload, row.id)
    purged_at = None if row.purged_at is None else as_utc(row.purged_at)
    return _record(row, payload=payload, history=history, purged_at=purged_at)


async def listed(
    conn: AsyncConnection,
    counties: frozenset[str],
    *,
    status: ReferralStatus | None,
    limit: int,
    offset: int,
    overdue: bool = False,
    child_welfare: bool | None = None,
    assigned_to: str | None = None,
    unassigned: bool | None = None,
) -> list[ReferralRecord]:
    """The inbox, newest first: tracking data only, nothing personal; ``assigned_to``: one
    worker's worklist, ``unassigned``: only those nobody (or, false, somebody) has."""
    query = (
        select(*_SUMMARY)
        .where(referrals.c.county_code.in_(sorted(counties)))
        .order_by(referrals.c.received_at.desc(), referrals.c.id)
    )
    if status is not None:
        query = query.where(referrals.c.status == status)
    if overdue:
        query = query.where(overdue_clause(referrals, datetime.now(UTC)))
    if child_welfare is not None:
        query = query.where(referrals.c.child_welfare.is_(child_welfare))
    if assigned_to is not None:
        query = query.where(referrals.c.assigned_to == assigned_to)
    if unassigned is not None:
        nobody = referrals.c.assigned_to.is_(None)
        query = query.where(nobody if unassigned else ~nobody)
    rows = (await conn.execute(query.limit(limit).offset(offset))).all()
    return [_record(row) for row in rows]


async def assignment(conn: AsyncConnection, referral_id: UUID) -> Assignment:
    query = select(
        referrals.c.assigned_to, referrals.c.assigned_at, referrals.c.assigned_entry_id
    ).where(referrals.c.id == str(referral_id))
    row = (await conn.execute(query)).one()
    return Assignment(
        referral_id,
        row.assigned_to,
        None if row.assigned_at is None else as_utc(row.assigned_at),
        None if row.assigned_entry_id is None else UUID(row.assigned_entry_id),
    )


async def assign(conn: AsyncConnection, assignment: Assignment) -> None:
    entry = assignment.directory_entry_id
    await conn.execute(
        update(referrals)
        .where(referrals.c.id == str(assignment.referral_id))
        .values(
            assigned_to=assignment.assigned_to,
            assigned_at=assignment.assigned_at,
            assigned_entry_id=None if entry is None else str(entry),
        )
    )
