"""PUT /v1/referrals/{id}/assignee: put a referral on a county worker's worklist, or move it
to another's. Nothing crosses the bus: Kela learns a worker only as the responsible worker."""

from __future__ import annotations

from datetime import UTC, datetime

from silta_platform.unit_of_work import Transactions
from silta_schemas.errors import NotFound

from municipality_side.commands import AssignReferral
from municipality_side.db import referral_repository, worker_repository
from municipality_side.domain.workers import check_directory_entry
from municipality_side.domain.worklists import check_may_assign
from municipality_side.records import Assignment


async def assign_referral(command: AssignReferral, transactions: Transactions) -> Assignment:
    """The assignment after this one. Raises ``NotFound`` or ``RuleRefused``
    (``domain.worklists``, ``domain.workers``)."""
    async with transactions.begin() as work:
        found = await referral_repository.held(work.conn, command.referral_id, to_change=True)
        if found is None or found[0].county_code not in command.counties:
            raise NotFound("referral")
        held = found[0]
        check_may_assign(held.status)
        if command.directory_entry_id is not None:
            organisation = await worker_repository.entry_organisation(
                work.conn, command.directory_entry_id
            )
            check_directory_entry(organisation, held.county, "assignment")
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
