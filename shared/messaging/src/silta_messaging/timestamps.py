"""Timestamps stored as UTC on both databases.

SQLite has no time zone type: SQLAlchemy's ``DateTime`` there writes an aware datetime's
wall-clock time and drops its offset, so ``23:59:59+02:00`` came back as ``23:59:59Z``, two
hours late. Every timestamp column uses :class:`UtcDateTime`, which converts to UTC before
it is written and reads back an aware UTC datetime, on SQLite and PostgreSQL alike. It
lives here, in the lowest package that speaks SQL, so every table can use it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """``UtcDateTime()`` that stores the UTC instant and reads it back as UTC.

    A naive datetime is refused: its instant is unknown, and guessing is how times go wrong.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a naive datetime has no instant; give it a time zone")
        utc = value.astimezone(UTC)
        # SQLite stores text without an offset: write the UTC wall clock.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
