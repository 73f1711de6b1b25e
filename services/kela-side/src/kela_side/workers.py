"""Kela side service layer for the responsible workers the counties name per referral."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from silta_messaging.consumer import Incoming, Rejection
from silta_records.directory import get_entry
from silta_records.responsible_workers import Naming, ResponsibleWorkerView, load_namings
from silta_schemas.workers import ResponsibleWorker
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from kela_side.db.statements import responsible_workers
from kela_side.db.tables import directory_entries, referrals
from kela_side.domain.statements import CountyMessageRejected, check_referral_of_sender


async def receive_responsible_workers(
    conn: AsyncConnection, messages: Sequence[Incoming]
) -> Mapping[UUID, Rejection]:
    """The bus handler: keep every naming of a referral's responsible worker.

    Rejected (parked): a naming for a referral Kela does not have (``referral.unknown``) or did
    not send to the sending county (``responsible_worker.wrong_county``).
    """
    ids = sorted({str(m.envelope.referral_id) for m in messages})
    recipients = {
        row.id: row.recipient
        for row in await conn.execute(
            select(referrals.c.id, referrals.c.recipient).where(referrals.c.id.in_(ids))
        )
    }
    rejections: dict[UUID, Rejection] = {}
    rows: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for message in messages:
        envelope, payload = message.envelope, message.payload
        assert isinstance(payload, ResponsibleWorker)
        assert envelope.referral_id is not None  # the envelope requires it for this kind
        try:
            recipient = recipients.get(str(envelope.referral_id))
            check_referral_of_sender(recipient, envelope.sender, "responsible_worker")
        except CountyMessageRejected as error:
            rejections[envelope.message_id] = Rejection(error.rule, error.detail)
            continue
        rows.append(Naming.from_payload(payload).row(envelope.referral_id, now))
    if rows:
        await conn.execute(responsible_workers.insert(), rows)
    return rejections


async def current_responsible_worker(
    engine: AsyncEngine, referral_id: UUID
) -> ResponsibleWorkerView | None:
    """The worker the county named last, with their directory entry where Kela holds it."""
    async with engine.connect() as conn:
        namings = await load_namings(conn, responsible_workers, referral_id)
        county = (
            await conn.execute(
                select(referrals.c.recipient).where(referrals.c.id == str(referral_id))
            )
        ).scalar_one_or_none()
    if not namings:
        return None
    current = namings[-1]
    entry = None
    if current.directory_entry_id is not None:
        async with engine.connect() as conn:
            entry = await get_entry(conn, directory_entries, current.directory_entry_id)
        if entry is not None and entry.organisation != county:
            entry = None  # only the county's own part of the directory describes its workers
    return ResponsibleWorkerView(
        named_at=current.named_at,
        change=current.change,
        worker=current.worker,
        directory_entry_id=current.directory_entry_id,
        directory_entry=entry,
    )
