"""``GET /v1/stats`` on both sides for real referrals through the API and the bus, and the
contract: no field that could carry personal data."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import httpx
from aio_pika.abc import AbstractChannel
from silta_schemas import examples

from tests.integration.conftest import eventually
from tests.integration.peer import deliver
from tests.integration.stats_rows import STATUSES, shown, stats
from tests.unit.schemas.support import make_code

# --- the real flow -------------------------------------------------------------------------


def _notice(number: int) -> dict[str, Any]:
    body = copy.deepcopy(examples.NOTICE_OF_NEED_EXAMPLE)
    body["client"]["identity_code"] = make_code(date(1980, 1, 1) + timedelta(days=number), "-", 2)
    return body


async def test_referrals_sent_through_the_api_are_counted_without_personal_data(
    kela: httpx.AsyncClient,
) -> None:
    codes = []
    for number in range(5):
        body = _notice(number)
        codes.append(body["client"]["identity_code"])
        assert (await kela.post("/v1/referrals", json=body)).status_code == 201

    result = await stats(kela)

    [only] = result["groups"]
    assert only["kind"] == "notice_of_need"
    assert only["total"]["value"] == 5
    assert shown(only["by_status"])["sent"] == 5
    for code in codes:
        assert code not in str(result)
        assert code[:6] not in str(result)


async def test_referrals_delivered_over_the_bus_and_accepted_are_counted(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    ids = []
    for number in range(5):
        referral_id = await deliver(bus, _notice(number))
        ids.append(referral_id)

    async def all_delivered() -> dict[str, Any] | None:
        result = await stats(municipality)
        groups = result["groups"]
        return result if groups and groups[0]["total"]["value"] == 5 else None

    delivered = await eventually(all_delivered)
    assert shown(delivered["groups"][0]["by_status"])["delivered"] == 5
    for referral_id in ids:
        response = await municipality.post(
            f"/v1/referrals/{referral_id}/status", json={"status": "accepted"}
        )
        assert response.status_code == 200, response.text

    [accepted] = (await stats(municipality))["groups"]
    assert shown(accepted["by_status"]) == {**dict.fromkeys(STATUSES, 0), "accepted": 5}
    median = accepted["median_seconds_to_first_acknowledgement"]
    assert median["suppressed"] is False
    assert 0 <= median["seconds"] < 60


# --- the contract --------------------------------------------------------------------------


async def test_kela_sides_contract_has_no_field_for_personal_data(
    kela: httpx.AsyncClient,
) -> None:
    await assert_contract(kela)


async def test_municipality_sides_contract_has_no_field_for_personal_data(
    municipality: httpx.AsyncClient,
) -> None:
    await assert_contract(municipality)


async def assert_contract(client: httpx.AsyncClient) -> None:
    openapi = (await client.get("/openapi.json")).json()
    operation = openapi["paths"]["/v1/stats"]["get"]
    assert "first status a county worker set" in operation["description"]
    assert "suppressed" in operation["description"]
    assert {p["name"] for p in operation["parameters"]} == {"county", "kind", "since", "until"}
    schemas = openapi["components"]["schemas"]
    for name in ("Statistics", "GroupStatistics", "CountCell", "MedianCell", "StatsFilters"):
        for prop, spec in schemas[name]["properties"].items():
            for option in spec.get("anyOf", [spec]):
                if option.get("type") == "string":
                    # a string is a code (pattern), or a date: never free text
                    assert "pattern" in option or option.get("format") in {"date", "date-time"}, (
                        name,
                        prop,
                    )
