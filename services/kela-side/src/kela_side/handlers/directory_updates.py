"""The counties' updates of their part of the contact directory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from silta_messaging.consumer import Incoming, Rejection
from silta_platform.unit_of_work import UnitOfWork
from silta_records.directory import directory_receiver
from silta_schemas.parties import KELA

from kela_side.db.tables import directory_entries

KELA_PART = frozenset({KELA})
"""The part of the contact directory this side maintains (over its API)."""

_receive = directory_receiver(directory_entries, recipient=KELA, own=KELA_PART)


async def receive_directory_updates(
    work: UnitOfWork, messages: Sequence[Incoming]
) -> Mapping[UUID, Rejection]:
    """Replace each entry, apply each removal, if newer than what Kela holds (see
    ``silta_records.directory.directory_receiver`` for what is parked)."""
    return await _receive(work.conn, messages)
