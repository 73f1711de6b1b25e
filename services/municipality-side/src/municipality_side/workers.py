"""Municipality side service layer for a referral's responsible worker (vastuutyöntekijä).

Naming (or changing) the responsible worker is one transaction: the naming joins the
referral's history of namings and is announced to Kela through the outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from silta_messaging.outbox import OutboxEntry, add_to_outbox
from silta_messaging.topology import COUNTY_EXCHANGE, routing_key
from silta_records.responsible_workers import Naming, load_namings
from silta_schemas.envelope import seal
from silta_schemas.parties import KELA, county_organisation
from silta_schemas.status import ReferralStatus
from silta_schemas.workers import ResponsibleWorkerRequest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from municipality_side.db.statements import responsible_workers
from municipality_side.db.tables import directory_entries, messaging, referrals
from municipality_side.domain.statements import check_directory_entry, check_may_name, next_naming


class ReferralNotFound(Exception):
    pass


@dataclass(frozen=True)
class Namings:
    """A referral's responsible workers: every naming, oldest first."""

    county_code: str
    history: Sequence[Naming]

    @property
    def current(self) -> Naming | None:
        return self.history[-1] if self.history else None


async def name_responsible_worker(
    engine: AsyncEngine, referral_id: UUID, request: ResponsibleWorkerRequest
) -> tuple[Namings, bool, bool]:
    """Name (or change) the referral's responsible worker and tell Kela in one transaction.

    Returns the namings, whether this was the first and whether anything changed (naming the
    same worker again changes nothing and sends nothing). Raises ``ReferralNotFound`` or
    ``Refused``.
    """
    async with engine.begin() as conn:
        query = select(referrals.c.county_code, referrals.c.status).where(
            referrals.c.id == str(referral_id)
        )
        if engine.dialect.name == "postgresql":
            query = query.with_for_update()  # one naming at a time per referral
        referral = (await conn.execute(query)).first()
        if referral is None:
            raise ReferralNotFound(referral_id)
        county = county_organisation(referral.county_code)
        check_may_name(ReferralStatus(referral.status))
        if request.directory_entry_id is not None:
            entry = (
                await conn.execute(
                    select(directory_entries.c.organisation).where(
                        directory_entries.c.entry_id == str(request.directory_entry_id),
                        directory_entries.c.removed.is_(False),
                    )
                )
            ).scalar_one_or_none()
            check_directory_entry(entry, county)
        history = list(await load_namings(conn, responsible_workers, referral_id))
        previous = history[-1] if history else None
        naming = next_naming(previous, request, datetime.now(UTC))
        if naming is None:
            return Namings(referral.county_code, history), False, False
        await conn.execute(
            responsible_workers.insert().values(naming.row(referral_id, datetime.now(UTC)))
        )
        envelope = seal(naming.payload(), sender=county, recipient=KELA, referral_id=referral_id)
        kind = envelope.kind.value
        entry_ = OutboxEntry(envelope, COUNTY_EXCHANGE, routing_key(kind, referral.county_code))
        await add_to_outbox(conn, messaging.outbox, [entry_])
    return Namings(referral.county_code, [*history, naming]), previous is None, True


async def get_namings(engine: AsyncEngine, referral_id: UUID) -> Namings | None:
    async with engine.connect() as conn:
        county = (
            await conn.execute(
                select(referrals.c.county_code).where(referrals.c.id == str(referral_id))
            )
        ).scalar_one_or_none()
        if county is None:
            return None
        return Namings(county, await load_namings(conn, responsible_workers, referral_id))
