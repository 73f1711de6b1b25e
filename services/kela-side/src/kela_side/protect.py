"""Kela side data protection commands (``python -m kela_side.protect --help``)."""

from __future__ import annotations

import sys

from silta_protection.commands import run
from silta_records.kept_records import kept_records
from silta_records.record_columns import protected_tables

from kela_side.db import cooperation, statements, tables
from kela_side.settings import KelaSettings

PROTECTED, RETENTION = protected_tables(
    tables,
    statements.STATEMENT_PAYLOAD,
    kept_records(cooperation, tables),
    new_referral_reasons=tables.NEW_REFERRAL_REASON,
    cancellation_reasons=tables.CANCELLATION_REASON,
)


def main(argv: list[str] | None = None) -> int:
    settings = KelaSettings()
    return run(argv, settings, PROTECTED, RETENTION, "kela")


if __name__ == "__main__":
    sys.exit(main())
