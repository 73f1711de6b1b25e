"""The contact directory, the same on both sides.

Each side maintains its own part over its API (Kela its teams; a municipality-side deployment
the units of the counties it serves) and receives the other side's part over the bus as
``directory_update`` messages. Everything here is work contact data, never client data.
``table`` defines the table, ``rules`` decides without I/O, ``store`` holds the SQL,
``own_part`` and ``receiver`` are the handlers, ``api`` the routes.
"""

from silta_records.directory.api import directory_router
from silta_records.directory.own_part import put_own_entry, remove_own_entry
from silta_records.directory.receiver import directory_receiver
from silta_records.directory.store import DirectoryQuery, get_entry, search_entries
from silta_records.directory.table import (
    DIRECTORY,
    add_directory_entries,
)

__all__ = [
    "DIRECTORY",
    "DirectoryQuery",
    "add_directory_entries",
    "directory_receiver",
    "directory_router",
    "get_entry",
    "put_own_entry",
    "remove_own_entry",
    "search_entries",
]
