"""One client's part of Kela's database, for the officer's view of the client's cooperation
with the counties: SQL over the caller's connection."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncConnection

from kela_side.db.referral_repository import referral_record, summary_query
from kela_side.db.tables import OPEN_STATUSES, referrals
from kela_side.records import ReferralRecord


async def referrals_of(
    conn: AsyncConnection, client_key: str, since: datetime, *, limit: int
) -> list[ReferralRecord]:
    """The client's referrals that are open or changed since ``since``; newest first, without
    their histories (``ix_referrals_client`` finds them)."""
    query = (
        summary_query()
        .where(
            referrals.c.client_key == client_key,
            or_(referrals.c.status.in_(OPEN_STATUSES), referrals.c.updated_at >= since),
        )
        .order_by(referrals.c.created_at.desc(), referrals.c.id)
        .limit(limit)
    )
    return [referral_record(row) for row in (await conn.execute(query)).all()]
