"""The steps of a client's case-manager period (asiakkuusvastaava): Kela names a case manager
for a period, changes the case manager or the end date, or ends the period early; the client's
county is told each time (``handlers.cooperation_records``)."""

from __future__ import annotations

from typing import Any

from silta_platform.unit_of_work import UnitOfWork
from silta_protection.encryption import client_key_of
from silta_records.cooperation.dates import last_day
from silta_schemas import cooperation as co
from silta_schemas.ids import new_id

from kela_side.db.cooperation import CASE_MANAGERS
from kela_side.domain.case_managers import changed, check_no_overlap, ended, named, span
from kela_side.handlers.cooperation_records import Keeper, Moment, Step
from kela_side.purposes import CASE_MANAGER_PURPOSE
from kela_side.settings import KelaSettings

PERIODS = Keeper(CASE_MANAGERS, CASE_MANAGER_PURPOSE)


async def _no_overlap(
    work: UnitOfWork, settings: KelaSettings, period: co.CaseManagerPeriod | None, own: str | None
) -> co.CaseManagerPeriod | None:
    """``period``, unless it shares a day with another of the client's (one at a time)."""
    if period is not None:
        key = client_key_of(settings, period.client.identity_code)
        rows = await CASE_MANAGERS.of_client(work.conn, key, None)
        others = [(r.starts_on, last_day(r.ends_on, r.ended_on)) for r in rows if r.id != own]
        check_no_overlap(others, *span(period))
    return period


async def _name(
    work: UnitOfWork, settings: KelaSettings, _: None, request: Any, at: Moment
) -> co.CaseManagerPeriod | None:
    return await _no_overlap(work, settings, named(request, new_id(), at.now, at.today), None)


async def _change(
    work: UnitOfWork, settings: KelaSettings, period: Any, request: Any, at: Moment
) -> co.CaseManagerPeriod | None:
    after = changed(period, request, at.now, at.today)
    return await _no_overlap(work, settings, after, str(period.period_id))


async def _end(
    _work: UnitOfWork, _settings: KelaSettings, period: Any, request: Any, at: Moment
) -> co.CaseManagerPeriod:
    return ended(period, request, at.now, at.today)


STEPS: dict[type, Step] = {
    co.CaseManagerPeriodRequest: Step(PERIODS, _name),
    co.CaseManagerChangeRequest: Step(PERIODS, _change),
    co.CaseManagerEndRequest: Step(PERIODS, _end),
}
