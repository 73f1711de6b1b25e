"""What a county's side answers its GET endpoints. Every read of personal data is accounted
for in the access log, in a unit of work of its own; ``counties`` is what the caller may see
(``api.scope``): anything else is not found."""

from __future__ import annotations

from uuid import UUID

from silta_platform.settings import ServiceSettings
from silta_platform.unit_of_work import Transactions
from silta_protection.access_log import Access, Actor
from silta_protection.encryption import cipher_of
from silta_records.views import ListQuery
from silta_schemas.errors import NotFound
from sqlalchemy.ext.asyncio import AsyncEngine

from municipality_side.db import referral_repository, statement_repository, worker_repository
from municipality_side.purposes import HANDLING_PURPOSE, STATEMENT_PURPOSE
from municipality_side.records import Namings, ReferralRecord, StatementRecord
from municipality_side.settings import MunicipalitySettings

Page = tuple[int, int]
"""How many items at most, after skipping how many."""


async def get_referral(
    transactions: Transactions,
    settings: MunicipalitySettings,
    referral_id: UUID,
    actor: Actor,
    counties: frozenset[str],
) -> ReferralRecord:
    """The referral, the notice decrypted; raises ``NotFound``."""
    async with transactions.engine.connect() as conn:
        # Whose it is reads nothing personal: another county's referral is not read at all.
        county = await referral_repository.county_of(conn, referral_id)
    if county not in counties:
        raise NotFound("referral")
    async with transactions.view() as work:
        record = await referral_repository.load(work.conn, cipher_of(settings), referral_id)
        if record is None:
            raise NotFound("referral")
        key = await referral_repository.client_key(work.conn, referral_id)
        work.account(
            Access(
                actor, "read", "referral", str(referral_id), key, HANDLING_PURPOSE, county=county
            )
        )
    return record


async def list_inbox(
    engine: AsyncEngine,
    counties: frozenset[str],
    query: ListQuery,
    child_welfare: bool | None,
    *,
    assigned_to: str | None = None,
    unassigned: bool | None = None,
) -> list[ReferralRecord]:
    """Referrals received for ``counties``, newest first (tracking data only)."""
    async with engine.connect() as conn:
        return await referral_repository.listed(
            conn,
            counties,
            status=query.status,
            limit=query.limit,
            offset=query.offset,
            overdue=query.overdue,
            child_welfare=child_welfare,
            assigned_to=assigned_to,
            unassigned=unassigned,
        )


async def get_namings(engine: AsyncEngine, referral_id: UUID, counties: frozenset[str]) -> Namings:
    """The referral's responsible workers (work contacts only); raises ``NotFound``."""
    async with engine.connect() as conn:
        county = await referral_repository.county_of(conn, referral_id)
        if county is None or county not in counties:
            raise NotFound("referral")
        return Namings(county, await worker_repository.namings(conn, referral_id))


async def get_statement(
    transactions: Transactions,
    settings: MunicipalitySettings,
    statement_id: UUID,
    actor: Actor,
    counties: frozenset[str],
) -> StatementRecord:
    """A statement ``counties`` sent, decrypted; raises ``NotFound``."""
    async with transactions.begin() as work:
        row = await statement_repository.visible(work.conn, statement_id, counties)
        if row is None:
            raise NotFound("statement")
        work.account(
            Access(
                actor,
                "read",
                "statement",
                row.statement_id,
                row.client_key,
                STATEMENT_PURPOSE,
                county=row.county_code,
            )
        )
    return statement_repository.statement_record(row, cipher_of(settings), content=True)


async def list_statements(
    engine: AsyncEngine,
    settings: ServiceSettings,
    counties: frozenset[str],
    received_by_kela: bool | None,
    page: Page,
) -> list[StatementRecord]:
    """Statements ``counties`` sent, newest first (tracking data only)."""
    cipher = cipher_of(settings)
    async with engine.connect() as conn:
        return await statement_repository.listed(conn, cipher, counties, received_by_kela, *page)
