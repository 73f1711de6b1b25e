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

# The referrals and, joined, the sequences their histories hold: one statement (a round trip
# on PostgreSQL) where two were asked in turn. A referral has a few changes; the join finds
# them by the history's (referral_id, sequence) key.
_TRACKED = (
    select(
        referrals.c.id,
        referrals.c.recipient,
        referrals.c.status,
        referrals.c.status_sequence,
        referrals.c.client_key,
        referrals.c.kind,
        referrals.c.county_code,
        status_history.c.sequence.label("recorded_sequence"),
    )
    .select_from(
        referrals.outerjoin(status_history, status_history.c.referral_id == referrals.c.id)
    )
    .where(referrals.c.id.in_(bindparam("ids", expanding=True)))
)


async def tracked(
    conn: AsyncConnection, changes: Iterable[tuple[UUID, int]]
) -> tuple[Tracked, set[tuple[UUID, int]]]:
    """The referrals an acknowledgement batch names (``changes``: referral id and sequence
    of each), as they are checked, and which of those changes their histories hold already."""
    wanted = set(changes)
    ids = sorted({str(referral_id) for referral_id, _ in wanted})
    result = Tracked({}, {}, {})
    recorded: set[tuple[UUID, int]] = set()
    for row in await conn.execute(_TRACKED, {"ids": ids}):
        referral_id = UUID(row.id)
        if row.recorded_sequence is not None:
            recorded.add((referral_id, row.recorded_sequence))
        if referral_id in result.referrals:
            continue
        result.referrals[referral_id] = TrackedReferral(
            row.recipient, ReferralStatus(row.status), row.status_sequence, MessageKind(row.kind)
        )
        result.client_keys[referral_id] = row.client_key
        result.counties_and_kinds[row.id] = (row.county_code, row.kind)
    return result, recorded & wanted


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
