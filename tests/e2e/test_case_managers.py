"""Case-manager periods across the bridge, through both services as real processes and the
real broker: Kela names a client's case manager, changes the end date and ends the period
early, and the client's county sees each step; a period whose end date has passed shows ended
on both sides without a message."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import pytest
from silta_records.cooperation.dates import finnish_today
from silta_schemas import cooperation_examples as ex

pytestmark = pytest.mark.e2e

CODE = ex.EXAMPLE_IDENTITY_CODE


def period_request(starts_on: date, ends_on: date) -> dict[str, Any]:
    body = copy.deepcopy(ex.CASE_MANAGER_PERIOD_REQUEST_EXAMPLE)
    return body | {"starts_on": str(starts_on), "ends_on": str(ends_on)}


async def test_the_county_sees_who_and_until_when_and_every_change_kela_makes(
    any_silta, eventually
):
    silta = any_silta
    today = finnish_today()
    created = await silta.kela_http.post(
        "/v1/case-manager-periods", json=period_request(today, today + timedelta(days=180))
    )
    assert created.status_code == 201, created.text
    period_id = created.json()["id"]
    county_path = f"/v1/case-manager-periods/{period_id}"

    async def at_county(action: str) -> dict[str, Any]:
        response = await silta.municipality_http.get(county_path)
        assert response.status_code == 200, response.text
        view: dict[str, Any] = response.json()
        assert view["action"] == action
        return view

    view = await eventually(lambda: at_county("named"))
    assert view["county_code"] == "11"
    assert view["client"] == {"identity_code": CODE}
    assert view["case_manager"] == ex.KELA_CASE_MANAGER
    assert (view["state"], view["ends_on"]) == ("active", str(today + timedelta(days=180)))

    later = today + timedelta(days=365)
    changed = await silta.kela_http.post(
        f"/v1/case-manager-periods/{period_id}/change", json={"ends_on": str(later)}
    )
    assert changed.status_code == 200, changed.text
    view = await eventually(lambda: at_county("changed"))
    assert view["ends_on"] == str(later)

    ended = await silta.kela_http.post(f"/v1/case-manager-periods/{period_id}/end", json={})
    assert ended.status_code == 200, ended.text
    view = await eventually(lambda: at_county("ended"))
    assert (view["ended_on"], view["last_day"]) == (str(today), str(today))
    found = await silta.municipality_http.post(
        "/v1/case-manager-periods/search", json={"identity_code": CODE}
    )
    assert [item["id"] for item in found.json()["items"]] == [period_id]

    # Another client's period, begun long ago, ending tomorrow: active on both sides until its
    # end date passes (no message ends it; the county side's test shows one ended by its date).
    other = period_request(today - timedelta(days=90), today + timedelta(days=1))
    other["client"]["identity_code"] = "010594Y9032"
    short = await silta.kela_http.post("/v1/case-manager-periods", json=other)
    assert short.status_code == 201, short.text
    await eventually(lambda: at_county_id(silta, short.json()["id"]))
    for client in (silta.kela_http, silta.municipality_http):
        listed = await client.get("/v1/case-manager-periods", params={"state": "active"})
        assert {item["id"] for item in listed.json()["items"]} == {period_id, short.json()["id"]}
        assert CODE not in listed.text

    await silta.stop()
    silta.assert_no_identity_code_in_logs(CODE, "010594Y9032")


async def at_county_id(silta: Any, period_id: str) -> bool:
    response = await silta.municipality_http.get(f"/v1/case-manager-periods/{period_id}")
    return response.status_code == 200
