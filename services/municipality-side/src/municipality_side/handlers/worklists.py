"""PUT /v1/referrals/{id}/assignee: put a referral on a county worker's worklist, or move it
to another's. Nothing crosses the bus: Kela learns a worker only as the responsible worker."""

from __future__ import annotations

from datetime import UTC, datetime

from silta_platform.unit_of_work import Transactions

from municipality_side.commands import AssignReferral
from municipality_side.db import referral_repository, worker_repository
from municipality_side.domain.worklists import check_may_assign
from municipality_side.records import Assignment


async def assign_referral(command: AssignReferral, transactions: Transactions) -> Assignment:
    """The assignment after this one. Raises ``NotFound`` or ``RuleRefused``
    (``domain.worklists``, ``domain.workers``)."""
    async with transactions.begin() as work:
        held, _ = await referral_repository.held_in(
            work.conn, command.referral_id, command.counties
        )
        check_may_assign(held.status)
        await worker_repository.check_entry(
            work.conn, command.directory_entry_id, held.county, "assignment"
        )
        before = await referral_repository.assignment(work.conn, command.referral_id)
        after = Assignment(
            command.referral_id,
            command.worker_id,
            datetime.now(UTC),
            command.directory_entry_id,
            first=before.assigned_to is None,
        )
        if (before.assigned_to, before.directory_entry_id) == (
            after.assigned_to,
            after.directory_entry_id,
        ):
            return before  # the same worker again: nothing changes
        await referral_repository.assign(work.conn, after)
    return after
