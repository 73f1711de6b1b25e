"""The directory's rules, without I/O: who may change an entry, and which change wins.

A change is applied only if it is newer than what is stored (``updated_at`` per entry); a
removal leaves a tombstone, so that an older change arriving late cannot bring the entry
back. An entry belongs to one organisation for good: only it changes the entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from silta_schemas.directory import DirectoryEntry, DirectoryEntryRequest, DirectoryUpdate
from silta_schemas.errors import RuleRefused

ONE_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Stored:
    """What is stored of one entry: whose it is, when it last changed, whether removed."""

    organisation: str
    updated_at: datetime
    removed: bool


def may_edit(organisation: str, editable: frozenset[str]) -> None:
    """This side (and this caller) maintains ``organisation``'s part, or RuleRefused."""
    if organisation not in editable:
        maintained = ", ".join(sorted(editable))
        raise RuleRefused(
            "directory.not_maintained_here",
            f"organisation must be one of: {maintained}",
            field="organisation",
        )


def owned_by(current: Stored | None, organisation: str) -> None:
    """The entry id is free or already ``organisation``'s, or RuleRefused."""
    if current is not None and current.organisation != organisation:
        raise RuleRefused(
            "directory.maintained_elsewhere",
            f"this entry is maintained by {current.organisation}: only that side changes it",
        )


def unchanged(previous: DirectoryEntry, request: DirectoryEntryRequest) -> bool:
    """An identical PUT changes nothing and sends nothing."""
    return previous.model_dump(exclude={"entry_id", "updated_at"}) == request.model_dump()


def change_time(now: datetime, current: Stored | None) -> datetime:
    """When an own change happens: now, or just after the stored one if the clock stepped
    back, so that the change still wins everywhere."""
    if current is not None and now <= current.updated_at:
        return current.updated_at + ONE_TICK
    return now


@dataclass
class Applied:
    """What a batch of the other side's updates changes: entries to write as live or as
    tombstones (by id, last writer wins), and the ids they touch that were stored before."""

    live: dict[str, DirectoryEntry]
    removed: dict[str, tuple[str, datetime]]


def touches_anothers_entry(
    update: DirectoryUpdate, sender: str, state: Mapping[str, Stored]
) -> bool:
    """An update may only touch its sender's entries (``directory.wrong_owner``)."""
    touched = [str(e.entry_id) for e in update.entries] + [str(i) for i in update.removed]
    return any(key in state and state[key].organisation != sender for key in touched)


def apply(update: DirectoryUpdate, sender: str, state: dict[str, Stored], into: Applied) -> None:
    """Fold ``update`` into ``state`` (what is stored, as the batch goes) and ``into``: an
    entry is replaced only by a newer one, a removal applies unless a newer change exists."""
    for entry in update.entries:
        key = str(entry.entry_id)
        current = state.get(key)
        if current is None or entry.updated_at > current.updated_at:
            state[key] = Stored(sender, entry.updated_at, removed=False)
            into.live[key] = entry
            into.removed.pop(key, None)
    for entry_id in update.removed:
        key = str(entry_id)
        current = state.get(key)
        if current is None or (not current.removed and update.changed_at >= current.updated_at):
            state[key] = Stored(sender, update.changed_at, removed=True)
            into.removed[key] = (sender, update.changed_at)
            into.live.pop(key, None)
