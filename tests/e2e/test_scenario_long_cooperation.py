"""The research's long cooperation client (seed 004: Kela's own follow-up of municipal
cooperation; seed 001: a named case manager for a fixed period), walked end to end through
both services as real processes and the real broker.

(d) Kela refers a client twice (a notice of need, then a basic amount reduction), names a case
manager for half a year and opens a cooperation case tying the two referrals and the period
together, with a follow-up date in two weeks. The county sees the case manager and the case; the
follow-up is not due yet on either side. Kela moves the follow-up to today: it is due on both
sides at once. Kela closes the case after the follow-up: due nowhere any more.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from silta_records.cooperation.dates import finnish_today
from silta_schemas import cooperation_examples as ex

pytestmark = pytest.mark.e2e


async def test_a_long_cooperation_client_comes_due_for_follow_up_on_both_sides(
    any_silta, bodies, eventually
):
    silta = any_silta
    today = finnish_today()
    code = bodies.new_identity_code()
    notice, reduction = bodies.notice_of_need(), bodies.basic_amount_reduction()
    for referral in (notice, reduction):
        referral["client"] |= {"identity_code": code, "municipality_code": "405"}
    referrals = [await silta.send_and_deliver(body) for body in (notice, reduction)]

    period = copy.deepcopy(ex.CASE_MANAGER_PERIOD_REQUEST_EXAMPLE)
    period["client"]["identity_code"] = code
    period |= {"starts_on": str(today), "ends_on": str(today + timedelta(days=182))}
    named = await silta.kela_http.post("/v1/case-manager-periods", json=period)
    assert named.status_code == 201, named.text
    period_id = named.json()["id"]

    links = [{"type": "referral", "id": referral_id} for referral_id in referrals]
    links.append({"type": "case_manager_period", "id": period_id})
    in_two_weeks = str(today + timedelta(days=14))
    case = {
        "client": {"identity_code": code, "municipality_code": "405"},
        "follow_up_on": in_two_weeks,
        "links": links,
    }
    opened = await silta.kela_http.post("/v1/cooperation-cases", json=case)
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]

    async def at_county(path: str, **expected: Any) -> dict[str, Any]:
        response = await silta.municipality_http.get(path)
        assert response.status_code == 200, response.text
        view: dict[str, Any] = response.json()
        assert {key: view[key] for key in expected} == expected
        return view

    seen = await eventually(
        lambda: at_county(f"/v1/cooperation-cases/{case_id}", follow_up_on=in_two_weeks)
    )
    assert (seen["due"], seen["client"], seen["links"]) == (False, {"identity_code": code}, links)
    manager = await eventually(lambda: at_county(f"/v1/case-manager-periods/{period_id}"))
    assert (manager["case_manager"]["name"], manager["state"]) == ("Kaisa Kelalainen", "active")
    for referral_id in referrals:  # the linked referrals are the county's own
        await at_county(f"/v1/referrals/{referral_id}", county_code="11")

    async def due_on(client: Any) -> list[str]:
        response = await client.get("/v1/cooperation-cases", params={"due": "true"})
        return [item["id"] for item in response.json()["items"]]

    soon = str(today + timedelta(days=15))
    for client in (silta.kela_http, silta.municipality_http):
        assert await due_on(client) == []
        coming = await client.get("/v1/cooperation-cases", params={"due_before": soon})
        assert [item["id"] for item in coming.json()["items"]] == [case_id]

    moved = await silta.kela_http.post(
        f"/v1/cooperation-cases/{case_id}/follow-up", json={"follow_up_on": str(today)}
    )
    assert (moved.status_code, moved.json()["due"]) == (200, True)
    await eventually(lambda: at_county(f"/v1/cooperation-cases/{case_id}", due=True))
    assert await due_on(silta.kela_http) == [case_id]
    assert await due_on(silta.municipality_http) == [case_id]

    closed = await silta.kela_http.post(f"/v1/cooperation-cases/{case_id}/close")
    assert closed.status_code == 200, closed.text
    await eventually(lambda: at_county(f"/v1/cooperation-cases/{case_id}", action="closed"))
    assert await due_on(silta.kela_http) == []
    assert await due_on(silta.municipality_http) == []

    await silta.stop()
    silta.assert_no_identity_code_in_logs(code)
