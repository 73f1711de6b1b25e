"""What a county's side decides about a referral's responsible worker (vastuutyöntekijä):
pure rules, no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta

from silta_records.responsible_workers.naming import Naming
from silta_schemas.errors import RuleRefused
from silta_schemas.status import ReferralStatus
from silta_schemas.workers import ResponsibleWorkerChange, ResponsibleWorkerRequest

WORKING_STATUSES = frozenset(
    {ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS, ReferralStatus.ON_HOLD}
)
"""Statuses in which the county works on a referral and may name its responsible worker."""

NOT_IN_WORK = "responsible_worker.referral_not_in_work"


def check_may_name(status: ReferralStatus) -> None:
    """A responsible worker is named while the county works on the referral."""
    if status not in WORKING_STATUSES:
        raise RuleRefused(
            NOT_IN_WORK,
            f"the referral is {status.value.replace('_', ' ')}: a responsible worker is named "
            "only while the county works on it (accepted, in progress or on hold)",
            field="status",
        )


def check_directory_entry(
    entry_organisation: str | None, county: str, rules: str = "responsible_worker"
) -> None:
    """The named directory entry must be a live entry of the referral's county (``rules``:
    the prefix of the rules refused)."""
    if entry_organisation is None:
        raise RuleRefused(
            f"{rules}.directory_entry_unknown",
            "no such entry in the contact directory",
            field="directory_entry_id",
        )
    if entry_organisation != county:
        raise RuleRefused(
            f"{rules}.directory_entry_other_organisation",
            "the directory entry belongs to another organisation than the referral's county",
            field="directory_entry_id",
        )


def next_naming(
    previous: Naming | None, request: ResponsibleWorkerRequest, now: datetime
) -> Naming | None:
    """The naming ``request`` makes after ``previous``; None if it names the same again."""
    worker, entry = request.worker, request.directory_entry_id
    if previous is None:
        return Naming(now, ResponsibleWorkerChange.NAMED, worker, entry)
    if (previous.worker, previous.directory_entry_id) == (worker, entry):
        return None
    named_at = max(now, previous.named_at + timedelta(microseconds=1))  # a clock step back
    return Naming(named_at, ResponsibleWorkerChange.CHANGED, worker, entry)
