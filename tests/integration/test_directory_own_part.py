"""The contact directory: each side maintains its own part over its API, announces every
change on the bus, and searches both parts; in-process, on the real broker and both databases.

Assertions look only at the entries and messages a test made itself (``mine``): whatever
else a shared broker carries must not make them flaky.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
from aio_pika.abc import AbstractChannel
from silta_messaging.topology import (
    COUNTY_EXCHANGE,
    KELA_EXCHANGE,
)

from tests.integration.conftest import eventually, tap
from tests.integration.directory_entries import (
    county_entry,
    ids,
    kela_entry,
    listing,
    new_ids,
    next_about,
    publish,
    put,
    stored,
    update,
)

# --------------------------------------------------------------------------- the own part


async def test_kela_puts_reads_and_deletes_its_entries_and_announces_each_change(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    sent = await tap(bus, KELA_EXCHANGE, "directory_update.all")
    mine: set[str] = set()
    [entry_id] = new_ids(mine)

    created = await put(kela, entry_id, kela_entry())
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"/v1/directory/entries/{entry_id}"
    first = created.json()
    assert first["entry_id"] == entry_id
    assert first["organisation"] == "kela"
    assert first["channels"][0]["value"] == "+358 20 634 0000"
    assert (await kela.get(f"/v1/directory/entries/{entry_id}")).json() == first
    assert await listing(kela, mine) == [first]

    message = await eventually(lambda: next_about(sent, entry_id))
    assert (message["sender"], message["recipient"], message["referral_id"]) == (
        "kela",
        "counties",
        None,
    )
    assert message["kind"] == "directory_update"
    assert message["purpose"] == "cooperation_directory"
    assert message["payload"]["entries"] == [first]
    assert message["payload"]["removed"] == []

    # The same body again changes nothing and sends nothing (the next message is the change).
    again = await put(kela, entry_id, kela_entry())
    assert again.status_code == 200
    assert again.json() == first

    replaced = await put(kela, entry_id, kela_entry(hours="Mon-Thu 9-15"))
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["hours"] == "Mon-Thu 9-15"
    assert replaced.json()["updated_at"] > first["updated_at"]
    message = await eventually(lambda: next_about(sent, entry_id))
    assert message["payload"]["entries"] == [replaced.json()]

    deleted = await kela.delete(f"/v1/directory/entries/{entry_id}")
    assert deleted.status_code == 204
    message = await eventually(lambda: next_about(sent, entry_id))
    assert message["payload"]["entries"] == []
    assert message["payload"]["removed"] == [entry_id]

    gone = await kela.get(f"/v1/directory/entries/{entry_id}")
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"
    assert await listing(kela, mine) == []
    again_deleted = await kela.delete(f"/v1/directory/entries/{entry_id}")
    assert again_deleted.status_code == 404
    assert again_deleted.json()["type"] == "urn:silta:problem:not-found"

    # Put back after removal: created again, and announced; nothing else was sent about it.
    assert (await put(kela, entry_id, kela_entry())).status_code == 201
    message = await eventually(lambda: next_about(sent, entry_id))
    assert message["payload"]["entries"][0]["hours"] == "Mon-Fri 8-16"
    await asyncio.sleep(0.5)
    assert await next_about(sent, entry_id) is None


async def test_a_county_side_maintains_only_the_counties_it_serves(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    sent = await tap(bus, COUNTY_EXCHANGE, "directory_update.90")
    mine: set[str] = set()
    entry_id, other_county, kela_id = new_ids(mine, 3)
    helsinki = county_entry("90", unit="Sosiaalineuvonta, Helsinki", person_name=None)

    created = await put(municipality, entry_id, helsinki)
    assert created.status_code == 201, created.text
    message = await eventually(lambda: next_about(sent, entry_id))
    assert (message["sender"], message["recipient"]) == ("county-90", "kela")
    assert message["payload"]["entries"][0]["person_name"] is None
    assert await ids(municipality, mine) == {entry_id}

    for new_id, organisation, county in (
        (other_county, "county-05", "05"),
        (kela_id, "kela", "11"),
    ):
        entry = county_entry(county) | {"organisation": organisation}
        refused = await put(municipality, new_id, entry)
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert refused.headers["content-type"] == "application/problem+json"
        assert problem["errors"] == [
            {
                "field": "organisation",
                "rule": "directory.not_maintained_here",
                "message": "organisation must be one of: county-11, county-90",
            }
        ]
    assert await ids(municipality, mine) == {entry_id}


async def test_invalid_entries_get_problem_details_without_echoing_input(
    municipality: httpx.AsyncClient,
) -> None:
    mine: set[str] = set()
    cases = [
        (county_entry(county_code="05"), "", "directory.county_mismatch"),
        (county_entry(description="Client 131052-308T"), "description", "free_text.identity_code"),
        (county_entry(channels=[]), "channels", "too_short"),
        (
            county_entry(channels=[{"type": "phone", "value": "soita"}]),
            "channels.0",
            "channel.phone_format",
        ),
        (county_entry(unit="x" * 201), "unit", "string_too_long"),
        (county_entry(client={"name": "x"}), "body", "extra_forbidden"),
    ]
    for entry, field, rule in cases:
        [entry_id] = new_ids(mine)
        response = await put(municipality, entry_id, entry)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["type"] == "urn:silta:problem:validation"
        assert {"field": field or "body", "rule": rule} in [
            {"field": error["field"], "rule": error["rule"]} for error in problem["errors"]
        ], problem
        assert "131052-308T" not in response.text
    not_an_id = await put(municipality, "not-a-uuid", county_entry())
    assert not_an_id.status_code == 422
    assert await listing(municipality, mine) == []


# --------------------------------------------------------------------------- searching


async def test_search_by_county_service_organisation_and_text_covers_both_parts(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    mine: set[str] = set()
    area_11, area_05, national, county_id = new_ids(mine, 4)
    assert (await put(kela, area_11, kela_entry())).status_code == 201
    team_05 = kela_entry(
        county_code="05",
        unit="Kela, asiakkuusvastaavat, Kanta-Häme",
        person_name="Ville Virkailija",
        role="asiakkuusvastaava (case manager)",
        services=["case_manager_service", "multiprofessional_service"],
        topics=[],
        description=None,
    )
    assert (await put(kela, area_05, team_05)).status_code == 201
    phone_line = kela_entry(
        county_code=None,
        unit="Kela, Yhteyskeskus",
        person_name=None,
        role="toimeentulotuen viranomaislinja (authorities' line)",
        services=["authorities_phone_line"],
        topics=["ÄÄNESTYS"],
        description=None,
    )
    assert (await put(kela, national, phone_line)).status_code == 201

    # A county's part arrives over the bus.
    now = datetime.now(UTC)
    await publish(
        bus, update(stored(county_entry("11"), county_id, now), at=now), sender="county-11"
    )
    await eventually(lambda: _has(kela, mine, county_id))

    assert await ids(kela, mine) == {area_11, area_05, national, county_id}
    assert [item["entry_id"] for item in await listing(kela, mine, county="11")] == [
        national,  # Kela's national contacts come with every county
        area_11,
        county_id,
    ]
    assert await ids(kela, mine, county="05") == {area_05, national}
    assert await ids(kela, mine, service="case_manager_service") == {area_05}
    assert await ids(kela, mine, service="municipal_cooperation") == {area_11, county_id}
    assert await ids(kela, mine, county="11", service="municipal_cooperation") == {
        area_11,
        county_id,
    }
    assert await ids(kela, mine, organisation="county-11") == {county_id}
    assert await ids(kela, mine, organisation="kela") == {area_11, area_05, national}
    assert await ids(kela, mine, q="kaakkois-suomi") == {area_11}
    assert await ids(kela, mine, q="KANTA-HÄME") == {area_05}
    assert await ids(kela, mine, q="äänestys") == {national}
    assert await ids(kela, mine, q="etelä-karjala") == {area_11, county_id}  # the county's name
    assert await ids(kela, mine, q="immigration") == {county_id}
    assert await ids(kela, mine, q="100%_") == set()
    assert len(await listing(kela, limit=2)) == 2
    assert len(await listing(kela, limit=2, offset=2)) == 2

    for params, field in (
        ({"county": "99"}, "query.county"),
        ({"service": "chat"}, "query.service"),
        ({"organisation": "county-5"}, "query.organisation"),
        ({"limit": 0}, "query.limit"),
    ):
        response = await kela.get("/v1/directory", params=params)
        assert response.status_code == 422, params
        assert response.json()["errors"][0]["field"] == field

    catalogue = (await kela.get("/v1/directory/services")).json()["items"]
    assert [item["service"] for item in catalogue] == [
        "municipal_cooperation",
        "multiprofessional_service",
        "case_manager_service",
        "authorities_phone_line",
    ]
    assert all(item["purpose"] and item["refer_when"] for item in catalogue)


async def _has(client: httpx.AsyncClient, mine: set[str], entry_id: str) -> bool:
    return entry_id in await ids(client, mine)
