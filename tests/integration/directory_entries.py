"""Contact directory test data: entries of each side's part, reading a side's directory
over its API, and directory updates published straight on the bus as the other side."""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from datetime import datetime
from typing import Any

import aio_pika
import httpx
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from silta_messaging.topology import (
    COUNTY_EXCHANGE,
    KELA_EXCHANGE,
)
from silta_schemas import examples
from silta_schemas.directory import DirectoryUpdate
from silta_schemas.envelope import ALL_COUNTIES, seal

from tests.integration.conftest import body
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
