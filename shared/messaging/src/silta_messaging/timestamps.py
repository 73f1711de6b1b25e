"""Timestamps stored as UTC on both databases.

SQLite has no time zone type: SQLAlchemy's ``DateTime`` there writes an aware datetime's
wall-clock time and drops its offset, so ``23:59:59+02:00`` came back as ``23:59:59Z``, two
hours late. Every timestamp column uses :class:`UtcDateTime`, which converts to UTC before
it is written and reads back an aware UTC datetime, on SQLite and PostgreSQL alike. It
lives here, in the lowest package that speaks SQL, so every table can use it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

_SQLITE_TEXT = len("2026-12-05 08:00:00.000000")
"""``YYYY-MM-DD HH:MM:SS.ffffff``: SQLAlchemy's SQLite ``DATETIME`` storage format."""


class UtcDateTime(TypeDecorator[datetime]):
    """``UtcDateTime()`` that stores the UTC instant and reads it back as UTC.

    A naive datetime is refused: its instant is unknown, and guessing is how times go wrong.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """The UTC instant of ``value``; a naive datetime is refused."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a naive datetime has no instant; give it a time zone")
        return value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        instant = self.process_bind_param

        # SQLite stores text without an offset: the UTC wall clock, written by ``isoformat``
        # (in C) as the same text SQLAlchemy's DATETIME writes with its ``%``-template
        # (microseconds always, no offset once cut), in one call instead of two Python steps
        # (3-5 % of a side's CPU in the benchmark's batch).
        def to_utc_text(value: datetime | None) -> str | None:
            utc = instant(value, dialect)
            return None if utc is None else utc.isoformat(" ", "microseconds")[:_SQLITE_TEXT]

        return to_utc_text

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
