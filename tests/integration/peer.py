"""The test as the other side: publishing on the bus as a sender would, reading what a service
sent or parked, and the checks every API shares. One helper per idea for the integration tests."""

from __future__ import annotations

import asyncio
import copy
import uuid
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

import aio_pika
import httpx
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from pydantic import BaseModel
from silta_messaging.topology import (
    COUNTY_EXCHANGE,
    KELA_EXCHANGE,
    REASON_HEADER,
    parking_queue_name,
)
from silta_schemas import examples
from silta_schemas.envelope import seal
from silta_schemas.referrals import referral_adapter

from tests.integration.conftest import body, eventually
from tests.signing import signed_message

M = TypeVar("M", bound=BaseModel)


def changed(example: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``example`` with ``changes`` on top."""
    result = copy.deepcopy(example)
    result.update(changes)
    return result


async def publish(
    bus: AbstractChannel,
    payload: BaseModel,
    *,
    sender: str,
    recipient: str,
    referral_id: UUID | None = None,
    routing_key: str | None = None,
) -> str:
    """Seal ``payload`` and publish it signed, as ``sender``'s side would, on its exchange;
    the routing key is ``<kind>.<county>`` (the sending or receiving county) unless given.
    Return the message id."""
    envelope = seal(payload, sender=sender, recipient=recipient, referral_id=referral_id)
    county = (recipient if sender == "kela" else sender).removeprefix("county-")
    exchange = await bus.get_exchange(KELA_EXCHANGE if sender == "kela" else COUNTY_EXCHANGE)
    await exchange.publish(
        signed_message(
            envelope.to_bytes(),
            message_id=str(envelope.message_id),
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        ),
        routing_key=routing_key or f"{envelope.kind}.{county}",
    )
    return str(envelope.message_id)


def kela_record(model: type[M], example: dict[str, Any], **changes: Any) -> M:
    """A cooperation record as Kela's side sends it: ``example`` to county 90 (the test
    county deployment serves it), recorded now, with ``changes`` (its id among them)."""
    data = copy.deepcopy(example) | {"county_code": "90"}
    return model.model_validate(data | {"recorded_at": datetime.now(UTC).isoformat()} | changes)


async def from_kela(bus: AbstractChannel, record: Any) -> str:
    """Publish a cooperation record to the county it names, as Kela's side would."""
    return await publish(bus, record, sender="kela", recipient=f"county-{record.county_code}")


async def deliver(
    bus: AbstractChannel, request: dict[str, Any] | None = None, routing_key: str | None = None
) -> UUID:
    """Publish a referral (a notice of need unless ``request``) as Kela's side would; return
    the referral id."""
    referral = referral_adapter.validate_python(request or examples.NOTICE_OF_NEED_EXAMPLE)
    referral_id = uuid.uuid4()
    recipient = f"county-{referral.county_code}"
    await publish(
        bus,
        referral,
        sender="kela",
        recipient=recipient,
        referral_id=referral_id,
        routing_key=routing_key,
    )
    return referral_id


async def delivered(
    bus: AbstractChannel, client: httpx.AsyncClient, request: dict[str, Any] | None = None
) -> UUID:
    """``deliver`` a referral and wait until ``client`` (a county's API) shows it."""
    referral_id = await deliver(bus, request)
    await eventually(lambda: in_inbox(client, referral_id))
    return referral_id


async def in_inbox(client: httpx.AsyncClient, referral_id: UUID) -> dict[str, Any] | None:
    """The referral as the county's API shows it, once it is there."""
    response = await client.get(f"/v1/referrals/{referral_id}")
    return response.json() if response.status_code == 200 else None


async def next_message(queue: asyncio.Queue[AbstractIncomingMessage]) -> dict[str, Any] | None:
    """The next message a ``tap`` collected, decoded, or None for now."""
    return None if queue.empty() else body(queue.get_nowait())


def queue_name(client: httpx.AsyncClient) -> str:
    """The inbound queue of the service behind an in-process client."""
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    name: str = transport.app.state.runtime.settings.queue_name  # type: ignore[attr-defined]
    return name


async def parked(
    bus: AbstractChannel, client: httpx.AsyncClient, message_ids: set[str]
) -> dict[str, AbstractIncomingMessage]:
    """The messages with ``message_ids`` from the parking queue of ``client``'s service."""
    queue = await bus.get_queue(parking_queue_name(queue_name(client)))
    found: dict[str, AbstractIncomingMessage] = {}

    async def fetch() -> bool:
        message = await queue.get(fail=False, no_ack=True)
        if message is not None and message.message_id in message_ids:
            found[message.message_id] = message
        return len(found) == len(message_ids)

    await eventually(fetch)
    return found


async def parked_reasons(
    bus: AbstractChannel, client: httpx.AsyncClient, message_ids: set[str]
) -> dict[str, str]:
    """The parking reason of each of ``message_ids`` on ``client``'s service."""
    found = await parked(bus, client, message_ids)
    return {key: str(message.headers[REASON_HEADER]) for key, message in found.items()}


def rules(response: httpx.Response) -> list[tuple[str, str]]:
    """The (field, rule) pairs a problem-details response names."""
    return [(e["field"], e["rule"]) for e in response.json()["errors"]]


def assert_problem(
    response: httpx.Response, status: int, field: str, rule: str, *never: str
) -> None:
    """A problem-details answer (RFC 9457) with ``status`` naming ``field`` and ``rule``, and
    echoing none of ``never`` (input is never echoed)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status
    assert (field, rule) in rules(response)
    for value in never:
        assert value not in response.text


async def assert_refused(
    client: httpx.AsyncClient,
    path: str,
    request: dict[str, Any],
    field: str,
    rule: str,
    *never: str,
) -> None:
    """POSTing ``request`` to ``path`` is refused (422, see ``assert_problem``) and nothing is
    stored: the list at ``path`` stays empty."""
    assert_problem(await client.post(path, json=request), 422, field, rule, *never)
    assert (await client.get(path)).json()["items"] == []


async def assert_idempotent(
    client: httpx.AsyncClient, path: str, request: dict[str, Any], other: dict[str, Any]
) -> None:
    """The Idempotency-Key rule on ``path``: the same key and body returns the first answer,
    the same key with another body is refused, and only one thing is created."""
    headers = {"Idempotency-Key": f"key-{uuid.uuid4().hex[:8]}"}
    first = await client.post(path, json=request, headers=headers)
    again = await client.post(path, json=request, headers=headers)
    reused = await client.post(path, json=other, headers=headers)
    assert first.status_code == 201, first.text
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert reused.status_code == 422
    assert reused.json()["type"].endswith("idempotency-key-reused")
    assert len((await client.get(path)).json()["items"]) == 1
