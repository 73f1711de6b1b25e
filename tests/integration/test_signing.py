"""Message authenticity on the real broker: what is refused is parked with its reason, the
consumer goes on, a redelivery is absorbed, and keys rotate without losing a message."""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import aio_pika
import httpx
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from kela_side.main import build_app as build_kela
from kela_side.settings import KelaSettings
from municipality_side.main import build_app as build_municipality
from municipality_side.settings import MunicipalitySettings
from silta_messaging.signing import KEY_ID_HEADER, SIGNATURE_HEADER, Signer, private_key_text
from silta_messaging.statement import STATEMENT_HEADER
from silta_messaging.topology import KELA_EXCHANGE
from silta_platform.dev_tokens import DevIssuer
from silta_schemas import examples
from silta_schemas.envelope import seal
from silta_schemas.identity import control_character
from silta_schemas.referrals import referral_adapter

from tests import signing
from tests.conftest import delete_queues, full_access_token, migrate, serving
from tests.integration.conftest import KELA_MIGRATIONS, MUNICIPALITY_MIGRATIONS, eventually

ROUTING_KEY = "notice_of_need.11"


def notice(created_at: datetime | None = None) -> tuple[UUID, bytes]:
    """A notice of need as Kela sends it: its referral id and its body (encrypted to the
    county, not signed yet)."""
    referral = referral_adapter.validate_python(copy.deepcopy(examples.NOTICE_OF_NEED_EXAMPLE))
    referral_id = uuid.uuid4()
    envelope = seal(
        referral,
        sender="kela",
        recipient="county-11",
        referral_id=referral_id,
        created_at=created_at,
    )
    return referral_id, signing.seal(envelope.to_bytes())


async def publish(
    bus: AbstractChannel, body: bytes, headers: dict[str, Any], message_id: str
) -> None:
    exchange = await bus.get_exchange(KELA_EXCHANGE)
    await exchange.publish(
        aio_pika.Message(
            body,
            headers=headers,
            message_id=message_id,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        ),
        routing_key=ROUTING_KEY,
    )


async def stored(client: httpx.AsyncClient, referral_id: UUID) -> dict[str, Any] | None:
    response = await client.get(f"/v1/referrals/{referral_id}")
    return response.json() if response.status_code == 200 else None


async def take_parked(
    bus: AbstractChannel, queue_name: str, count: int
) -> list[AbstractIncomingMessage]:
    queue = await bus.get_queue(f"{queue_name}.parked")
    taken: list[AbstractIncomingMessage] = []

    async def enough() -> bool:
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            taken.append(message)
        return len(taken) >= count

    await eventually(enough)
    return taken


def municipality_settings(database_url: str, amqp_url: str, queue: str, **more: Any) -> Any:
    return MunicipalitySettings(
        database_url=database_url,
        amqp_url=amqp_url,
        counties="11,90",
        queue_name=queue,
        child_welfare_queue_name=f"{queue}.cw",
        relay_poll_seconds=0.2,
        **more,
    )


@asynccontextmanager
async def running(app: Any, issuer: DevIssuer) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(app, full_access_token(issuer, app.state.side)) as client:
        await eventually(lambda: _ready(client))
        yield client


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200


def signed_by(signer: Signer, body: bytes) -> dict[str, str]:
    """``signer``'s headers for ``body``, naming the facts of the envelope encrypted in it."""
    return signer.headers(body, signing.facts_of(body))


async def test_unsigned_forged_unknown_wrong_sender_mismatched_and_stale_messages_are_parked(
    dev_issuer: DevIssuer, tmp_path: Path, amqp_url: str, bus: AbstractChannel
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'municipality.db'}"
    await migrate(MUNICIPALITY_MIGRATIONS, database_url)
    queue = f"test.signing.{uuid.uuid4().hex[:8]}"
    window = 4.0
    settings = municipality_settings(database_url, amqp_url, queue, message_max_age_seconds=window)
    stranger = Signer("stranger-1", Ed25519PrivateKey.generate())
    try:
        async with running(build_municipality(settings), dev_issuer) as municipality:
            valid_id, valid = notice()
            valid_headers = signing.sign_headers(valid, "kela")
            _, unsigned = notice()
            tampered_id, original = notice()
            # the same envelope encrypted anew: not the bytes the signature covers
            tampered = signing.seal(json.dumps(signing.opened(original)).encode())
            _, unknown = notice()
            _, wrong_sender = notice()
            _, stale = notice(created_at=datetime.now(UTC) - timedelta(hours=1))
            _, future = notice(created_at=datetime.now(UTC) + timedelta(hours=1))
            _, mismatched = notice()  # signed by Kela, but for another county than it goes to
            other_county = replace(signing.facts_of(mismatched), recipient="county-90")
            expected = {
                "unsigned": (unsigned, {}, "signature.missing"),
                "tampered": (tampered, signing.sign_headers(original, "kela"), "signature.invalid"),
                "unknown": (
                    unknown,
                    signed_by(stranger, unknown),
                    "signature.unknown_key",
                ),
                # the county's key signs for the counties, not for Kela
                "wrong-sender": (
                    wrong_sender,
                    signing.sign_headers(wrong_sender, "county-11"),
                    "signature.wrong_sender",
                ),
                "stale": (stale, signing.sign_headers(stale, "kela"), "message.outside_window"),
                "future": (future, signing.sign_headers(future, "kela"), "message.outside_window"),
                "mismatched": (
                    mismatched,
                    signing.KELA.headers(mismatched, other_county),
                    "signature.statement_mismatch",
                ),
            }
            for name, (body, headers, _) in expected.items():
                await publish(bus, body, headers, name)
            await publish(bus, valid, valid_headers, "valid")

            parked = await take_parked(bus, queue, len(expected))
            assert {m.message_id: m.headers["x-silta-reason"] for m in parked} == {
                name: reason for name, (_, _, reason) in expected.items()
            }
            for message in parked:
                body, headers, _ = expected[str(message.message_id)]
                assert message.body == body, "parked exactly as received"
                for header in (STATEMENT_HEADER, KEY_ID_HEADER, SIGNATURE_HEADER):  # verifiable
                    assert message.headers.get(header) == headers.get(header)
            # The valid one was processed: the consumer went on.
            view = await eventually(lambda: stored(municipality, valid_id))
            assert view["status"] == "delivered"
            assert await stored(municipality, tampered_id) is None

            # Past the window the broker hands the processed message over again (an ack
            # lost, a relay that republished): absorbed by the inbox, neither parked nor
            # applied twice.
            await asyncio.sleep(window + 0.5)
            await publish(bus, valid, valid_headers, "valid-again")
            sentinel_id, sentinel = notice()
            await publish(bus, sentinel, signing.sign_headers(sentinel, "kela"), "sentinel")
            await eventually(lambda: stored(municipality, sentinel_id))
            late = await take_parked(bus, queue, 0)
            assert [(m.message_id, m.headers) for m in late] == []
            view = await stored(municipality, valid_id)
            assert view is not None
            assert [c["status"] for c in view["history"]] == ["delivered"]

            # The same message id with another body, even properly signed, is no redelivery:
            # a replay or a forgery. Parked, never applied.
            envelope = signing.opened(valid)
            envelope["payload"]["urgency"] = "urgent"
            reused = signing.seal(json.dumps(envelope).encode())
            await publish(bus, reused, signing.sign_headers(reused, "kela"), "reused")
            [parked_reuse] = await take_parked(bus, queue, 1)
            assert parked_reuse.headers["x-silta-reason"] == "message.id_reused"
            view = await stored(municipality, valid_id)
            assert view is not None
            assert view["urgency"] == "normal"
    finally:
        await delete_queues(amqp_url, queue, f"{queue}.cw")


async def test_key_rotation_end_to_end(
    tmp_path: Path, amqp_url: str, bus: AbstractChannel, dev_issuer: DevIssuer
) -> None:
    """Kela rotates its key: the counties trust old and new during the overlap, Kela switches
    its signing key id, both keys' messages are accepted; once the old key is removed from
    the registry, a message signed with it is parked as an unknown key."""
    old = Signer("kela-rotation-old", Ed25519PrivateKey.generate())
    new = Signer("kela-rotation-new", Ed25519PrivateKey.generate())
    kela_only = frozenset({"kela"})
    overlap = signing.registry((old, kela_only), (new, kela_only))
    after = signing.registry((new, kela_only))
    municipality_db = f"sqlite+aiosqlite:///{tmp_path / 'municipality.db'}"
    await migrate(MUNICIPALITY_MIGRATIONS, municipality_db)
    clients = (f"010180-{n:03d}{control_character(f'010180{n:03d}')}" for n in range(2, 900))
    kela_queue = f"test.rotation-kela.{uuid.uuid4().hex[:8]}"
    municipality_queue = f"test.rotation-municipality.{uuid.uuid4().hex[:8]}"

    async def kela_settings(signer: Signer) -> KelaSettings:
        # A database per start: a restarted relay would wait for its old lease to expire.
        kela_db = f"sqlite+aiosqlite:///{tmp_path / uuid.uuid4().hex}.db"
        await migrate(KELA_MIGRATIONS, kela_db)
        return KelaSettings(
            database_url=kela_db,
            amqp_url=amqp_url,
            queue_name=kela_queue,
            relay_poll_seconds=0.2,
            signing_key_id=signer.key_id,
            signing_key=private_key_text(signer.key),
        )

    def county_settings(trusted: str) -> Any:
        return municipality_settings(
            municipality_db, amqp_url, municipality_queue, trusted_keys=trusted
        )

    async def send_and_deliver(kela: httpx.AsyncClient) -> str:
        body = copy.deepcopy(examples.NOTICE_OF_NEED_EXAMPLE)
        body["client"]["identity_code"] = next(clients)  # not a duplicate of an open one
        response = await kela.post("/v1/referrals", json=body)
        assert response.status_code == 201, response.text
        referral_id: str = response.json()["id"]

        async def delivered() -> bool:
            view = (await kela.get(f"/v1/referrals/{referral_id}")).json()
            return bool(view["status"] == "delivered")

        await eventually(delivered)
        return referral_id

    try:
        async with running(
            build_municipality(county_settings(overlap)), dev_issuer
        ) as municipality:
            async with running(build_kela(await kela_settings(old)), dev_issuer) as kela:
                await send_and_deliver(kela)
            async with running(build_kela(await kela_settings(new)), dev_issuer) as kela:
                await send_and_deliver(kela)
            # a message signed with the old key still in the queue after the switch: accepted
            # during the overlap (remove the old key only once the queues are drained)
            in_flight_id, in_flight = notice()
            await publish(bus, in_flight, signed_by(old, in_flight), "in-flight-old")
            await eventually(lambda: stored(municipality, in_flight_id))
        async with running(build_municipality(county_settings(after)), dev_issuer) as municipality:
            refused_id, refused = notice()
            await publish(bus, refused, signed_by(old, refused), "after-removal-old")
            [parked] = await take_parked(bus, municipality_queue, 1)
            assert (parked.message_id, parked.headers["x-silta-reason"]) == (
                "after-removal-old",
                "signature.unknown_key",
            )
            assert await stored(municipality, refused_id) is None
            accepted_id, accepted = notice()
            await publish(
                bus,
                accepted,
                signed_by(new, accepted),
                "after-removal-new",
            )
            await eventually(lambda: stored(municipality, accepted_id))
    finally:
        await delete_queues(amqp_url, kela_queue, municipality_queue, f"{municipality_queue}.cw")
