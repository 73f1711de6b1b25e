"""This side's own part of the directory: create, replace and remove its entries over the
API, each change announced to the other side in the same unit of work."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from silta_messaging.outbox import OutboxEntry
from silta_platform.unit_of_work import Transactions, UnitOfWork
from silta_schemas.directory import DirectoryEntry, DirectoryEntryRequest, DirectoryUpdate
from silta_schemas.envelope import ALL_COUNTIES, seal
from silta_schemas.errors import NotFound
from silta_schemas.parties import KELA
from sqlalchemy import Table, exc

from silta_records.directory import rules, store
from silta_records.directory.table import live_row, tombstone


def _announce(update: DirectoryUpdate, organisation: str) -> OutboxEntry:
    """The bus message telling the other side of a change to ``organisation``'s part."""
    recipient = ALL_COUNTIES if organisation == KELA else KELA
    return OutboxEntry.addressed(seal(update, sender=organisation, recipient=recipient))


async def put_own_entry(
    transactions: Transactions,
    table: Table,
    entry_id: UUID,
    request: DirectoryEntryRequest,
    *,
    editable: frozenset[str],
) -> tuple[DirectoryEntry, bool, bool]:
    """Create or replace one of this side's entries and announce it in the same transaction.

    Returns the entry, whether it was created, and whether anything changed (an identical
    PUT changes nothing and sends nothing). Raises RuleRefused
    (``directory.not_maintained_here``, ``directory.maintained_elsewhere``).
    """
    rules.may_edit(request.organisation, editable)
    try:
        async with transactions.begin() as work:
            return await _put(work, table, entry_id, request)
    except exc.IntegrityError:  # a concurrent PUT created the same entry first: once more
        async with transactions.begin() as work:
            return await _put(work, table, entry_id, request)


async def _put(
    work: UnitOfWork, table: Table, entry_id: UUID, request: DirectoryEntryRequest
) -> tuple[DirectoryEntry, bool, bool]:
    key = str(entry_id)
    current = (await store.stored(work.conn, table, [key], lock=True)).get(key)
    rules.owned_by(current, request.organisation)
    if current is not None and not current.removed:
        previous = await store.stored_entry(work.conn, table, key)
        if rules.unchanged(previous, request):
            return previous, False, False
    now = datetime.now(UTC)
    changed_at = rules.change_time(now, current)
    entry = DirectoryEntry.model_validate(
        {**request.model_dump(), "entry_id": entry_id, "updated_at": changed_at}
    )
    await store.write(work.conn, table, [live_row(entry, now)], {key} if current else set())
    message = DirectoryUpdate(kind="directory_update", entries=(entry,), changed_at=changed_at)
    work.announce(_announce(message, entry.organisation))
    return entry, current is None or current.removed, True


async def remove_own_entry(
    transactions: Transactions, table: Table, entry_id: UUID, *, editable: frozenset[str]
) -> None:
    """Remove one of this side's entries and announce it in the same transaction.

    Raises NotFound, or RuleRefused (``directory.maintained_elsewhere``).
    """
    async with transactions.begin() as work:
        key = str(entry_id)
        current = (await store.stored(work.conn, table, [key], lock=True)).get(key)
        if current is None or current.removed:
            raise NotFound("directory entry")
        if current.organisation not in editable:
            rules.owned_by(current, "")  # refused: maintained by another organisation
        now = datetime.now(UTC)
        changed_at = max(now, current.updated_at + rules.ONE_TICK)
        row = tombstone(key, current.organisation, changed_at, now)
        await store.write(work.conn, table, [row], {key})
        message = DirectoryUpdate(
            kind="directory_update", removed=(entry_id,), changed_at=changed_at
        )
        work.announce(_announce(message, current.organisation))
