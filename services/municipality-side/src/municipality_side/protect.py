"""Municipality side data protection commands (``python -m municipality_side.protect --help``)."""

from __future__ import annotations

import sys

from silta_protection.commands import run
from silta_records.kept_records import kept_records
from silta_records.record_columns import protected_tables

from municipality_side.db import cooperation, statements, tables
from municipality_side.settings import MunicipalitySettings

PROTECTED, RETENTION = protected_tables(
    tables, statements.STATEMENT_PAYLOAD, kept_records(cooperation, tables)
)


def organisation(settings: MunicipalitySettings) -> str:
    """Who keeps this deployment's message log: the counties it serves."""
    return ",".join(sorted(f"county-{code}" for code in settings.served_counties))


def main(argv: list[str] | None = None) -> int:
    settings = MunicipalitySettings()
    return run(argv, settings, PROTECTED, RETENTION, organisation(settings))


if __name__ == "__main__":
    sys.exit(main())
