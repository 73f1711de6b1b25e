"""The contact directory across the bridge: each side maintains its own part over its API and
sees the other side's part in `GET /v1/directory`. Runs on SQLite and on PostgreSQL.

Only the entries a test made itself are looked at: a shared broker may carry others."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx
import pytest
from silta_schemas import examples

from tests.e2e.bodies import county_worker_entry

pytestmark = pytest.mark.e2e


def kela_team(**changes: Any) -> dict[str, Any]:
    entry = copy.deepcopy(examples.DIRECTORY_ENTRY_REQUEST_EXAMPLE)
    entry.update(changes)
    return entry


def county_unit() -> dict[str, Any]:
    """County 11's immigration services, a contact for Kela's municipal cooperation."""
    return county_worker_entry(
        unit="Maahanmuuttopalvelut, Etelä-Karjala",
        person_name="Sanna Sosiaaliohjaaja",
        role="sosiaaliohjaaja (social counsellor), Kela contact",
        channels=[
            {"type": "phone", "value": "040 123 4567", "note": "Tue and Thu 9-11"},
            {"type": "other", "value": "Teams: Sanna Sosiaaliohjaaja", "note": None},
        ],
        services=["municipal_cooperation"],
        topics=["immigration services"],
        description=None,
    )


async def directory(
    client: httpx.AsyncClient, mine: set[str], **params: Any
) -> dict[str, dict[str, Any]]:
    """The entries in ``mine`` that ``GET /v1/directory`` with ``params`` lists, by id."""
    response = await client.get("/v1/directory", params=params)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    return {item["entry_id"]: item for item in items if item["entry_id"] in mine}


async def test_each_side_sees_the_others_part_and_its_changes(any_silta, eventually):
    silta = any_silta
    kela_id, county_id = str(uuid.uuid4()), str(uuid.uuid4())
    mine = {kela_id, county_id}

    # Kela's team, PUT on the Kela side, appears on the county side ...
    put = await silta.kela_http.put(f"/v1/directory/entries/{kela_id}", json=kela_team())
    assert put.status_code == 201, put.text
    kela_entry = put.json()

    async def county_side_has_kela_entry() -> None:
        assert (await directory(silta.municipality_http, mine)).get(kela_id) == kela_entry

    await eventually(county_side_has_kela_entry)

    # ... and the county's unit, PUT on the county side, appears on Kela's side.
    put = await silta.municipality_http.put(
        f"/v1/directory/entries/{county_id}", json=county_unit()
    )
    assert put.status_code == 201, put.text
    county_entry = put.json()

    async def kela_side_has_county_entry() -> None:
        assert (await directory(silta.kela_http, mine)).get(county_id) == county_entry

    await eventually(kela_side_has_county_entry)

    # Both sides show both parts, searchable by county and by service.
    for client in (silta.kela_http, silta.municipality_http):
        assert set(await directory(client, mine, county="11")) == {kela_id, county_id}
        assert set(await directory(client, mine, service="municipal_cooperation")) == {
            kela_id,
            county_id,
        }
        assert await directory(client, mine, county="05") == {}
        assert await directory(client, mine, service="case_manager_service") == {}
        assert (
            set(await directory(client, mine, q="teams: sanna")) == set()
        )  # channels: not searched
        assert set(await directory(client, mine, q="maahanmuutto")) == {county_id}

    # Neither side can change the other's part.
    refused = await silta.municipality_http.put(
        f"/v1/directory/entries/{kela_id}", json=county_unit()
    )
    assert refused.status_code == 409, refused.text
    refused = await silta.kela_http.delete(f"/v1/directory/entries/{county_id}")
    assert refused.status_code == 409, refused.text

    # A replacement travels too.
    put = await silta.kela_http.put(
        f"/v1/directory/entries/{kela_id}",
        json=kela_team(services=["municipal_cooperation", "multiprofessional_service"]),
    )
    assert put.status_code == 200, put.text

    async def county_side_sees_the_replacement() -> None:
        found = await directory(silta.municipality_http, mine, service="multiprofessional_service")
        assert set(found) == {kela_id}

    await eventually(county_side_sees_the_replacement)

    # Deletes propagate both ways.
    assert (await silta.kela_http.delete(f"/v1/directory/entries/{kela_id}")).status_code == 204
    deleted = await silta.municipality_http.delete(f"/v1/directory/entries/{county_id}")
    assert deleted.status_code == 204

    async def both_gone() -> None:
        assert await directory(silta.municipality_http, mine) == {}
        assert await directory(silta.kela_http, mine) == {}

    await eventually(both_gone)
    missing = await silta.municipality_http.get(f"/v1/directory/entries/{kela_id}")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_the_catalogue_of_kela_services_is_on_both_sides(silta):
    for client in (silta.kela_http, silta.municipality_http):
        response = await client.get("/v1/directory/services")
        assert response.status_code == 200
        services = {item["service"]: item for item in response.json()["items"]}
        assert set(services) == {
            "municipal_cooperation",
            "multiprofessional_service",
            "case_manager_service",
            "authorities_phone_line",
        }
        assert services["case_manager_service"]["finnish_name"] == "Asiakkuusvastaavapalvelu"
    schema = (await silta.kela_http.get("/openapi.json")).json()
    assert "/v1/directory/entries/{entry_id}" in schema["paths"]
