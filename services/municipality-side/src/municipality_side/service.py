"""Municipality side service layer: receiving referrals, tracking them, acknowledging them.

Each function is one transaction; every change is written to the history and announced to
Kela through the outbox in that same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from silta_messaging.consumer import BatchHandler, Incoming, Rejection
from silta_messaging.outbox import OutboxEntry, add_to_outbox
from silta_messaging.topology import COUNTY_EXCHANGE, routing_key
from silta_platform.db import as_utc
from silta_protection import access_log as audit
from silta_protection.encryption import cipher_of, client_key_of
from silta_records.deadlines import overdue_clause, referral_due_at
from silta_records.status_history import StatusChange, load_history
from silta_schemas.cancellation import Cancellation
from silta_schemas.codes import MessageKind
from silta_schemas.envelope import seal
from silta_schemas.lifecycle import TransitionNotAllowed
from silta_schemas.parties import KELA, county_code_of, county_organisation
from silta_schemas.referrals import ApplicationTransfer, NoticeOfBasicAmountReduction, NoticeOfNeed
from silta_schemas.status import ReferralStatus, StatusUpdate
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from municipality_side.db.tables import (
    REFERRAL_CODE,
    access_log,
    messaging,
    referrals,
    status_history,
)
from municipality_side.domain.referrals import cancelled_by_kela, delivered, next_change
from municipality_side.settings import MunicipalitySettings

REFERRAL_PAYLOADS = (NoticeOfNeed, NoticeOfBasicAmountReduction, ApplicationTransfer)
REFERRAL_KINDS = (
    MessageKind.NOTICE_OF_NEED,
    MessageKind.BASIC_AMOUNT_REDUCTION,
    MessageKind.APPLICATION_TRANSFER,
)


MUNICIPALITY_SERVICE = "silta-municipality-side"
"""The subject of what the service itself does on a message's behalf (access log)."""
RECEIVE_PURPOSE = "referral.receive"
HANDLING_PURPOSE = "referral.handling"
"""Why the county reads and updates a referral: to assess the client's need (SWA §35-36)."""


class ReferralNotFound(Exception):
    pass


@dataclass(frozen=True)
class ReferralRecord:
    id: UUID
    kind: str
    county_code: str
    status: ReferralStatus
    urgency: str | None
    received_at: datetime
    updated_at: datetime
    due_at: datetime | None = None
    child_welfare: bool = False
    payload: Mapping[str, Any] | None = None
    history: Sequence[StatusChange] = ()
    purged_at: datetime | None = None


def _acknowledge(referral_id: UUID, county_code: str, change: StatusChange) -> OutboxEntry:
    ack = change.acknowledgement(referral_id)
    # The county reports every change, its own and Kela's cancellation it has applied.
    county = county_organisation(county_code)
    envelope = seal(ack, sender=county, recipient=KELA, referral_id=referral_id)
    return OutboxEntry(envelope, COUNTY_EXCHANGE, routing_key(ack.kind, county_code))


def referral_receiver(settings: MunicipalitySettings) -> BatchHandler:
    """The bus handler for referrals addressed to the counties ``settings`` serves."""
    counties = settings.served_counties
    cipher = cipher_of(settings)

    async def receive(
        conn: AsyncConnection, messages: Sequence[Incoming]
    ) -> Mapping[UUID, Rejection]:
        rejections: dict[UUID, Rejection] = {}
        accesses: list[audit.Access] = []
        candidates: dict[UUID, Incoming] = {}
        for message in messages:
            envelope = message.envelope
            county = county_code_of(envelope.recipient)
            if county not in counties:
                rejections[envelope.message_id] = Rejection(
                    "routing.county_not_served", f"this deployment does not serve county {county}"
                )
            elif envelope.referral_id in candidates:
                rejections[envelope.message_id] = Rejection(
                    "referral.duplicate_id", "another message in this batch has the referral's id"
                )
            else:
                assert envelope.referral_id is not None  # the envelope requires it for referrals
                candidates[envelope.referral_id] = message
        if not candidates:
            return rejections
        known = set(
            (
                await conn.execute(
                    select(referrals.c.id).where(referrals.c.id.in_([str(i) for i in candidates]))
                )
            ).scalars()
        )
        now = datetime.now(UTC)
        rows, history, outbox = [], [], []
        for referral_id, message in candidates.items():
            envelope = message.envelope
            if str(referral_id) in known:
                rejections[envelope.message_id] = Rejection(
                    "referral.duplicate_id", "a different message already delivered this referral"
                )
                continue
            payload = message.payload
            assert isinstance(payload, REFERRAL_PAYLOADS)
            county_code = payload.county_code
            change = delivered(envelope.recipient, now)
            key = client_key_of(settings, payload.client.identity_code)
            accesses.append(
                audit.Access(
                    audit.service_actor(MUNICIPALITY_SERVICE, envelope.sender),
                    "create",
                    "referral",
                    str(referral_id),
                    key,
                    RECEIVE_PURPOSE,
                    "bus",
                )
            )
            rows.append(
                {
                    "id": str(referral_id),
                    "kind": envelope.kind,
                    "county_code": county_code,
                    "sender": envelope.sender,
                    "status": change.status,
                    "status_sequence": change.sequence,
                    "urgency": getattr(payload, "urgency", None),
                    "payload": REFERRAL_CODE.seal(
                        cipher, payload.model_dump(mode="json"), str(referral_id)
                    ),
                    "client_key": key,
                    "child_welfare": isinstance(payload, NoticeOfNeed)
                    and payload.is_child_welfare_notice,
                    "message_id": str(envelope.message_id),
                    "received_at": now,
                    "updated_at": now,
                    "due_at": referral_due_at(payload, now, settings),
                }
            )
            history.append(change.row(referral_id))
            outbox.append(_acknowledge(referral_id, county_code, change))
        if rows:
            await conn.execute(referrals.insert(), rows)
            await conn.execute(status_history.insert(), history)
            await add_to_outbox(conn, messaging.outbox, outbox)
            await audit.record_access(conn, access_log, accesses)
        return rejections

    return receive


def cancellation_receiver(settings: MunicipalitySettings) -> BatchHandler:
    """The bus handler for Kela's cancellations: the referral is cancelled at once."""
    counties = settings.served_counties

    async def receive(
        conn: AsyncConnection, messages: Sequence[Incoming]
    ) -> Mapping[UUID, Rejection]:
        rejections: dict[UUID, Rejection] = {}
        accesses: list[audit.Access] = []
        for message in messages:
            envelope = message.envelope
            payload = message.payload
            assert isinstance(payload, Cancellation)
            assert envelope.referral_id is not None  # the envelope requires it
            row = (
                await conn.execute(
                    select(
                        referrals.c.county_code,
                        referrals.c.status,
                        referrals.c.status_sequence,
                        referrals.c.client_key,
                    ).where(referrals.c.id == str(envelope.referral_id))
                )
            ).first()
            if row is None or row.county_code not in counties:
                rejections[envelope.message_id] = Rejection(
                    "referral.unknown", "no such referral at the counties this side serves"
                )
                continue
            if county_organisation(row.county_code) != envelope.recipient:
                rejections[envelope.message_id] = Rejection(
                    "envelope.wrong_recipient", "the referral is held by another county"
                )
                continue
            try:
                change = cancelled_by_kela(
                    ReferralStatus(row.status),
                    row.status_sequence,
                    payload.reason,
                    datetime.now(UTC),
                )
            except TransitionNotAllowed as error:
                rejections[envelope.message_id] = Rejection(error.rule, error.message)
                continue
            await _record_change(conn, envelope.referral_id, row.county_code, change)
            accesses.append(
                audit.Access(
                    audit.service_actor(MUNICIPALITY_SERVICE, envelope.sender),
                    "update",
                    "referral",
                    str(envelope.referral_id),
                    row.client_key,
                    HANDLING_PURPOSE,
                    "bus",
                )
            )
        await audit.record_access(conn, access_log, accesses)
        return rejections

    return receive


async def _record_change(
    conn: AsyncConnection, referral_id: UUID, county_code: str, change: StatusChange
) -> None:
    """A status change: the referral, its history and Kela's acknowledgement, together."""
    await conn.execute(
        update(referrals)
        .where(referrals.c.id == str(referral_id))
        .values(status=change.status, status_sequence=change.sequence, updated_at=change.changed_at)
    )
    await conn.execute(status_history.insert().values(change.row(referral_id)))
    await add_to_outbox(conn, messaging.outbox, [_acknowledge(referral_id, county_code, change)])


async def change_status(
    engine: AsyncEngine,
    settings: MunicipalitySettings,
    referral_id: UUID,
    change: StatusUpdate,
    actor: audit.Actor = audit.UNAUTHENTICATED,
) -> ReferralRecord:
    """Apply a county worker's status update.

    Raises ``TransitionNotAllowed`` or ``ReferralNotFound``.
    """
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        query = select(
            referrals.c.kind,
            referrals.c.county_code,
            referrals.c.status,
            referrals.c.status_sequence,
            referrals.c.client_key,
        ).where(referrals.c.id == str(referral_id))
        if engine.dialect.name == "postgresql":
            query = query.with_for_update()  # one status change at a time per referral
        row = (await conn.execute(query)).first()
        if row is None:
            raise ReferralNotFound(referral_id)
        new = next_change(
            kind=MessageKind(row.kind),
            status=ReferralStatus(row.status),
            sequence=row.status_sequence,
            update=change,
            county=county_organisation(row.county_code),
            now=now,
        )
        await _record_change(conn, referral_id, row.county_code, new)
        record = await _load(conn, settings, referral_id)
        await audit.record_access(
            conn,
            access_log,
            [
                audit.Access(
                    actor, "update", "referral", str(referral_id), row.client_key, HANDLING_PURPOSE
                )
            ],
        )
    assert record is not None
    return record


async def county_of(engine: AsyncEngine, referral_id: UUID) -> str | None:
    """The county holding the referral, if this side has it (reads no personal data)."""
    async with engine.connect() as conn:
        county: str | None = (
            await conn.execute(
                select(referrals.c.county_code).where(referrals.c.id == str(referral_id))
            )
        ).scalar_one_or_none()
    return county


async def get_referral(
    engine: AsyncEngine,
    settings: MunicipalitySettings,
    referral_id: UUID,
    actor: audit.Actor = audit.UNAUTHENTICATED,
) -> ReferralRecord | None:
    """A referral of a county this side serves, the notice decrypted; the read is logged."""
    async with engine.begin() as conn:
        record = await _load(conn, settings, referral_id)
        if record is None or record.county_code not in settings.served_counties:
            return None
        key = (
            await conn.execute(
                select(referrals.c.client_key).where(referrals.c.id == str(referral_id))
            )
        ).scalar_one()
        await audit.record_access(
            conn,
            access_log,
            [audit.Access(actor, "read", "referral", str(referral_id), key, HANDLING_PURPOSE)],
        )
        return record


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
        **details,
    )


async def _load(
    conn: AsyncConnection, settings: MunicipalitySettings, referral_id: UUID
) -> ReferralRecord | None:
    row = (
        await conn.execute(
            select(*_SUMMARY, referrals.c.payload, referrals.c.purged_at).where(
                referrals.c.id == str(referral_id)
            )
        )
    ).first()
    if row is None:
        return None
    history = await load_history(conn, status_history, referral_id)
    payload = REFERRAL_CODE.open(cipher_of(settings), row.payload, row.id)
    purged_at = None if row.purged_at is None else as_utc(row.purged_at)
    return _record(row, payload=payload, history=history, purged_at=purged_at)


async def list_inbox(
    engine: AsyncEngine,
    *,
    counties: frozenset[str],
    status: ReferralStatus | None,
    limit: int,
    offset: int,
    overdue: bool = False,
    child_welfare: bool | None = None,
) -> list[ReferralRecord]:
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
    async with engine.connect() as conn:
        rows = (await conn.execute(query.limit(limit).offset(offset))).all()
    return [_record(row) for row in rows]
