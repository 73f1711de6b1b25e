"""The steps of a client's cooperation case: Kela opens it with the client's county, sets its
follow-up dates, links the client's referrals, statements, case-manager periods and
consultations to it (ids only) and closes it; the county is told each time
(``handlers.cooperation_records``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from silta_platform.unit_of_work import UnitOfWork
from silta_protection.encryption import client_key_of
from silta_schemas import cooperation as co
from silta_schemas.ids import new_id

from kela_side.commands import CloseCase
from kela_side.db.cooperation import COOPERATION_CASES
from kela_side.db.link_owners import link_owners, open_cases
from kela_side.domain.cooperation_cases import (
    check_links,
    check_none_open,
    closed,
    follow_up_set,
    linked,
    new_links,
    opened,
)
from kela_side.handlers.cooperation_records import Keeper, Moment, Step
from kela_side.purposes import COOPERATION_PURPOSE
from kela_side.settings import KelaSettings

CASES = Keeper(COOPERATION_CASES, COOPERATION_PURPOSE)


async def _check_links(
    work: UnitOfWork, settings: KelaSettings, case: co.CooperationCase, links: Sequence[co.CaseLink]
) -> str:
    """Raises unless every checked link is this client's with this county; the client key."""
    key = client_key_of(settings, case.client.identity_code)
    check_links(links, await link_owners(work.conn, links), key, case.county_code)
    return key


async def _open(
    work: UnitOfWork, settings: KelaSettings, _: None, request: Any, at: Moment
) -> co.CooperationCase:
    case = opened(request, new_id(), at.now, at.today)
    key = await _check_links(work, settings, case, case.links)
    check_none_open(await open_cases(work.conn, key, case.county_code))
    return case


async def _follow_up(
    _work: UnitOfWork, _settings: KelaSettings, case: Any, request: Any, at: Moment
) -> co.CooperationCase | None:
    return follow_up_set(case, request, at.now, at.today)


async def _link(
    work: UnitOfWork, settings: KelaSettings, case: Any, request: Any, at: Moment
) -> co.CooperationCase | None:
    added = new_links(case, request)
    await _check_links(work, settings, case, added)
    return linked(case, added, at.now)


async def _close(
    _work: UnitOfWork, _settings: KelaSettings, case: Any, _request: Any, at: Moment
) -> co.CooperationCase:
    return closed(case, at.now, at.today)


STEPS: dict[type, Step] = {
    co.CooperationCaseRequest: Step(CASES, _open),
    co.FollowUpRequest: Step(CASES, _follow_up),
    co.LinkRequest: Step(CASES, _link),
    CloseCase: Step(CASES, _close),
}
