"""Worklists: which county worker a referral is assigned to. Pure rules, no I/O.

The worker is named as the county's identity provider names them (the ``sub`` of their
token), so that "assigned to me" is the caller's own subject; a directory entry, if given,
must be one of the referral's county (a worker of its own unit). Assignments stay on the
county's side: Kela learns a worker only as the responsible worker.
"""

from __future__ import annotations

from silta_schemas.errors import RuleRefused
from silta_schemas.lifecycle import is_open
from silta_schemas.status import ReferralStatus

CLOSED = "assignment.referral_closed"


def check_may_assign(status: ReferralStatus) -> None:
    """Only an open referral is on anybody's worklist."""
    if not is_open(status):
        raise RuleRefused(
            CLOSED,
            f"the referral is {status.value.replace('_', ' ')}: only an open referral is "
            "assigned to a worker",
            field="status",
        )
