"""Kela side data protection commands.

``python -m kela_side.protect reencrypt|verify-access-log|purge|verify-message-log``,
``python -m kela_side.protect export-evidence --referral ID``
"""

from __future__ import annotations

import sys

from silta_protection.commands import run
from silta_protection.encryption import SealedColumn, outbox_body
from silta_protection.retention import RetentionTables
from silta_records.status_history import history_reason

from kela_side.db.statements import STATEMENT_PAYLOAD
from kela_side.db.tables import (
    CANCELLATION_REASON,
    NEW_REFERRAL_REASON,
    REFERRAL_PAYLOAD,
    access_log,
    message_log,
    messaging,
    referrals,
    status_history,
)
from kela_side.settings import KelaSettings

PROTECTED: dict[str, SealedColumn] = {
    "referrals": REFERRAL_PAYLOAD,
    "statements": STATEMENT_PAYLOAD,
    "outbox": outbox_body(messaging.outbox),
    "new_referral_reasons": NEW_REFERRAL_REASON,
    "cancellation_reasons": CANCELLATION_REASON,
    "history_reasons": history_reason(status_history),
}
"""Every column where this side stores client content (sealed): what ``reencrypt`` rewrites."""

RETENTION = RetentionTables(referrals, messaging.outbox, access_log, message_log)


def main(argv: list[str] | None = None) -> int:
    settings = KelaSettings()
    return run(argv, settings, PROTECTED, RETENTION, "kela")


if __name__ == "__main__":
    sys.exit(main())
