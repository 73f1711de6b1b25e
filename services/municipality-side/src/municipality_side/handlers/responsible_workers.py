"""PUT /v1/referrals/{id}/responsible-worker: name the referral's responsible worker
(vastuutyöntekijä), or change them; the naming joins the referral's history of namings and is
announced to Kela in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from silta_platform.unit_of_work import Transactions

from municipality_side.commands import NameResponsibleWorker
from municipality_side.db import referral_repository, worker_repository
from municipality_side.domain.workers import check_may_name, next_naming
from municipality_side.messages import to_kela
from municipality_side.records import Named, Namings


async def name_responsible_worker(
    command: NameResponsibleWorker, transactions: Transactions
) -> Named:
    """The namings after this one. Naming the same worker again changes nothing and tells
    Kela nothing. Raises ``NotFound`` or ``RuleRefused`` (``domain.workers``)."""
    referral_id, request = command.referral_id, command.request
    async with transactions.begin() as work:
        held, _ = await referral_repository.held_in(work.conn, referral_id, command.counties)
        check_may_name(held.status)
        await worker_repository.check_entry(
            work.conn, request.directory_entry_id, held.county, "responsible_worker"
        )
        history = list(await worker_repository.namings(work.conn, referral_id))
        previous = history[-1] if history else None
        naming = next_naming(previous, request, datetime.now(UTC))
        if naming is None:
            return Named(Namings(held.county_code, history), first=False, changed=False)
        await worker_repository.add(work.conn, referral_id, naming, datetime.now(UTC))
        work.announce(to_kela(naming.payload(), held.county_code, referral_id))
    namings = Namings(held.county_code, [*history, naming])
    return Named(namings, first=previous is None, changed=True)
