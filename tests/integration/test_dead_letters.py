"""Dead letters, for operations: list, show, requeue (validated again on the normal path) and
discard parked messages, over the API and as a command, on the real broker and both
databases; each action in the access log. Kela is played on the bus."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import aio_pika
import httpx
from aio_pika.abc import AbstractChannel
from municipality_side.db.tables import access_log, status_history
from silta_messaging.topology import parking_queue_name
from silta_platform.auth import MUNICIPALITY_AUDIENCE
from silta_platform.dev_tokens import DevIssuer
from silta_platform.runtime import Runtime
from silta_schemas import examples
from silta_schemas.cancellation import Cancellation
from silta_schemas.referrals import referral_adapter
from sqlalchemy import select

from tests.integration.conftest import eventually
from tests.integration.peer import in_inbox, publish

SECRET = "Sent in error by Matti Meikäläinen."
ENTRIES = access_log.entries


async def _cancel(bus: AbstractChannel, referral_id: UUID) -> str:
    payload = Cancellation(kind="cancellation", cancelled_at=datetime.now(UTC), reason=SECRET)
    return await publish(
        bus, payload, sender="kela", recipient="county-11", referral_id=referral_id
    )


def _runtime(client: httpx.AsyncClient) -> Runtime:
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    runtime: Runtime = transport.app.state.runtime  # type: ignore[attr-defined]
    return runtime


async def _all_parked(client: httpx.AsyncClient, count: int) -> None:
    """Wait until ``count`` messages are parked from ``client``'s general queue, counted
    apart: a listing while a message is being parked may put that one first."""
    name = parking_queue_name(_runtime(client).settings.queue_name)  # type: ignore[attr-defined]

    async def counted() -> bool:
        async with await aio_pika.connect(_runtime(client).settings.amqp_url) as connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(name, passive=True)
            return queue.declaration_result.message_count == count

    await eventually(counted)


async def _parked(
    bus: AbstractChannel, client: httpx.AsyncClient, ops: dict[str, str], count: int
) -> list[Any]:
    """The general queue's parked messages, once ``count`` are there."""
    await _all_parked(client, count)
    answer = await client.get("/v1/ops/dead-letters", headers=ops)
    assert answer.status_code == 200, answer.text
    assert SECRET not in answer.text
    messages: list[Any] = answer.json()["queues"][0]["messages"]
    return messages


async def test_operations_lists_shows_requeues_and_discards_parked_messages(
    municipality: httpx.AsyncClient, bus: AbstractChannel, dev_issuer: DevIssuer
) -> None:
    ops = {
        "authorization": "Bearer "
        + dev_issuer.mint(
            roles=["operations"], org="county-11", audience=MUNICIPALITY_AUDIENCE, subject="op-anna"
        )
    }
    referrals = [uuid.uuid4() for _ in range(3)]  # cancellations of referrals not here yet
    ids = [await _cancel(bus, referral_id) for referral_id in referrals]
    first, second, third = ids
    parked = await _parked(bus, municipality, ops, 3)
    assert [m["message_id"] for m in parked] == ids  # oldest first
    assert {(m["reason"], m["original_routing_key"]) for m in parked} == {
        ("referral.unknown", "cancellation.11")
    }
    assert all(m["parked_at"] for m in parked)

    shown = await municipality.get(f"/v1/ops/dead-letters/{first}", headers=ops)
    assert shown.status_code == 200, shown.text
    assert shown.json()["message_id"] == first
    assert SECRET not in shown.text
    missing = await municipality.get(f"/v1/ops/dead-letters/{uuid.uuid4()}", headers=ops)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"

    # the cause fixed (the referral arrives), the first cancellation requeued: it applies once
    referral = referral_adapter.validate_python(examples.NOTICE_OF_NEED_EXAMPLE)
    await publish(bus, referral, sender="kela", recipient="county-11", referral_id=referrals[0])
    await eventually(lambda: in_inbox(municipality, referrals[0]))
    requeued = await municipality.post(f"/v1/ops/dead-letters/{first}/requeue", headers=ops)
    assert requeued.status_code == 200, requeued.text
    assert requeued.json()["action"] == "requeue"

    async def cancelled() -> bool:
        view = await in_inbox(municipality, referrals[0])
        return view is not None and view["status"] == "cancelled"

    await eventually(cancelled)
    # requeued without a fix: validated again, and parked again with its reason
    again = await municipality.post(f"/v1/ops/dead-letters/{third}/requeue", headers=ops)
    assert again.status_code == 200, again.text
    gone = await municipality.delete(f"/v1/ops/dead-letters/{second}", headers=ops)
    assert gone.status_code == 200, gone.text
    assert (
        await municipality.delete(f"/v1/ops/dead-letters/{second}", headers=ops)
    ).status_code == 404

    left = await _parked(bus, municipality, ops, 1)
    assert [(m["message_id"], m["reason"], m["original_routing_key"]) for m in left] == [
        (third, "referral.unknown", "cancellation.11")
    ]
    engine = _runtime(municipality).engine
    async with engine.connect() as conn:
        changes = (
            await conn.execute(
                select(status_history.c.status).where(
                    status_history.c.referral_id == str(referrals[0])
                )
            )
        ).all()
        logged = (
            await conn.execute(
                select(
                    ENTRIES.c.subject,
                    ENTRIES.c.role,
                    ENTRIES.c.action,
                    ENTRIES.c.resource_id,
                    ENTRIES.c.client_key,
                )
                .where(ENTRIES.c.resource == "dead_letter")
                .order_by(ENTRIES.c.seq)
            )
        ).all()
    assert [row.status for row in changes].count("cancelled") == 1  # processed once
    assert {(row.subject, row.role, row.client_key) for row in logged} == {
        ("op-anna", "operations", None)
    }
    actions = [(row.action, row.resource_id) for row in logged]
    assert ("read", first) in actions
    assert ("requeue", first) in actions
    assert ("requeue", third) in actions
    assert ("discard", second) in actions
    assert ("search", None) in actions


async def _command(client: httpx.AsyncClient, *argv: str) -> tuple[int, Any]:
    settings = _runtime(client).settings
    prefix = "MUNICIPALITY_SIDE_"
    env = os.environ | {
        f"{prefix}DATABASE_URL": settings.database_url,
        f"{prefix}AMQP_URL": settings.amqp_url,
        f"{prefix}QUEUE_NAME": settings.queue_name,  # type: ignore[attr-defined]
        f"{prefix}CHILD_WELFARE_QUEUE_NAME": settings.child_welfare_queue_name,  # type: ignore[attr-defined]
        f"{prefix}COUNTIES": "11,90",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "municipality_side.ops",
        "dead-letters",
        *argv,
        "--actor",
        "op-ville",
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    return process.returncode or 0, json.loads(out)


async def test_the_operations_command_does_the_same(
    municipality: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    ids = [await _cancel(bus, uuid.uuid4()) for _ in range(2)]

    await _all_parked(municipality, 2)
    code, queues = await _command(municipality, "list")
    assert code == 0
    listed = queues[0]["messages"]
    assert [m["message_id"] for m in listed] == ids
    assert SECRET not in json.dumps(listed)
    code, shown = await _command(municipality, "show", ids[0])
    assert (code, shown["reason"]) == (0, "referral.unknown")
    code, _ = await _command(municipality, "discard", ids[0])
    assert code == 0
    code, _ = await _command(municipality, "discard", ids[0])
    assert code == 1  # gone
    code, queues = await _command(municipality, "list")
    assert [m["message_id"] for m in queues[0]["messages"]] == ids[1:]  # the other untouched
    async with _runtime(municipality).engine.connect() as conn:
        logged = (
            await conn.execute(
                select(ENTRIES.c.subject, ENTRIES.c.action, ENTRIES.c.resource_id).where(
                    ENTRIES.c.resource == "dead_letter"
                )
            )
        ).all()
    assert ("op-ville", "discard", ids[0]) in [tuple(row) for row in logged]
