"""Case-manager periods (asiakkuusvastaava) on both sides, in-process, on the real broker and
both databases: Kela names, changes and ends a period (the test reads what reaches the
county's exchange), and a county's side keeps the newest of what Kela sends (the test plays
Kela on the bus)."""

from __future__ import annotations

import copy
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from aio_pika.abc import AbstractChannel
from silta_messaging.topology import KELA_EXCHANGE
from silta_records.cooperation.dates import finnish_today
from silta_schemas import cooperation_examples as ex
from silta_schemas.cooperation import CaseManagerPeriod

from tests.integration import peer
from tests.integration.conftest import eventually, tap
from tests.integration.peer import assert_problem, next_message, parked_reasons

HELSINKI = "091"  # routes to county 90, which the test county deployment serves
CODE = ex.EXAMPLE_IDENTITY_CODE
OTHER_CLIENT = "010594Y9032"
TODAY = finnish_today()


def request(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(ex.CASE_MANAGER_PERIOD_REQUEST_EXAMPLE)
    body["client"]["municipality_code"] = HELSINKI
    body |= {"starts_on": str(TODAY), "ends_on": str(TODAY + timedelta(days=180)), **changes}
    return body


async def next_on(queue: Any) -> dict[str, Any]:
    message: dict[str, Any] = await eventually(lambda: next_message(queue))
    return message


async def test_kela_names_changes_and_ends_a_period_and_the_county_is_told_each_time(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    sent = await tap(bus, KELA_EXCHANGE, "case_manager_period.90")
    created = await kela.post("/v1/case-manager-periods", json=request())
    assert created.status_code == 201, created.text
    period = created.json()
    assert CODE not in created.text
    assert (period["state"], period["action"], period["county_code"]) == ("active", "named", "90")
    assert created.headers["Location"] == f"/v1/case-manager-periods/{period['id']}"

    named = await next_on(sent)
    assert (named["sender"], named["recipient"], named["kind"]) == (
        "kela",
        "county-90",
        "case_manager_period",
    )
    assert named["purpose"] == "case_manager_service"
    assert named["referral_id"] is None
    payload = named["payload"]
    assert payload["client"] == {"identity_code": CODE}  # only the code: no municipality
    # Not anywhere in it either; its ids are random hex, which may hold any three digits.
    assert HELSINKI not in re.sub(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", "", str(payload))
    assert payload["case_manager"]["name"] == "Kaisa Kelalainen"
    assert (payload["action"], payload["period_id"]) == ("named", period["id"])

    later = str(TODAY + timedelta(days=300))
    changed = await kela.post(
        f"/v1/case-manager-periods/{period['id']}/change", json={"ends_on": later}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["action"], changed.json()["ends_on"]) == ("changed", later)
    message = (await next_on(sent))["payload"]
    assert (message["action"], message["ends_on"], message["case_manager"]) == (
        "changed",
        later,
        payload["case_manager"],
    )

    ended = await kela.post(f"/v1/case-manager-periods/{period['id']}/end", json={})
    assert ended.status_code == 200, ended.text
    assert ended.json()["state"] == "active"  # today is its last day
    assert (ended.json()["ended_on"], ended.json()["last_day"]) == (str(TODAY), str(TODAY))
    message = (await next_on(sent))["payload"]
    assert (message["action"], message["ended_on"]) == ("ended", str(TODAY))

    found = await kela.post("/v1/case-manager-periods/search", json={"identity_code": CODE})
    assert found.status_code == 200, found.text
    [view] = found.json()["items"]
    assert view["client"] == {"identity_code": CODE}
    assert view["case_manager"]["email"] == "asiakkuusvastaava@example.fi"
    one = await kela.get(f"/v1/case-manager-periods/{period['id']}")
    assert one.json() == view
    listed = (await kela.get("/v1/case-manager-periods", params={"state": "active"})).json()
    assert [item["id"] for item in listed["items"]] == [period["id"]]
    assert CODE not in str(listed)
    assert (await kela.get("/v1/case-manager-periods", params={"state": "ended"})).json() == {
        "items": []
    }

    log = await kela.post("/v1/access-log/search", json={"identity_code": CODE})
    handled = [
        (entry["action"], entry["purpose"])
        for entry in log.json()["items"]
        if entry["resource"] == "case_manager_period" and entry["resource_id"] == period["id"]
    ]
    assert sorted(handled) == sorted(
        [("create", "case_manager.service")]
        + [("update", "case_manager.service")] * 2
        + [("read", "case_manager.service")] * 2
    )


async def test_kela_refuses_what_the_rules_forbid_naming_the_rule(kela: httpx.AsyncClient) -> None:
    first = await kela.post("/v1/case-manager-periods", json=request())
    assert first.status_code == 201
    overlapping = await kela.post(
        "/v1/case-manager-periods", json=request(starts_on=str(TODAY + timedelta(days=30)))
    )
    assert_problem(overlapping, 409, "starts_on", "case_manager.overlapping_period", CODE)
    over = request(starts_on="2020-01-01", ends_on="2020-06-30")
    aland = request()
    aland["client"]["municipality_code"] = "478"
    unreachable = request()
    unreachable["case_manager"] = {
        k: v for k, v in ex.KELA_CASE_MANAGER.items() if k not in ("phone", "email")
    }
    backwards = request(ends_on=str(TODAY - timedelta(days=1)))
    for body, field, rule in [
        (backwards, "ends_on", "case_manager.period_order"),
        (over, "ends_on", "case_manager.period_over"),
        (aland, "client.municipality_code", "routing.aland"),
        (unreachable, "case_manager", "case_manager.channel_required"),
    ]:
        body["client"]["identity_code"] = OTHER_CLIENT
        response = await kela.post("/v1/case-manager-periods", json=body)
        assert_problem(response, 422, field, rule, OTHER_CLIENT)
    period_id = first.json()["id"]
    outside = await kela.post(
        f"/v1/case-manager-periods/{period_id}/end",
        json={"ended_on": str(TODAY - timedelta(days=1))},
    )
    assert_problem(outside, 422, "ended_on", "case_manager.ended_on_outside_period")
    assert (
        await kela.post(f"/v1/case-manager-periods/{period_id}/end", json={})
    ).status_code == 200
    missing = await kela.post(f"/v1/case-manager-periods/{uuid.uuid4()}/end", json={})
    assert missing.status_code == 404


def snapshot(**changes: Any) -> CaseManagerPeriod:
    dates = {
        "starts_on": str(TODAY - timedelta(days=10)),
        "ends_on": str(TODAY + timedelta(days=100)),
    }
    period_id = {"period_id": str(uuid.uuid4())}
    return peer.kela_record(
        CaseManagerPeriod, ex.CASE_MANAGER_PERIOD_EXAMPLE, **(period_id | dates | changes)
    )


publish = peer.from_kela


async def test_the_county_keeps_the_newest_snapshot_and_shows_a_period_ended_by_its_date(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    first = snapshot()
    newer = snapshot(
        period_id=str(first.period_id),
        action="changed",
        ends_on=str(TODAY + timedelta(days=200)),
        recorded_at=(first.recorded_at + timedelta(minutes=5)).isoformat(),
    )
    # The change arrives first; the older naming after it changes nothing.
    await publish(bus, newer)
    await publish(bus, first)
    over = snapshot(
        starts_on=str(TODAY - timedelta(days=200)),
        ends_on=str(TODAY - timedelta(days=1)),
        client={"identity_code": OTHER_CLIENT},
    )
    await publish(bus, over)

    async def both_there() -> dict[str, Any] | None:
        listed = (await municipality.get("/v1/case-manager-periods")).json()["items"]
        return {item["id"]: item for item in listed} if len(listed) == 2 else None

    items = await eventually(both_there)
    mine = await municipality.get(f"/v1/case-manager-periods/{first.period_id}")
    assert mine.status_code == 200
    assert (mine.json()["action"], mine.json()["ends_on"]) == ("changed", str(newer.ends_on))
    assert mine.json()["client"] == {"identity_code": CODE}
    assert mine.json()["case_manager"]["name"] == "Kaisa Kelalainen"
    assert items[str(over.period_id)]["state"] == "ended"  # by its date, without a message
    assert items[str(first.period_id)]["state"] == "active"
    active = await municipality.get("/v1/case-manager-periods", params={"state": "active"})
    assert [item["id"] for item in active.json()["items"]] == [str(first.period_id)]
    ended = await municipality.get("/v1/case-manager-periods", params={"state": "ended"})
    assert [item["id"] for item in ended.json()["items"]] == [str(over.period_id)]
    found = await municipality.post("/v1/case-manager-periods/search", json={"identity_code": CODE})
    assert [item["id"] for item in found.json()["items"]] == [str(first.period_id)]
    log = await municipality.post("/v1/access-log/search", json={"identity_code": CODE})
    handled = sorted(
        (entry["action"], entry["channel"])
        for entry in log.json()["items"]
        if entry["resource"] == "case_manager_period"
    )
    # The change came first (create); the older naming after it changed nothing.
    assert handled == [("create", "bus"), ("read", "http"), ("read", "http")]

    moved = snapshot(
        period_id=str(first.period_id),
        client={"identity_code": OTHER_CLIENT},
        recorded_at=(first.recorded_at + timedelta(minutes=10)).isoformat(),
    )
    elsewhere = snapshot(county_code="11", recorded_at=datetime.now(UTC).isoformat())
    ids = {await publish(bus, moved)}
    reasons = await eventually(lambda: parked_reasons(bus, municipality, ids))
    assert reasons == {next(iter(ids)): "case_manager_period.identity_changed"}
    assert (
        await municipality.get(f"/v1/case-manager-periods/{first.period_id}")
    ).json() == mine.json()
    await publish(bus, elsewhere)
    await eventually(lambda: _listed(municipality, 3))
    assert date.fromisoformat(str(over.ends_on)) < TODAY


async def _listed(client: httpx.AsyncClient, count: int) -> bool:
    return len((await client.get("/v1/case-manager-periods")).json()["items"]) == count


async def test_the_deciding_officer_sees_the_clients_case_manager_at_a_glance(
    kela: httpx.AsyncClient,
) -> None:
    created = await kela.post("/v1/case-manager-periods", json=request())
    assert created.status_code == 201, created.text
    glance = await kela.post("/v1/clients/cooperation", json={"identity_code": CODE})
    assert glance.status_code == 200, glance.text
    [period] = glance.json()["case_managers"]
    assert (period["id"], period["state"]) == (created.json()["id"], "active")
    assert period["case_manager"] == ex.KELA_CASE_MANAGER
    other = await kela.post("/v1/clients/cooperation", json={"identity_code": OTHER_CLIENT})
    assert other.json()["case_managers"] == []
    log = await kela.post("/v1/access-log/search", json={"identity_code": CODE})
    assert {
        (entry["action"], entry["purpose"])
        for entry in log.json()["items"]
        if entry["resource"] == "case_manager_period"
    } == {("create", "case_manager.service"), ("read", "social_assistance.decision")}
