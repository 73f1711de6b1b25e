"""The contact directory: each side takes the other side's part from the bus, applying each
change only if it is newer, and parks updates from the wrong owner; in-process, on the real
broker and both databases.

Assertions look only at the entries and messages a test made itself (``mine``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from aio_pika.abc import AbstractChannel
from silta_messaging.topology import (
    COUNTY_EXCHANGE,
    REASON_HEADER,
)

from tests.integration.conftest import eventually
from tests.integration.directory_entries import (
    KELA_ENTRY,
    county_entry,
    ids,
    kela_entry,
    new_ids,
    publish,
    put,
    stored,
    update,
)
from tests.integration.peer import parked

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
