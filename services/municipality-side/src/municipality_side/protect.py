"""Municipality side data protection commands.

``python -m municipality_side.protect reencrypt|verify-access-log|purge|verify-message-log``,
``python -m municipality_side.protect export-evidence --referral ID``
"""

from __future__ import annotations

import sys

from silta_protection.commands import run
from silta_protection.encryption import ProtectedField
from silta_protection.retention import RetentionTables

from municipality_side.db import tables
from municipality_side.db.statements import STATEMENT_CODE
from municipality_side.settings import MunicipalitySettings

PROTECTED: dict[str, ProtectedField] = {
    "referrals": tables.REFERRAL_CODE,
    "statements": STATEMENT_CODE,
}
"""Every place this side stores an identity code (encrypted)."""

RETENTION = RetentionTables(
    tables.referrals, tables.messaging.outbox, tables.access_log, tables.message_log
)


def organisation(settings: MunicipalitySettings) -> str:
    """Who keeps this deployment's message log: the counties it serves."""
    return ",".join(sorted(f"county-{code}" for code in settings.served_counties))


def main(argv: list[str] | None = None) -> int:
    settings = MunicipalitySettings()
    return run(argv, settings, PROTECTED, RETENTION, organisation(settings))


if __name__ == "__main__":
    sys.exit(main())
