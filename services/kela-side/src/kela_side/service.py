"""Kela side service layer: taking referrals in, applying acknowledgements, reading status.

Each function is one transaction. Writes to the outbox happen in the same transaction as
the change they announce; the caller wakes the relay after commit.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from silta_messaging.consumer import BatchHandler, Incoming, Rejection
from silta_platform.db import as_utc
from silta_platform.group_commit import per_engine
from silta_protection.access_log import (
    UNAUTHENTICATED,
    Access,
    Actor,
    record_access,
    service_actor,
)
from silta_protection.encryption import client_key_of
from silta_records.deadlines import overdue_clause
from silta_records.status_history import StatusChange, load_history
from silta_schemas.parties import KELA, county_organisation
from silta_schemas.referrals import ReferralRequest
from silta_schemas.status import ReferralStatus, StatusAcknowledgement
from sqlalchemy import Row, bindparam, exc, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from kela_side.db.tables import (
    OPEN_STATUSES,
    access_log,
    messaging,
    referrals,
    status_history,
)
from kela_side.domain.referrals import (
    SENT_SEQUENCE,
    AcknowledgementRejected,
    Decision,
    TrackedReferral,
    decide,
)
from kela_side.forwarding import KELA_SERVICE, Leg, chain_of, send_onwards
from kela_side.sending import new_referral_row, referral_entry
from kela_side.settings import KelaSettings


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was used before with a different request body."""


class DuplicateReferral(Exception):
    """The client already has an open referral of this kind at this county."""

    def __init__(self, existing_id: UUID, existing_status: ReferralStatus) -> None:
        super().__init__(str(existing_id))
        self.existing_id = existing_id
        self.existing_status = existing_status


SEND_PURPOSE = "referral.send"
TRACK_PURPOSE = "referral.tracking"


@dataclass(frozen=True)
class ReferralRecord:
    id: UUID
    kind: str
    county_code: str
    recipient: str
    status: ReferralStatus
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None = None
    new_referral_reason: str | None = None
    forwarded_from_id: UUID | None = None
    forwarded_to_id: UUID | None = None
    cancelled_at: datetime | None = None
    cancellation_reason: str | None = None
    history: Sequence[StatusChange] = ()
    chain: Sequence[Leg] = ()
    purged_at: datetime | None = None


def _fingerprint(request: ReferralRequest, payload: Mapping[str, Any] | None = None) -> str:
    if payload is None:
        payload = request.model_dump(mode="json")
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def submit_referral(
    engine: AsyncEngine,
    settings: KelaSettings,
    request: ReferralRequest,
    idempotency_key: str | None,
    *,
    actor: Actor = UNAUTHENTICATED,
) -> tuple[ReferralRecord, bool]:
    """Store a referral and its outbox message; return it and whether it is new.

    Raises ``DuplicateReferral`` when the client already has an open referral of this kind
    at this county and the request gives no ``new_referral_reason``. Concurrent calls share
    one transaction (group commit); each gets its own result or its own error.
    """
    payload = request.model_dump(mode="json")
    fingerprint = _fingerprint(request, payload)
    if idempotency_key is not None:
        replay = await _by_idempotency_key(engine, idempotency_key, fingerprint)
        if replay is not None:
            return replay, False
    now = datetime.now(UTC)
    referral_id = uuid4()
    county_code = request.county_code
    recipient = county_organisation(county_code)
    entry = referral_entry(request, referral_id)
    sent = StatusChange(SENT_SEQUENCE, ReferralStatus.SENT, now, KELA)
    key = client_key_of(settings, request.client.identity_code)
    row = new_referral_row(
        request,
        referral_id,
        now,
        settings,
        client_key=key,
        payload=payload,
        idempotency_key=idempotency_key,
        request_hash=fingerprint,
    )
    record = ReferralRecord(
        id=referral_id,
        kind=request.kind,
        county_code=county_code,
        recipient=recipient,
        status=ReferralStatus.SENT,
        created_at=now,
        updated_at=now,
        due_at=row["due_at"],
        new_referral_reason=request.new_referral_reason,
        history=[sent],
    )
    submission = _Submission(
        record=record,
        client_key=key,
        row=row,
        history_row=sent.row(referral_id),
        outbox_row=entry.row(now),
        access=Access(actor, "create", "referral", str(referral_id), key, SEND_PURPOSE),
    )
    try:
        return await _referral_writer(engine).submit(submission), True
    except (exc.IntegrityError, _KeyTaken):
        # A concurrent request won: the same Idempotency-Key, or the same client's referral.
        if idempotency_key is not None:
            replay = await _by_idempotency_key(engine, idempotency_key, fingerprint)
            if replay is not None:
                return replay, False
        async with engine.connect() as conn:
            await _refuse_duplicate(conn, key, request.kind, county_code)
        raise


class _KeyTaken(Exception):
    """The Idempotency-Key was taken since the caller looked: the caller replays it."""


@dataclass(frozen=True)
class _Submission:
    """One referral ready to be written: its rows, and the record to answer with."""

    record: ReferralRecord
    client_key: str
    row: dict[str, Any]
    history_row: dict[str, Any]
    outbox_row: dict[str, Any]
    access: Access


async def _store_referrals(
    conn: AsyncConnection, submissions: Sequence[_Submission]
) -> list[ReferralRecord | Exception]:
    """Write a group of referrals in three statements, refusing duplicates one by one.

    The same rules as one at a time, in the group's order: an Idempotency-Key stored
    meanwhile (or earlier in this group) makes the caller replay it; a referral without
    ``new_referral_reason`` is refused when the client has an open referral of its kind at
    its county, stored before or earlier in this group.
    """
    taken_keys: set[str] = set()
    idempotency_keys = {s.row["idempotency_key"] for s in submissions} - {None}
    if idempotency_keys:
        taken_keys.update(
            (
                await conn.execute(
                    select(referrals.c.idempotency_key).where(
                        referrals.c.idempotency_key.in_(sorted(idempotency_keys))
                    )
                )
            ).scalars()
        )
    open_referrals: dict[tuple[str, str, str], tuple[str, str]] = {}
    keys = {s.client_key for s in submissions if s.record.new_referral_reason is None}
    if keys:
        for row in await conn.execute(
            select(
                referrals.c.id,
                referrals.c.status,
                referrals.c.client_key,
                referrals.c.kind,
                referrals.c.county_code,
            )
            .where(referrals.c.client_key.in_(sorted(keys)), referrals.c.status.in_(OPEN_STATUSES))
            .order_by(referrals.c.created_at)
        ):
            open_referrals.setdefault(
                (row.client_key, row.kind, row.county_code), (row.id, row.status)
            )
    outcomes: list[ReferralRecord | Exception] = []
    stored: list[_Submission] = []
    for submission in submissions:
        record = submission.record
        idempotency_key = submission.row["idempotency_key"]
        if idempotency_key in taken_keys:
            outcomes.append(_KeyTaken(idempotency_key))
            continue
        slot = (submission.client_key, record.kind, record.county_code)
        existing = open_referrals.get(slot)
        if existing is not None and record.new_referral_reason is None:
            outcomes.append(DuplicateReferral(UUID(existing[0]), ReferralStatus(existing[1])))
            continue
        open_referrals.setdefault(slot, (str(record.id), ReferralStatus.SENT))
        if idempotency_key is not None:
            taken_keys.add(idempotency_key)
        stored.append(submission)
        outcomes.append(record)
    if stored:
        await conn.execute(referrals.insert(), [s.row for s in stored])
        await conn.execute(status_history.insert(), [s.history_row for s in stored])
        await conn.execute(messaging.outbox.insert(), [s.outbox_row for s in stored])
        await record_access(conn, access_log, [s.access for s in stored])
    return outcomes


_referral_writer = per_engine(_store_referrals)


async def _refuse_duplicate(conn: AsyncConnection, key: str, kind: str, county: str) -> None:
    existing = (
        await conn.execute(
            select(referrals.c.id, referrals.c.status)
            .where(
                referrals.c.client_key == key,
                referrals.c.kind == kind,
                referrals.c.county_code == county,
                referrals.c.status.in_(OPEN_STATUSES),
            )
            .order_by(referrals.c.created_at)
            .limit(1)
        )
    ).first()
    if existing is not None:
        raise DuplicateReferral(UUID(existing.id), ReferralStatus(existing.status))


async def _by_idempotency_key(
    engine: AsyncEngine, key: str, fingerprint: str
) -> ReferralRecord | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(referrals.c.id, referrals.c.request_hash).where(
                    referrals.c.idempotency_key == key
                )
            )
        ).first()
        if row is None:
            return None
        if row.request_hash != fingerprint:
            raise IdempotencyKeyReused(key)
        return await _load(conn, UUID(row.id))


async def get_referral(
    engine: AsyncEngine, referral_id: UUID, actor: Actor | None = None
) -> ReferralRecord | None:
    """The referral's tracking record; with an ``actor``, the read is logged."""
    if actor is None:
        async with engine.connect() as conn:
            return await _load(conn, referral_id)
    async with engine.begin() as conn:
        record = await _load(conn, referral_id)
        if record is not None:
            key = (
                await conn.execute(
                    select(referrals.c.client_key).where(referrals.c.id == str(referral_id))
                )
            ).scalar_one()
            await record_access(
                conn,
                access_log,
                [Access(actor, "read", "referral", str(referral_id), key, TRACK_PURPOSE)],
            )
        return record


async def _load(conn: AsyncConnection, referral_id: UUID) -> ReferralRecord | None:
    row = (await conn.execute(_summary_query().where(referrals.c.id == str(referral_id)))).first()
    if row is None:
        return None
    history = await load_history(conn, status_history, referral_id)
    chain = await chain_of(conn, referral_id)
    return _record(row, history, chain)


def _summary_query() -> Any:
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


def _record(
    row: Row[Any], history: Sequence[StatusChange] = (), chain: Sequence[Leg] = ()
) -> ReferralRecord:
    return ReferralRecord(
        id=UUID(row.id),
        kind=row.kind,
        county_code=row.county_code,
        recipient=row.recipient,
        status=ReferralStatus(row.status),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        due_at=None if row.due_at is None else as_utc(row.due_at),
        new_referral_reason=row.new_referral_reason,
        forwarded_from_id=_uuid(row.forwarded_from_id),
        forwarded_to_id=_uuid(row.forwarded_to_id),
        cancelled_at=None if row.cancelled_at is None else as_utc(row.cancelled_at),
        cancellation_reason=row.cancellation_reason,
        history=history,
        chain=chain,
        purged_at=None if row.purged_at is None else as_utc(row.purged_at),
    )


async def list_referrals(
    engine: AsyncEngine,
    *,
    status: ReferralStatus | None,
    limit: int,
    offset: int,
    overdue: bool = False,
) -> list[ReferralRecord]:
    query = _summary_query().order_by(referrals.c.created_at.desc(), referrals.c.id)
    if status is not None:
        query = query.where(referrals.c.status == status)
    if overdue:
        query = query.where(overdue_clause(referrals, datetime.now(UTC)))
    async with engine.connect() as conn:
        rows = (await conn.execute(query.limit(limit).offset(offset))).all()
    return [_record(row) for row in rows]


def acknowledgement_handler(settings: KelaSettings) -> BatchHandler:
    """The bus handler for status acknowledgements."""

    async def handle(
        conn: AsyncConnection, messages: Sequence[Incoming]
    ) -> Mapping[UUID, Rejection]:
        return await apply_acknowledgements(conn, messages, settings)

    return handle


async def apply_acknowledgements(
    conn: AsyncConnection, messages: Sequence[Incoming], settings: KelaSettings
) -> Mapping[UUID, Rejection]:
    """Record a batch of status acknowledgements in a few statements; send forwarded
    referrals on to the right county."""
    rejections: dict[UUID, Rejection] = {}
    acks: list[tuple[Incoming, StatusAcknowledgement]] = []
    for message in messages:
        payload = message.payload
        assert isinstance(payload, StatusAcknowledgement)
        if payload.referral_id != message.envelope.referral_id:
            rejections[message.envelope.message_id] = Rejection(
                "acknowledgement.referral_mismatch", "payload and envelope name different referrals"
            )
        else:
            acks.append((message, payload))
    if not acks:
        return rejections
    ids = {str(ack.referral_id) for _, ack in acks}
    tracked: dict[str, TrackedReferral] = {}
    client_keys: dict[str, str | None] = {}
    for row in await conn.execute(
        select(
            referrals.c.id,
            referrals.c.recipient,
            referrals.c.status,
            referrals.c.status_sequence,
            referrals.c.client_key,
        ).where(referrals.c.id.in_(ids))
    ):
        tracked[row.id] = TrackedReferral(
            row.recipient, ReferralStatus(row.status), row.status_sequence
        )
        client_keys[row.id] = row.client_key
    accesses: list[Access] = []
    recorded = {
        (row.referral_id, row.sequence)
        for row in await conn.execute(
            select(status_history.c.referral_id, status_history.c.sequence).where(
                tuple_(status_history.c.referral_id, status_history.c.sequence).in_(
                    [(str(ack.referral_id), ack.sequence) for _, ack in acks]
                )
            )
        )
    }
    history_rows: list[dict[str, Any]] = []
    advanced: dict[str, StatusAcknowledgement] = {}
    forwards: list[StatusAcknowledgement] = []
    by_referral: dict[str, list[tuple[Incoming, StatusAcknowledgement]]] = defaultdict(list)
    for message, ack in acks:
        by_referral[str(ack.referral_id)].append((message, ack))
    for referral_id, items in by_referral.items():
        referral = tracked.get(referral_id)
        for message, ack in sorted(items, key=lambda item: item[1].sequence):
            message_id = message.envelope.message_id
            if referral is None:
                rejections[message_id] = Rejection("referral.unknown", "no such referral at Kela")
                continue
            if (referral_id, ack.sequence) in recorded:
                continue  # the same change under another message id: nothing to do
            try:
                decision = decide(referral, ack, message.envelope.sender)
            except AcknowledgementRejected as error:
                rejections[message_id] = Rejection(error.rule, error.detail)
                continue
            recorded.add((referral_id, ack.sequence))
            accesses.append(
                Access(
                    service_actor(KELA_SERVICE, message.envelope.sender),
                    "update",
                    "referral",
                    referral_id,
                    client_keys.get(referral_id),
                    TRACK_PURPOSE,
                    "bus",
                )
            )
            history_rows.append(StatusChange.from_acknowledgement(ack).row(ack.referral_id))
            if decision is Decision.ADVANCE:
                referral = TrackedReferral(referral.recipient, ack.status, ack.sequence)
                advanced[referral_id] = ack
                if ack.status == ReferralStatus.FORWARDED:
                    forwards.append(ack)
    if history_rows:
        await conn.execute(status_history.insert(), history_rows)
    if advanced:
        await conn.execute(
            update(referrals)
            .where(referrals.c.id == bindparam("referral_id"))
            .values(
                status=bindparam("new_status"),
                status_sequence=bindparam("new_sequence"),
                updated_at=bindparam("changed_at"),
            ),
            [
                {
                    "referral_id": referral_id,
                    "new_status": ack.status,
                    "new_sequence": ack.sequence,
                    "changed_at": ack.changed_at,
                }
                for referral_id, ack in advanced.items()
            ],
        )
    if forwards:
        accesses.extend(await send_onwards(conn, settings, forwards))
    await record_access(conn, access_log, accesses)
    return rejections
