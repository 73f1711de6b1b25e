"""Municipality side data protection commands.

``python -m municipality_side.protect reencrypt|verify-access-log|purge|verify-message-log``,
``python -m municipality_side.protect export-evidence --referral ID``
"""

from __future__ import annotations

import sys

from silta_protection.commands import run
from silta_protection.encryption import SealedColumn, outbox_body
from silta_protection.retention import RetentionTables
from silta_records.status_history import history_reason

from municipality_side.db.statements import STATEMENT_PAYLOAD
from municipality_side.db.tables import (
    REFERRAL_PAYLOAD,
    access_log,
    message_log,
    messaging,
    referrals,
    status_history,
)
from municipality_side.settings import MunicipalitySettings

PROTECTED: dict[str, SealedColumn] = {
    "referrals": REFERRAL_PAYLOAD,
    "statements": STATEMENT_PAYLOAD,
    "outbox": outbox_body(messaging.outbox),
    "history_reasons": history_reason(status_history),
}
"""Every column where this side stores client content (sealed): what ``reencrypt`` rewrites."""

RETENTION = RetentionTables(referrals, messaging.outbox, access_log, message_log)


def organisation(settings: MunicipalitySettings) -> str:
    """Who keeps this deployment's message log: the counties it serves."""
    return ",".join(sorted(f"county-{code}" for code in settings.served_counties))


def main(argv: list[str] | None = None) -> int:
    settings = MunicipalitySettings()
    return run(argv, settings, PROTECTED, RETENTION, organisation(settings))


if __name__ == "__main__":
    sys.exit(main())
