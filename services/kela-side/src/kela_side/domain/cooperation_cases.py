"""What Kela's side decides about a client's cooperation case (yhteistyöasiakkuus): pure
rules, no I/O. Each function returns the case as it then stands, to be sent whole."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from uuid import UUID

from silta_records.cooperation.dates import next_snapshot
from silta_schemas import cooperation as co
from silta_schemas.errors import RuleRefused
from silta_schemas.kinds.cooperation_case import MAX_LINKS

from kela_side.domain.case_managers import routed

CLOSED = "cooperation_case.closed"
ALREADY_OPEN = "cooperation_case.already_open"
CONFLICTS = frozenset({CLOSED, ALREADY_OPEN})
"""Rules refused as a conflict with the case's state (``409``), not as invalid input."""

CHECKED_LINKS = frozenset(
    {co.LinkType.REFERRAL, co.LinkType.STATEMENT, co.LinkType.CASE_MANAGER_PERIOD}
)
"""Links Kela checks against its own records; a consultation's id is an opaque reference."""

Owner = tuple[str | None, str]
"""Whose a linked record is: its client key (None once purged) and its county code."""


def check_follow_up(follow_up_on: date | None, today: date) -> None:
    if follow_up_on is not None and follow_up_on < today:
        raise RuleRefused(
            "cooperation_case.follow_up_past",
            "follow_up_on has passed: a follow-up is planned for today or later",
            field="follow_up_on",
        )


def check_links(
    links: Iterable[co.CaseLink],
    owners: Mapping[tuple[str, str], Owner],
    client_key: str,
    county: str,
) -> None:
    """Each checked link names a record Kela holds, of this client and this county (the
    county learns only ids it can know). ``owners``: (type, id) → the record's owner."""
    for link in links:
        if link.type not in CHECKED_LINKS:
            continue
        owner = owners.get((link.type.value, str(link.id)))
        if owner is None:
            raise RuleRefused(
                "cooperation_case.link_unknown", f"no such {link.type.value} at Kela", field="links"
            )
        if owner != (client_key, county):
            raise RuleRefused(
                "cooperation_case.link_other_client",
                f"the {link.type.value} is another client's or another county's",
                field="links",
            )


def check_none_open(open_case_ids: Iterable[str]) -> None:
    """One open cooperation case per client and county: follow-ups go on that one."""
    if any(True for _ in open_case_ids):
        raise RuleRefused(
            ALREADY_OPEN, "the client already has an open cooperation case with the county"
        )


def opened(
    request: co.CooperationCaseRequest, case_id: UUID, now: datetime, today: date
) -> co.CooperationCase:
    county = routed(request.client, today)
    check_follow_up(request.follow_up_on, today)
    return co.CooperationCase(
        kind="cooperation_case",
        case_id=case_id,
        action=co.CooperationCaseAction.OPENED,
        recorded_at=now,
        county_code=county,
        client=request.client.identity(),
        opened_on=today,
        follow_up_on=request.follow_up_on,
        links=request.links,
    )


def _still_open(current: co.CooperationCase) -> None:
    if current.closed_on is not None:
        raise RuleRefused(CLOSED, "the case is closed: open a new one", field="case_id")


def follow_up_set(
    current: co.CooperationCase, request: co.FollowUpRequest, now: datetime, today: date
) -> co.CooperationCase | None:
    """The case with its next follow-up date; None if it is the one set already."""
    _still_open(current)
    check_follow_up(request.follow_up_on, today)
    if request.follow_up_on == current.follow_up_on:
        return None
    return next_snapshot(
        current,
        now,
        action=co.CooperationCaseAction.FOLLOW_UP_SET,
        follow_up_on=request.follow_up_on,
    )


def new_links(current: co.CooperationCase, request: co.LinkRequest) -> list[co.CaseLink]:
    """The links the request adds: those the case does not have yet."""
    _still_open(current)
    return [link for link in request.links if link not in current.links]


def linked(
    current: co.CooperationCase, added: list[co.CaseLink], now: datetime
) -> co.CooperationCase | None:
    """The case with ``added`` linked; None if nothing is new."""
    if not added:
        return None
    links = [*current.links, *added]
    if len(links) > MAX_LINKS:
        raise RuleRefused(
            "cooperation_case.too_many_links", f"a case links at most {MAX_LINKS}", field="links"
        )
    return next_snapshot(
        current,
        now,
        action=co.CooperationCaseAction.LINKED,
        links=[link.model_dump() for link in links],
    )


def closed(current: co.CooperationCase, now: datetime, today: date) -> co.CooperationCase:
    _still_open(current)
    return next_snapshot(current, now, action=co.CooperationCaseAction.CLOSED, closed_on=today)
