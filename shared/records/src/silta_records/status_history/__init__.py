"""A referral's status history, kept in the same shape on both sides.

Every change is kept: who (organisation), when, what (status, event, outcome) and why.
``change`` is the pure value, ``table`` the table and the SQL.
"""

from silta_records.status_history.change import StatusChange
from silta_records.status_history.table import (
    HISTORY,
    add_changes,
    add_referrals,
    add_status_history,
    history_reason,
    load_history,
)

__all__ = [
    "HISTORY",
    "StatusChange",
    "add_changes",
    "add_referrals",
    "add_status_history",
    "history_reason",
    "load_history",
]
