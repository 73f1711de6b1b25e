"""Kela's referrals as the counties' status acknowledgements change them: read to check a
batch, its changes added to the history, the newest made each referral's status. SQL over the
caller's connection; the statements are built once (a statement reused keeps its SQLAlchemy
cache key, and building and keying one anew cost more than SQLite running it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from uuid import UUID

from silta_protection.encryption import DataCipher
from silta_records.status_history import StatusChange, add_changes
from silta_schemas.codes import MessageKind
from silta_schemas.status import ReferralStatus, StatusAcknowledgement
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kela_side.db.tables import referrals, status_history
from kela_side.domain.referrals import Tracked, TrackedReferral

_TRACKED = select(
    referrals.c.id,
    referrals.c.recipient,
    referrals.c.status,
    referrals.c.status_sequence,
    referrals.c.client_key,
    referrals.c.kind,
    referrals.c.county_code,
).where(referrals.c.id.in_(bindparam("ids", expanding=True)))


async def tracked(conn: AsyncConnection, ids: Iterable[UUID]) -> Tracked:
    """The referrals among ``ids`` as acknowledgements are checked against them."""
    wanted = sorted({str(referral_id) for referral_id in ids})
    result = Tracked({}, {}, {})
    for row in await conn.execute(_TRACKED, {"ids": wanted}):
        referral_id = UUID(row.id)
        result.referrals[referral_id] = TrackedReferral(
            row.recipient, ReferralStatus(row.status), row.status_sequence, MessageKind(row.kind)
        )
        result.client_keys[referral_id] = row.client_key
        result.counties_and_kinds[row.id] = (row.county_code, row.kind)
    return result


_CHANGES_OF = select(status_history.c.referral_id, status_history.c.sequence).where(
    status_history.c.referral_id.in_(bindparam("ids", expanding=True))
)


async def recorded_changes(
    conn: AsyncConnection, changes: Iterable[tuple[UUID, int]]
) -> set[tuple[UUID, int]]:
    """Which of these ``(referral id, sequence)`` changes the history holds already."""
    wanted = set(changes)
    # By referral id, then the pairs: SQLite answers a row-value ``IN`` by scanning the whole
    # history, which grows with every referral; the key's first column finds the few rows.
    ids = sorted({str(referral_id) for referral_id, _ in wanted})
    rows = await conn.execute(_CHANGES_OF, {"ids": ids})
    return {(UUID(row.referral_id), row.sequence) for row in rows} & wanted


async def add_history(
    conn: AsyncConnection,
    cipher: DataCipher,
    acks: Sequence[StatusAcknowledgement],
    counties_and_kinds: Mapping[str, tuple[str, str]] | None = None,
) -> None:
    """Add the counties' acknowledged changes to their referrals' histories."""
    rows = [StatusChange.from_acknowledgement(ack).row(ack.referral_id) for ack in acks]
    await add_changes(conn, status_history, cipher, rows, counties_and_kinds)


_ADVANCE = (
    update(referrals)
    .where(referrals.c.id == bindparam("referral_id"))
    .values(
        status=bindparam("new_status"),
        status_sequence=bindparam("new_sequence"),
        updated_at=bindparam("changed_at"),
    )
)


async def advance(conn: AsyncConnection, changes: Mapping[UUID, StatusAcknowledgement]) -> None:
    """Make each referral's acknowledged change its current status."""
    if not changes:
        return
    await conn.execute(
        _ADVANCE,
        [
            {
                "referral_id": str(referral_id),
                "new_status": ack.status,
                "new_sequence": ack.sequence,
                "changed_at": ack.changed_at,
            }
            for referral_id, ack in changes.items()
        ],
    )
