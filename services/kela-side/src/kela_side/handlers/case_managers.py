"""Kela names a client's case manager (asiakkuusvastaava) for a period, changes the case
manager or the end date, or ends the period early; the client's county is told each time."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from silta_platform.unit_of_work import Transactions, UnitOfWork
from silta_protection.encryption import client_key_of
from silta_records.cooperation.dates import finnish_today, last_day
from silta_schemas.cooperation import CaseManagerPeriod

from kela_side.commands import ChangeCaseManager, EndCaseManagerPeriod, NameCaseManager
from kela_side.db.cooperation import CASE_MANAGERS
from kela_side.domain.case_managers import changed, check_no_overlap, ended, named, span
from kela_side.handlers.cooperation_records import Keeper, unchanged
from kela_side.purposes import CASE_MANAGER_PURPOSE
from kela_side.records import Recorded
from kela_side.settings import KelaSettings

PERIODS = Keeper(CASE_MANAGERS, CASE_MANAGER_PURPOSE)


async def _check_no_overlap(
    work: UnitOfWork, settings: KelaSettings, period: CaseManagerPeriod, own_id: str | None
) -> None:
    key = client_key_of(settings, period.client.identity_code)
    others = [
        (row.starts_on, last_day(row.ends_on, row.ended_on))
        for row in await CASE_MANAGERS.of_client(work.conn, key, None)
        if row.id != own_id
    ]
    check_no_overlap(others, *span(period))


async def name_case_manager(
    command: NameCaseManager, transactions: Transactions, settings: KelaSettings
) -> Recorded:
    """Raises ``RuleRefused`` (``domain.case_managers``)."""
    now = datetime.now(UTC)
    period = named(command.request, uuid4(), now, finnish_today(now))
    async with transactions.begin() as work:
        await _check_no_overlap(work, settings, period, None)
        return await PERIODS.keep(work, settings, period, command.actor, now, new=True)


async def change_case_manager(
    command: ChangeCaseManager, transactions: Transactions, settings: KelaSettings
) -> Recorded:
    """Nothing changes (and nothing is sent) if the request repeats what stands."""
    now = datetime.now(UTC)
    async with transactions.begin() as work:
        row, period = await PERIODS.current(work, settings, command.period_id)
        after = changed(period, command.request, now, finnish_today(now))
        if after is None:
            return unchanged(row)
        await _check_no_overlap(work, settings, after, row.id)
        return await PERIODS.keep(work, settings, after, command.actor, now, new=False)


async def end_case_manager_period(
    command: EndCaseManagerPeriod, transactions: Transactions, settings: KelaSettings
) -> Recorded:
    now = datetime.now(UTC)
    async with transactions.begin() as work:
        _, period = await PERIODS.current(work, settings, command.period_id)
        after = ended(period, command.request, now, finnish_today(now))
        return await PERIODS.keep(work, settings, after, command.actor, now, new=False)
