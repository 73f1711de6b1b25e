"""Kela opens a client's cooperation case with the client's county, sets its follow-up dates,
links the client's referrals, statements, case-manager periods and consultations to it (ids
only), and closes it; the county is told each time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import uuid4

from silta_platform.unit_of_work import Transactions, UnitOfWork
from silta_protection.encryption import client_key_of
from silta_records.cooperation.dates import finnish_today
from silta_schemas.cooperation import CaseLink, CooperationCase

from kela_side.commands import CloseCooperationCase, LinkToCase, OpenCooperationCase, SetFollowUp
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
from kela_side.handlers.cooperation_records import Keeper, unchanged
from kela_side.purposes import COOPERATION_PURPOSE
from kela_side.records import Recorded
from kela_side.settings import KelaSettings

CASES = Keeper(COOPERATION_CASES, COOPERATION_PURPOSE)


async def _check_links(
    work: UnitOfWork, settings: KelaSettings, case: CooperationCase, links: Sequence[CaseLink]
) -> str:
    """Raises unless every checked link is this client's with this county; the client key."""
    key = client_key_of(settings, case.client.identity_code)
    check_links(links, await link_owners(work.conn, links), key, case.county_code)
    return key


async def open_cooperation_case(
    command: OpenCooperationCase, transactions: Transactions, settings: KelaSettings
) -> Recorded:
    """Raises ``RuleRefused`` (``domain.cooperation_cases``)."""
    now = datetime.now(UTC)
    case = opened(command.request, uuid4(), now, finnish_today(now))
    async with transactions.begin() as work:
        key = await _check_links(work, settings, case, case.links)
        check_none_open(await open_cases(work.conn, key, case.county_code))
        return await CASES.keep(work, settings, case, command.actor, now, new=True)


async def set_follow_up(
    command: SetFollowUp, transactions: Transactions, settings: KelaSettings
) -> Recorded:
    """Setting the date already set sends nothing."""
    now = datetime.now(UTC)
    async with transactions.begin() as work:
        row, case = await CASES.current(work, settings, command.case_id)
        after = follow_up_set(case, command.request, now, finnish_today(now))
        if after is None:
            return unchanged(row)
        return await CASES.keep(work, settings, after, command.actor, now, new=False)


async def link_to_case(
    command: LinkToCase, transactions: Transactions, settings: KelaSettings
) -> Recorded:
    """Links the case has already are not added again; nothing new sends nothing."""
    now = datetime.now(UTC)
    async with transactions.begin() as work:
        row, case = await CASES.current(work, settings, command.case_id)
        added = new_links(case, command.request)
        await _check_links(work, settings, case, added)
        after = linked(case, added, now)
        if after is None:
            return unchanged(row)
        return await CASES.keep(work, settings, after, command.actor, now, new=False)


async def close_cooperation_case(
    command: CloseCooperationCase, transactions: Transactions, settings: KelaSettings
) -> Recorded:
    now = datetime.now(UTC)
    async with transactions.begin() as work:
        _, case = await CASES.current(work, settings, command.case_id)
        after = closed(case, now, finnish_today(now))
        return await CASES.keep(work, settings, after, command.actor, now, new=False)
