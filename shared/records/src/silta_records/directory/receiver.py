"""The other side's part of the directory, as it arrives over the bus."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from uuid import UUID

from silta_messaging.incoming import Incoming, Rejection
from silta_platform.handlers import payload_of
from silta_platform.unit_of_work import MessageHandler, UnitOfWork
from silta_schemas.directory import DirectoryUpdate
from sqlalchemy import Table

from silta_records.directory import rules, store
from silta_records.directory.table import live_row, tombstone


def directory_receiver(table: Table, *, recipient: str, own: frozenset[str]) -> MessageHandler:
    """The handler of the other side's directory updates addressed to ``recipient``.

    Rejected (parked): an update for another recipient, one about a part this side maintains
    itself (``own``: only its API changes that), and one touching an entry that another
    organisation than the sender maintains (``directory.wrong_owner``). Otherwise each entry
    is replaced and each removal applied only if newer than what is stored.
    """

    async def receive(work: UnitOfWork, messages: Sequence[Incoming]) -> Mapping[UUID, Rejection]:
        rejections: dict[UUID, Rejection] = {}
        updates: list[tuple[Incoming, DirectoryUpdate]] = []
        for message in messages:
            envelope, payload = message.envelope, payload_of(message, DirectoryUpdate)
            if envelope.recipient != recipient:
                rejections[envelope.message_id] = Rejection(
                    "directory.not_for_this_side", f"this side takes updates sent to {recipient}"
                )
            elif envelope.sender in own:
                rejections[envelope.message_id] = Rejection(
                    "directory.own_part", "this side maintains that part itself, over its API"
                )
            else:
                updates.append((message, payload))
        ids = sorted(
            {str(entry.entry_id) for _, payload in updates for entry in payload.entries}
            | {str(entry_id) for _, payload in updates for entry_id in payload.removed}
        )
        state = await store.stored(work.conn, table, ids)
        existing = set(state)
        applied = rules.Applied(live={}, removed={})
        for message, payload in updates:
            sender = message.envelope.sender
            if rules.touches_anothers_entry(payload, sender, state):
                rejections[message.envelope.message_id] = Rejection(
                    "directory.wrong_owner",
                    "an entry in this update is maintained by another organisation",
                )
            else:
                rules.apply(payload, sender, state, applied)
        now = datetime.now(UTC)
        rows = [live_row(entry, now) for entry in applied.live.values()]
        rows += [tombstone(key, org, at, now) for key, (org, at) in applied.removed.items()]
        await store.write(work.conn, table, rows, existing)
        return rejections

    return receive
