"""The contact directory: named cooperation contacts, the catalogue of Kela's special services,
and the update each side sends of its own part.

The public place for them: the entries and the catalogue (`directory_entries`) and the kind
(`kinds.directory_update`).
"""

from silta_schemas.directory_entries import (
    KELA_SERVICE_CATALOGUE,
    MAX_CHANNELS,
    MAX_TOPICS,
    ChannelType,
    ContactChannel,
    DirectoryEntry,
    DirectoryEntryRequest,
    KelaService,
    KelaServiceDescription,
)
from silta_schemas.kinds.directory_update import (
    MAX_UPDATE_ENTRIES,
    MAX_UPDATE_REMOVED,
    DirectoryUpdate,
)

__all__ = [
    "KELA_SERVICE_CATALOGUE",
    "MAX_CHANNELS",
    "MAX_TOPICS",
    "MAX_UPDATE_ENTRIES",
    "MAX_UPDATE_REMOVED",
    "ChannelType",
    "ContactChannel",
    "DirectoryEntry",
    "DirectoryEntryRequest",
    "DirectoryUpdate",
    "KelaService",
    "KelaServiceDescription",
]
