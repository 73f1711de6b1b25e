"""Kela side data protection commands.

``python -m kela_side.protect reencrypt|verify-access-log|purge|verify-message-log``,
``python -m kela_side.protect export-evidence --referral ID``
"""

from __future__ import annotations

import sys

from silta_protection.commands import run
from silta_protection.encryption import ProtectedField
from silta_protection.retention import RetentionTables

from kela_side.db import tables
from kela_side.db.statements import STATEMENT_CODE
from kela_side.settings import KelaSettings

PROTECTED: dict[str, ProtectedField] = {
    "referrals": tables.REFERRAL_CODE,
    "statements": STATEMENT_CODE,
}
"""Every place this side stores an identity code (encrypted)."""

RETENTION = RetentionTables(
    tables.referrals, tables.messaging.outbox, tables.access_log, tables.message_log
)


def main(argv: list[str] | None = None) -> int:
    settings = KelaSettings()
    return run(argv, settings, PROTECTED, RETENTION, "kela")


if __name__ == "__main__":
    sys.exit(main())
