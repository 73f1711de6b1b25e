"""The counties' updates of their part of the contact directory (what is parked and why:
``silta_records.directory.receiver``)."""

from __future__ import annotations

from silta_records.directory import directory_receiver
from silta_schemas.parties import KELA

from kela_side.db.tables import directory_entries

KELA_PART = frozenset({KELA})
"""The part of the contact directory this side maintains (over its API)."""

receive_directory_updates = directory_receiver(directory_entries, recipient=KELA, own=KELA_PART)
