"""What a county's side decides about statements and responsible workers: pure rules, no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta

from silta_records.responsible_workers.naming import Naming
from silta_schemas.status import ReferralStatus
from silta_schemas.workers import ResponsibleWorkerChange, ResponsibleWorkerRequest

WORKING_STATUSES = frozenset({ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS})
"""Statuses in which the county works on a referral and may name its responsible worker."""


class Refused(Exception):
    """A request this side refuses; ``rule`` names the rule, ``field`` the offending field."""

    def __init__(self, rule: str, field: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.field = field
        self.message = message


def check_county_served(county_code: str, served: frozenset[str]) -> None:
    if county_code not in served:
        raise Refused(
            "statement.county_not_served",
            "county_code",
            "this deployment does not serve that county: a statement is sent by the county's "
            "own deployment",
        )


def check_statement_referral(referral_county: str | None, county_code: str) -> None:
    """A statement may name only a referral Kela sent to the county giving the statement."""
    if referral_county is None:
        raise Refused(
            "statement.referral_unknown", "referral_id", "no such referral at this county"
        )
    if referral_county != county_code:
        raise Refused(
            "statement.referral_other_county",
            "referral_id",
            "the referral was sent to another county than the one giving the statement",
        )


def check_may_name(status: ReferralStatus) -> None:
    """A responsible worker is named while the county works on the referral."""
    if status not in WORKING_STATUSES:
        raise Refused(
            "responsible_worker.referral_not_in_work",
            "status",
            f"the referral is {status.value.replace('_', ' ')}: a responsible worker is named "
            "only while the county works on it (accepted or in progress)",
        )


def check_directory_entry(entry_organisation: str | None, county: str) -> None:
    """The named directory entry must be a live entry of the referral's county."""
    if entry_organisation is None:
        raise Refused(
            "responsible_worker.directory_entry_unknown",
            "directory_entry_id",
            "no such entry in the contact directory",
        )
    if entry_organisation != county:
        raise Refused(
            "responsible_worker.directory_entry_other_organisation",
            "directory_entry_id",
            "the directory entry belongs to another organisation than the referral's county",
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
