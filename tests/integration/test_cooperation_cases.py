"""Cooperation cases (yhteistyöasiakkuus) on both sides, in-process, on the real broker and
both databases: Kela opens a case for a client, links the client's records to it by id, sets
follow-up dates and closes it (the test reads what reaches the county's exchange); a county's
side keeps the newest of what Kela sends and lists the cases due (the test plays Kela)."""

from __future__ import annotations

import copy
import uuid
from datetime import timedelta
from typing import Any

import httpx
from aio_pika.abc import AbstractChannel
from silta_messaging.topology import KELA_EXCHANGE
from silta_records.cooperation.dates import finnish_today
from silta_schemas import cooperation_examples as ex
from silta_schemas import examples
from silta_schemas.cooperation import CooperationCase
from silta_schemas.statements import Statement

from tests.integration import peer
from tests.integration.conftest import eventually, tap
from tests.integration.peer import assert_problem, next_message
from tests.integration.test_data_protection import runtime_of
from tests.integration.test_sealed_at_rest import _identity_code, assert_nothing_in_clear

CODE = ex.EXAMPLE_IDENTITY_CODE
OTHER_CLIENT = "010594Y9032"
TODAY = finnish_today()
CASES = "/v1/cooperation-cases"


def link(kind: str, record_id: str) -> dict[str, str]:
    return {"type": kind, "id": record_id}


async def created(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    record_id: str = response.json()["id"]
    return record_id


async def a_period(kela: httpx.AsyncClient, identity_code: str) -> str:
    body = copy.deepcopy(ex.CASE_MANAGER_PERIOD_REQUEST_EXAMPLE)
    body["client"]["identity_code"] = identity_code
    body |= {"starts_on": str(TODAY), "ends_on": str(TODAY + timedelta(days=90))}
    return await created(await kela.post("/v1/case-manager-periods", json=body))


async def a_statement(kela: httpx.AsyncClient, bus: AbstractChannel) -> str:
    data = copy.deepcopy(examples.STATEMENT_EXAMPLE) | {"statement_id": str(uuid.uuid4())}
    statement = Statement.model_validate(data)
    await peer.publish(bus, statement, sender="county-11", recipient="kela")

    async def stored() -> bool:
        return (await kela.get(f"/v1/statements/{statement.statement_id}")).status_code == 200

    await eventually(stored)
    return str(statement.statement_id)


async def listed(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get(CASES, params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_kela_opens_links_follows_up_and_closes_and_the_county_is_told_each_time(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    sent = await tap(bus, KELA_EXCHANGE, "cooperation_case.11")
    referral = await created(await kela.post("/v1/referrals", json=examples.NOTICE_OF_NEED_EXAMPLE))
    period = await a_period(kela, CODE)
    consultation = str(uuid.uuid4())  # built elsewhere: an opaque id
    body = copy.deepcopy(ex.COOPERATION_CASE_REQUEST_EXAMPLE)
    body |= {
        "follow_up_on": str(TODAY),
        "links": [
            link("referral", referral),
            link("case_manager_period", period),
            link("consultation", consultation),
        ],
    }
    response = await kela.post(CASES, json=body)
    case_id = await created(response)
    assert CODE not in response.text
    assert (response.json()["due"], response.json()["county_code"]) == (True, "11")

    opened = await eventually(lambda: next_message(sent))
    assert (opened["sender"], opened["recipient"], opened["purpose"]) == (
        "kela",
        "county-11",
        "cooperation_follow_up",
    )
    payload = opened["payload"]
    assert (payload["action"], payload["case_id"], payload["follow_up_on"]) == (
        "opened",
        case_id,
        str(TODAY),
    )
    assert payload["client"] == {"identity_code": CODE}
    assert payload["links"] == body["links"]
    assert set(payload) == {
        "kind",
        "case_id",
        "action",
        "recorded_at",
        "county_code",
        "client",
        "opened_on",
        "follow_up_on",
        "links",
        "closed_on",
    }

    assert await listed(kela, due="true") == [case_id]
    assert await listed(kela, due_before=str(TODAY)) == []
    assert await listed(kela, due_before=str(TODAY + timedelta(days=1))) == [case_id]

    again = await kela.post(CASES, json=body)
    assert_problem(again, 409, "body", "cooperation_case.already_open", CODE)
    unknown = await kela.post(
        f"{CASES}/{case_id}/links", json={"links": [link("referral", str(uuid.uuid4()))]}
    )
    assert_problem(unknown, 422, "links", "cooperation_case.link_unknown")
    others = await a_period(kela, OTHER_CLIENT)
    other = await kela.post(
        f"{CASES}/{case_id}/links", json={"links": [link("case_manager_period", others)]}
    )
    assert_problem(other, 422, "links", "cooperation_case.link_other_client")
    past = await kela.post(
        f"{CASES}/{case_id}/follow-up", json={"follow_up_on": str(TODAY - timedelta(days=1))}
    )
    assert_problem(past, 422, "follow_up_on", "cooperation_case.follow_up_past")

    statement = await a_statement(kela, bus)
    more = await kela.post(
        f"{CASES}/{case_id}/links",
        json={"links": [link("statement", statement), link("referral", referral)]},
    )
    assert more.status_code == 200, more.text
    payload = (await eventually(lambda: next_message(sent)))["payload"]
    assert payload["action"] == "linked"
    assert payload["links"] == [*body["links"], link("statement", statement)]

    later = str(TODAY + timedelta(days=30))
    follow_up = await kela.post(f"{CASES}/{case_id}/follow-up", json={"follow_up_on": later})
    assert (follow_up.json()["follow_up_on"], follow_up.json()["due"]) == (later, False)
    payload = (await eventually(lambda: next_message(sent)))["payload"]
    assert (payload["action"], payload["follow_up_on"]) == ("follow_up_set", later)
    assert await listed(kela, due="true") == []

    closing = await kela.post(f"{CASES}/{case_id}/close")
    assert (closing.status_code, closing.json()["closed_on"]) == (200, str(TODAY))
    payload = (await eventually(lambda: next_message(sent)))["payload"]
    assert (payload["action"], payload["closed_on"]) == ("closed", str(TODAY))
    after = await kela.post(f"{CASES}/{case_id}/follow-up", json={"follow_up_on": later})
    assert_problem(after, 409, "case_id", "cooperation_case.closed")
    assert await listed(kela, open="true") == []

    found = await kela.post(f"{CASES}/search", json={"identity_code": CODE})
    [view] = found.json()["items"]
    assert (view["id"], view["client"]) == (case_id, {"identity_code": CODE})
    assert len(view["links"]) == 4
    assert (await kela.get(f"{CASES}/{case_id}")).json() == view
    log = await kela.post("/v1/access-log/search", json={"identity_code": CODE})
    actions = sorted(
        entry["action"] for entry in log.json()["items"] if entry["resource"] == "cooperation_case"
    )
    assert actions == ["create", "read", "read", "update", "update", "update"]


def snapshot(**changes: Any) -> CooperationCase:
    dates = {"opened_on": str(TODAY - timedelta(days=60)), "follow_up_on": str(TODAY)}
    case_id = {"case_id": str(uuid.uuid4())}
    return peer.kela_record(
        CooperationCase, ex.COOPERATION_CASE_EXAMPLE, **(case_id | dates | changes)
    )


publish = peer.from_kela


async def test_the_county_lists_the_cases_due_and_keeps_the_newest_of_each(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    due = snapshot()
    later = snapshot(
        follow_up_on=str(TODAY + timedelta(days=14)), client={"identity_code": OTHER_CLIENT}
    )
    for case in (due, later):
        await publish(bus, case)

    async def both_there() -> list[str] | None:
        found = await listed(municipality)
        return found if len(found) == 2 else None

    assert await eventually(both_there) == [
        str(due.case_id),
        str(later.case_id),
    ]  # by follow-up date
    assert await listed(municipality, due="true") == [str(due.case_id)]
    assert await listed(municipality, due_before=str(TODAY + timedelta(days=30))) == [
        str(due.case_id),
        str(later.case_id),
    ]
    view = (await municipality.get(f"{CASES}/{due.case_id}")).json()
    assert (view["due"], view["client"], view["links"]) == (
        True,
        {"identity_code": CODE},
        ex.COOPERATION_CASE_EXAMPLE["links"],
    )

    moved_on = snapshot(
        case_id=str(due.case_id),
        action="follow_up_set",
        follow_up_on=str(TODAY + timedelta(days=60)),
        recorded_at=(due.recorded_at + timedelta(minutes=1)).isoformat(),
    )
    stale = snapshot(
        case_id=str(due.case_id),
        action="closed",
        closed_on=str(TODAY),
        recorded_at=(due.recorded_at - timedelta(minutes=1)).isoformat(),
    )
    marker = snapshot(follow_up_on=None, client={"identity_code": OTHER_CLIENT})
    await publish(bus, moved_on)
    await publish(bus, stale)  # older than what is kept: changes nothing
    await publish(bus, marker)  # once it is listed, the two before it were handled

    async def marked() -> bool:
        return str(marker.case_id) in await listed(municipality)

    await eventually(marked)
    assert await listed(municipality, due="true") == []
    view = (await municipality.get(f"{CASES}/{due.case_id}")).json()
    assert (view["action"], view["closed_on"]) == ("follow_up_set", None)
    open_cases = [str(later.case_id), str(due.case_id), str(marker.case_id)]  # no date last
    assert await listed(municipality, open="true") == open_cases
    found = await municipality.post(f"{CASES}/search", json={"identity_code": OTHER_CLIENT})
    assert [item["id"] for item in found.json()["items"]] == [  # newest first
        str(marker.case_id),
        str(later.case_id),
    ]


async def test_kela_keeps_no_identity_code_of_its_cooperation_records_in_clear(
    kela: httpx.AsyncClient, bus: AbstractChannel, database_url: str
) -> None:
    await tap(bus, KELA_EXCHANGE, "#")  # the counties take what Kela sends
    code = _identity_code()
    period = await a_period(kela, code)
    case = {"client": {"identity_code": code, "municipality_code": "405"}, "links": []}
    case["links"] = [link("case_manager_period", period)]
    await created(await kela.post(CASES, json=case))
    engine = runtime_of(kela).engine
    await assert_nothing_in_clear(engine, database_url, [code])


async def test_the_county_keeps_no_identity_code_of_what_kela_sent_in_clear(
    municipality: httpx.AsyncClient, bus: AbstractChannel, database_url: str
) -> None:
    code = _identity_code()
    case = snapshot(client={"identity_code": code})
    await publish(bus, case)

    async def kept() -> bool:
        return str(case.case_id) in await listed(municipality)

    await eventually(kept)
    await assert_nothing_in_clear(runtime_of(municipality).engine, database_url, [code])
