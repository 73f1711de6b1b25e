"""The contact directory on each side, in-process, on the real broker and both databases.

Each side maintains its own part over its API (and announces every change on the bus) and
takes the other side's part from the bus, applying each change only if it is newer.

Assertions look only at the entries and messages a test made itself (``mine``): whatever
else a shared broker carries must not make them flaky.
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import httpx
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from silta_messaging.topology import (
    COUNTY_EXCHANGE,
    KELA_EXCHANGE,
    REASON_HEADER,
)
from silta_schemas import examples
from silta_schemas.directory import DirectoryUpdate
from silta_schemas.envelope import ALL_COUNTIES, seal

from tests.integration.conftest import body, eventually, tap
from tests.integration.peer import parked
from tests.signing import signed_message

KELA_ENTRY = examples.DIRECTORY_ENTRY_REQUEST_EXAMPLE


def kela_entry(**changes: Any) -> dict[str, Any]:
    entry = copy.deepcopy(KELA_ENTRY)
    entry.update(changes)
    return entry


def county_entry(county: str = "11", **changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "organisation": f"county-{county}",
        "county_code": county,
        "unit": "Aikuissosiaalityö, Lappeenranta",
        "person_name": "Sanna Sosiaalityöntekijä",
        "role": "sosiaalityöntekijä (social worker), Kela contact",
        "channels": [{"type": "email", "value": "aikuissosiaalityo@example.fi", "note": None}],
        "hours": "Mon-Fri 9-15",
        "services": ["municipal_cooperation"],
        "topics": ["immigration services"],
        "description": None,
    }
    entry.update(changes)
    return entry


def stored(entry: dict[str, Any], entry_id: str, updated_at: datetime) -> dict[str, Any]:
    return {**entry, "entry_id": entry_id, "updated_at": updated_at.isoformat()}


def about(message: dict[str, Any]) -> set[str]:
    """The entry ids a directory update message changes or removes."""
    payload = message["payload"]
    return {entry["entry_id"] for entry in payload["entries"]} | set(payload["removed"])


async def next_about(
    queue: asyncio.Queue[AbstractIncomingMessage], entry_id: str
) -> dict[str, Any] | None:
    """The next message on ``queue`` about ``entry_id``; others are dropped."""
    while not queue.empty():
        message = body(queue.get_nowait())
        if entry_id in about(message):
            return message
    return None


async def put(client: httpx.AsyncClient, entry_id: str, entry: dict[str, Any]) -> httpx.Response:
    return await client.put(f"/v1/directory/entries/{entry_id}", json=entry)


async def listing(
    client: httpx.AsyncClient, mine: set[str] | None = None, **params: Any
) -> list[dict[str, Any]]:
    """``GET /v1/directory`` with ``params``; only the entries in ``mine``, if given."""
    response = await client.get("/v1/directory", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return [item for item in items if mine is None or item["entry_id"] in mine]


async def ids(client: httpx.AsyncClient, mine: set[str], **params: Any) -> set[str]:
    return {item["entry_id"] for item in await listing(client, mine, **params)}


def new_ids(mine: set[str], count: int = 1) -> list[str]:
    created = [str(uuid.uuid4()) for _ in range(count)]
    mine.update(created)
    return created


async def publish(
    bus: AbstractChannel,
    payload: dict[str, Any],
    *,
    sender: str,
    message_id: uuid.UUID | None = None,
    envelope_changes: dict[str, Any] | None = None,
    exchange_name: str | None = None,
    encrypt_to: str | None = None,
) -> str:
    """Publish a directory update straight on the bus, as the other side (or an impostor):
    on Kela's exchange if Kela is the sender, else on the counties'; encrypted to its
    recipient, or to ``encrypt_to``."""
    update = DirectoryUpdate.model_validate(payload)
    recipient = ALL_COUNTIES if sender == "kela" else "kela"
    sealed = json.loads(
        seal(update, sender=sender, recipient=recipient, message_id=message_id).to_bytes()
    )
    sealed.update(envelope_changes or {})
    if exchange_name is None:
        exchange_name = KELA_EXCHANGE if sender == "kela" else COUNTY_EXCHANGE
    key = "directory_update.all" if exchange_name == KELA_EXCHANGE else "directory_update.11"
    exchange = await bus.get_exchange(exchange_name)
    await exchange.publish(
        signed_message(
            json.dumps(sealed).encode(),
            encrypt_to=encrypt_to,
            message_id=sealed["message_id"],
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        ),
        routing_key=key,
    )
    return str(sealed["message_id"])


def update(*entries: dict[str, Any], removed: tuple[str, ...] = (), at: datetime) -> dict[str, Any]:
    return {
        "kind": "directory_update",
        "entries": list(entries),
        "removed": list(removed),
        "changed_at": at.isoformat(),
    }


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


# --------------------------------------------------------------------------- the other part


async def test_kela_updates_apply_in_order_per_entry_on_the_county_side(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    mine: set[str] = set()
    entry_id, marker_id = new_ids(mine, 2)
    t0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    newer = stored(kela_entry(hours="newer"), entry_id, t0 + timedelta(minutes=2))
    older = stored(kela_entry(hours="older"), entry_id, t0 + timedelta(minutes=1))

    async def marker(n: int) -> None:
        """A barrier: the queue is FIFO, so once this is applied everything before it is."""
        at = t0 + timedelta(minutes=n)
        await publish(
            bus, update(stored(kela_entry(unit=f"m{n}"), marker_id, at), at=at), sender="kela"
        )
        await eventually(lambda: _unit(municipality, marker_id, f"m{n}"))

    message_id = uuid.uuid4()
    await publish(bus, update(newer, at=t0), sender="kela", message_id=message_id)
    await publish(bus, update(older, at=t0), sender="kela")  # late: ignored
    await publish(bus, update(newer, at=t0), sender="kela", message_id=message_id)  # repeated
    await marker(10)
    view = (await municipality.get(f"/v1/directory/entries/{entry_id}")).json()
    assert view["hours"] == "newer"

    # A removal older than the entry is ignored; a newer one removes it.
    await publish(bus, update(removed=(entry_id,), at=t0), sender="kela")
    await marker(11)
    assert await ids(municipality, mine) == {entry_id, marker_id}
    await publish(bus, update(removed=(entry_id,), at=t0 + timedelta(minutes=3)), sender="kela")
    await marker(12)
    assert await ids(municipality, mine) == {marker_id}
    # ... and a change older than the removal, arriving late, does not bring it back.
    await publish(bus, update(newer, at=t0), sender="kela")
    await marker(13)
    assert await ids(municipality, mine) == {marker_id}

    # The county side cannot change Kela's part.
    refused = await put(municipality, marker_id, county_entry("11"))
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"] == "urn:silta:problem:directory-entry-maintained-elsewhere"
    assert (await municipality.delete(f"/v1/directory/entries/{marker_id}")).status_code == 409
    assert await _unit(municipality, marker_id, "m13")


async def _unit(client: httpx.AsyncClient, entry_id: str, unit: str) -> bool:
    response = await client.get(f"/v1/directory/entries/{entry_id}")
    return response.status_code == 200 and response.json()["unit"] == unit


async def test_updates_from_the_wrong_owner_are_parked(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    mine: set[str] = set()
    kela_id, stolen, impostor_id = new_ids(mine, 3)
    assert (await put(kela, kela_id, kela_entry())).status_code == 201
    now = datetime.now(UTC)
    expected: dict[str, str] = {}

    # County 05 sends county 11's entry: refused on opening the envelope.
    message_id = await publish(
        bus,
        update(stored(county_entry("11"), stolen, now), at=now),
        sender="county-11",
        envelope_changes={"sender": "county-05"},
    )
    expected[message_id] = "directory.wrong_owner"
    # County 11 sends an entry of its own under the id of Kela's entry: refused by the handler.
    hijack = update(stored(county_entry("11"), kela_id, now), at=now)
    expected[await publish(bus, hijack, sender="county-11")] = "directory.wrong_owner"
    # ... or removes it.
    removal = update(removed=(kela_id,), at=now)
    expected[await publish(bus, removal, sender="county-11")] = "directory.wrong_owner"
    # Kela's update to the counties, sent where Kela reads: encrypted to the counties, Kela
    # cannot even open it ...
    impostor = update(stored(kela_entry(), impostor_id, now), at=now)
    message_id = await publish(bus, impostor, sender="kela", exchange_name=COUNTY_EXCHANGE)
    expected[message_id] = "message.unknown_encryption_key"
    # ... and encrypted to Kela, it is still not for this side.
    message_id = await publish(
        bus, impostor, sender="kela", exchange_name=COUNTY_EXCHANGE, encrypt_to="kela"
    )
    expected[message_id] = "directory.not_for_this_side"

    found = await parked(bus, kela, set(expected))
    assert {key: message.headers[REASON_HEADER] for key, message in found.items()} == expected
    assert await ids(kela, mine) == {kela_id}
    view = (await kela.get(f"/v1/directory/entries/{kela_id}")).json()
    assert view["organisation"] == "kela"
    assert view["unit"] == KELA_ENTRY["unit"]
