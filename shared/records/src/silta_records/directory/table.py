"""The contact directory's table, the same on both sides, and how an entry becomes a row."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from silta_messaging.timestamps import UtcDateTime
from silta_schemas.directory import DirectoryEntry
from silta_schemas.routing import COUNTY_NAMES
from sqlalchemy import JSON, Boolean, Column, Index, MetaData, String, Table, Text

DIRECTORY = "directory_entries"


def add_directory_entries(metadata: MetaData) -> Table:
    """Define the directory table on a service's ``metadata``."""
    return Table(
        DIRECTORY,
        metadata,
        Column("entry_id", String(36), primary_key=True),
        Column("organisation", String(20), nullable=False),
        Column("county_code", String(2), nullable=True),
        # `,service_a,service_b,`: searched with LIKE on SQLite and PostgreSQL alike.
        Column("services", String(200), nullable=False),
        # Casefolded in Python: SQLite's lower() knows no ä or ö.
        Column("search_text", Text, nullable=False),
        Column("entry", JSON(none_as_null=True), nullable=True),
        Column("removed", Boolean, nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
        Column("stored_at", UtcDateTime(), nullable=False),
        Index("ix_directory_entries_organisation", "organisation"),
        Index("ix_directory_entries_county", "county_code"),
    )


def live_row(entry: DirectoryEntry, now: datetime) -> dict[str, Any]:
    county_name = COUNTY_NAMES.get(entry.county_code or "", "")
    words = [
        entry.unit,
        entry.person_name or "",
        entry.role,
        *entry.topics,
        entry.description or "",
        county_name,
    ]
    return {
        "entry_id": str(entry.entry_id),
        "organisation": entry.organisation,
        "county_code": entry.county_code,
        "services": "".join(f",{service}" for service in entry.services) + ",",
        "search_text": "\n".join(word for word in words if word).casefold(),
        "entry": entry.model_dump(mode="json"),
        "removed": False,
        "updated_at": entry.updated_at,
        "stored_at": now,
    }


def tombstone(
    entry_id: UUID | str, organisation: str, when: datetime, now: datetime
) -> dict[str, Any]:
    return {
        "entry_id": str(entry_id),
        "organisation": organisation,
        "county_code": None,
        "services": ",",
        "search_text": "",
        "entry": None,
        "removed": True,
        "updated_at": when,
        "stored_at": now,
    }
