"""What Kela's side answers its GET endpoints and searches. Every read of personal data is
accounted for in the access log, in a unit of work of its own."""

from __future__ import annotations

from uuid import UUID

from silta_platform.settings import ServiceSettings
from silta_platform.unit_of_work import Transactions
from silta_protection.access_log import Access, Actor
from silta_protection.encryption import cipher_of, client_key_of
from silta_records.directory import get_entry
from silta_records.responsible_workers import ResponsibleWorkerView, load_namings
from silta_records.views import ListQuery
from silta_schemas.errors import NotFound
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from kela_side.db import referral_repository, statement_repository
from kela_side.db.statements import responsible_workers
from kela_side.db.tables import directory_entries
from kela_side.purposes import DECISION_PURPOSE, TRACK_PURPOSE
from kela_side.records import ReferralRecord, StatementRecord
from kela_side.settings import KelaSettings


async def get_referral(
    transactions: Transactions, settings: ServiceSettings, referral_id: UUID, actor: Actor
) -> tuple[ReferralRecord, ResponsibleWorkerView | None]:
    """The referral's tracking record and the responsible worker its county named last, as of
    one moment; raises ``NotFound``."""
    async with transactions.view() as work:
        record = await referral_repository.load(work.conn, referral_id, cipher_of(settings))
        if record is None:
            raise NotFound("referral")
        worker = await responsible_worker_on(work.conn, referral_id, record.recipient)
        key = await referral_repository.client_key(work.conn, referral_id)
        work.account(Access(actor, "read", "referral", str(referral_id), key, TRACK_PURPOSE))
    return record, worker


async def list_referrals(engine: AsyncEngine, page: ListQuery) -> list[ReferralRecord]:
    """Referrals sent, newest first (tracking data only: nothing personal)."""
    async with engine.connect() as conn:
        return await referral_repository.listed(conn, page)


async def responsible_worker_on(
    conn: AsyncConnection, referral_id: UUID, recipient: str
) -> ResponsibleWorkerView | None:
    """The worker the county ``recipient`` named last for the referral, with their directory
    entry where Kela holds it (read over the caller's connection)."""
    namings = await load_namings(conn, responsible_workers, referral_id)
    if not namings:
        return None
    current = namings[-1]
    entry = None
    if current.directory_entry_id is not None:
        entry = await get_entry(conn, directory_entries, current.directory_entry_id)
        if entry is not None and entry.organisation != recipient:
            entry = None  # only the county's own part of the directory describes its workers
    return ResponsibleWorkerView(
        named_at=current.named_at,
        change=current.change,
        worker=current.worker,
        directory_entry_id=current.directory_entry_id,
        directory_entry=entry,
    )


async def search_statements(
    transactions: Transactions,
    settings: KelaSettings,
    identity_code: str,
    actor: Actor,
    *,
    limit: int,
    offset: int,
) -> list[StatementRecord]:
    """One client's statements, newest first; each read (or the empty search) is logged."""
    key = client_key_of(settings, identity_code)
    async with transactions.begin() as work:
        rows = await statement_repository.of_client(work.conn, key, limit=limit, offset=offset)
        work.account(
            *[
                Access(actor, "read", "statement", row.statement_id, key, DECISION_PURPOSE)
                for row in rows
            ]
            or [Access(actor, "search", "statement", None, key, DECISION_PURPOSE)]
        )
    cipher = cipher_of(settings)
    return [statement_repository.statement_record(row, cipher) for row in rows]


async def get_statement(
    transactions: Transactions, settings: KelaSettings, statement_id: UUID, actor: Actor
) -> StatementRecord:
    """One statement; raises ``NotFound``."""
    async with transactions.begin() as work:
        row = await statement_repository.by_id(work.conn, statement_id)
        if row is None:
            raise NotFound("statement")
        work.account(
            Access(actor, "read", "statement", row.statement_id, row.client_key, DECISION_PURPOSE)
        )
    return statement_repository.statement_record(row, cipher_of(settings))
