"""Payloads on the real broker are encrypted to their recipient organisation: another reader of
the vhost sees no client data; what a side cannot decrypt is parked with its reason and the
consumer goes on; during a rotation messages to the old and the new key are both read."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from municipality_side.main import build_app as build_municipality
from nacl.public import PrivateKey
from silta_messaging import sealing
from silta_messaging.topology import KELA_EXCHANGE
from silta_platform.dev_tokens import DevIssuer
from silta_schemas import examples
from silta_schemas.envelope import seal
from silta_schemas.referrals import referral_adapter

from tests import signing
from tests.conftest import delete_queues, migrate
from tests.integration.conftest import MUNICIPALITY_MIGRATIONS, eventually, tap
from tests.integration.directory_entries import about
from tests.integration.test_signing import (
    municipality_settings,
    publish,
    running,
    stored,
    take_parked,
)

NOTICE = examples.NOTICE_OF_NEED_EXAMPLE
SECRETS = (
    examples.EXAMPLE_IDENTITY_CODE,
    NOTICE["description"],
    NOTICE["client"]["contact"]["phone"],
)


def notice_envelope() -> tuple[UUID, bytes]:
    """A notice of need to county 11 as Kela seals it (in clear): its referral id and body."""
    referral = referral_adapter.validate_python(copy.deepcopy(NOTICE))
    referral_id = uuid.uuid4()
    envelope = seal(referral, sender="kela", recipient="county-11", referral_id=referral_id)
    return referral_id, envelope.to_bytes()


def sealed_to(body: bytes, key: tuple[str, PrivateKey], *, clear_of: bytes | None = None) -> bytes:
    """``body`` encrypted to the key ``(key id, private key)`` only, with the clear fields of
    the envelope ``clear_of`` (default: its own)."""
    recipient = sealing.RecipientKey(key[0], frozenset({"county-11"}), key[1].public_key)
    return sealing.seal(body, sealing.clear_of(clear_of or body), [recipient])


def readable(message: AbstractIncomingMessage) -> str:
    """Everything a broker user reads of ``message``: its body and headers as text."""
    return message.body.decode("utf-8", "replace") + repr(message.headers)


async def test_a_referral_and_a_directory_update_are_unreadable_on_the_broker(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    """Any reader of the vhost (here a raw aio-pika consumer bound to Kela's exchange) gets
    ciphertext: no identity code, description, phone number or staff name; the county's
    key opens the same bytes."""
    notices = await tap(bus, KELA_EXCHANGE, "notice_of_need.11")
    broadcasts = await tap(bus, KELA_EXCHANGE, "directory_update.all")
    created = await kela.post("/v1/referrals", json=NOTICE)
    assert created.status_code == 201, created.text
    entry = copy.deepcopy(examples.DIRECTORY_ENTRY_REQUEST_EXAMPLE)
    entry_id = str(uuid.uuid4())
    put = await kela.put(f"/v1/directory/entries/{entry_id}", json=entry)
    assert put.status_code == 201, put.text

    message = await eventually(lambda: _next(notices))
    seen = readable(message)
    for secret in SECRETS:
        assert secret not in seen
    clear = json.loads(message.body)
    assert clear["format"] == sealing.FORMAT
    assert [r["key_id"] for r in clear["recipients"]] == [signing.COUNTY_ENCRYPTION[0]]
    # Only the county can read it, and it is the referral.
    opened = sealing.Unsealer(dict([signing.COUNTY_ENCRYPTION])).open(message.body)
    envelope = json.loads(opened.body)
    assert envelope["referral_id"] == created.json()["id"]
    assert envelope["payload"]["client"]["identity_code"] == examples.EXAMPLE_IDENTITY_CODE

    update = await eventually(lambda: _about(broadcasts, entry_id))
    for secret in (entry["person_name"], entry["channels"][0]["value"]):
        assert secret not in readable(update)
    assert json.loads(update.body)["recipient"] == "counties"
    # Encrypted to every county key (both test counties share one key): it opens there.
    county = sealing.Unsealer(dict([signing.COUNTY_ENCRYPTION])).open(update.body)
    assert json.loads(county.body)["payload"]["entries"][0]["person_name"] == entry["person_name"]


async def _next(queue: Any) -> AbstractIncomingMessage | None:
    return None if queue.empty() else queue.get_nowait()  # type: ignore[no-any-return]


async def _about(queue: Any, entry_id: str) -> AbstractIncomingMessage | None:
    while not queue.empty():
        message: AbstractIncomingMessage = queue.get_nowait()
        if about(signing.opened(message.body)) == {entry_id}:
            return message
    return None


def _tamper(document: bytes, field: str) -> bytes:
    """``document`` with one bit of ``field`` (``ciphertext``, or the first ``sealed_key``)
    flipped: still well-formed, but no longer what was encrypted."""
    parsed = json.loads(document)
    holder = parsed["recipients"][0] if field == "sealed_key" else parsed
    raw = bytearray(base64.b64decode(holder[field]))
    raw[len(raw) // 2] ^= 0x01
    holder[field] = base64.b64encode(bytes(raw)).decode()
    return json.dumps(parsed).encode()


async def test_what_cannot_be_decrypted_is_parked_with_its_reason_and_the_consumer_goes_on(
    dev_issuer: DevIssuer, tmp_path: Path, amqp_url: str, bus: AbstractChannel
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'municipality.db'}"
    await migrate(MUNICIPALITY_MIGRATIONS, database_url)
    queue = f"test.encryption.{uuid.uuid4().hex[:8]}"
    stranger = ("stranger-enc-1", PrivateKey.generate())
    try:
        async with running(
            build_municipality(municipality_settings(database_url, amqp_url, queue)), dev_issuer
        ) as municipality:
            cases: dict[str, tuple[bytes, str]] = {}
            _, body = notice_envelope()
            cases["in-clear"] = (body, sealing.NOT_ENCRYPTED)
            _, body = notice_envelope()
            cases["unknown-key"] = (sealed_to(body, stranger), sealing.UNKNOWN_ENCRYPTION_KEY)
            _, body = notice_envelope()
            cases["tampered-ciphertext"] = (
                _tamper(signing.seal(body), "ciphertext"),
                sealing.UNDECRYPTABLE,
            )
            _, body = notice_envelope()
            cases["tampered-key"] = (
                _tamper(signing.seal(body), "sealed_key"),
                sealing.UNDECRYPTABLE,
            )
            # The clear fields say one message, the encrypted envelope another.
            _, body = notice_envelope()
            _, other = notice_envelope()
            mismatch = sealed_to(body, signing.COUNTY_ENCRYPTION, clear_of=other)
            cases["mismatch"] = (mismatch, sealing.ENVELOPE_MISMATCH)
            for name, (document, _) in cases.items():
                # Properly signed by Kela: the signature holds, the content does not open.
                await publish(bus, document, signing.sign_headers(document, "kela"), name)
            valid_id, valid = notice_envelope()
            sealed = signing.seal(valid)
            await publish(bus, sealed, signing.sign_headers(sealed, "kela"), "valid")

            parked = await take_parked(bus, queue, len(cases))
            assert {m.message_id: m.headers["x-silta-reason"] for m in parked} == {
                name: reason for name, (_, reason) in cases.items()
            }
            for message in parked:
                assert message.body == cases[str(message.message_id)][0], "parked as received"
                assert examples.EXAMPLE_IDENTITY_CODE not in message.headers["x-silta-detail"]
            view = await eventually(lambda: stored(municipality, valid_id))
            assert view["status"] == "delivered"
    finally:
        await delete_queues(amqp_url, queue, f"{queue}.cw")


async def test_rotation_messages_to_the_old_and_the_new_key_are_both_read(
    dev_issuer: DevIssuer, tmp_path: Path, amqp_url: str, bus: AbstractChannel
) -> None:
    """The county adds a new key beside the old one (both private keys held, both public
    keys in the registry): messages encrypted to either are accepted; once it drops the old
    private key, a message still encrypted to it is parked as an unknown encryption key."""
    old = ("county-enc-old", PrivateKey.generate())
    new = ("county-enc-new", PrivateKey.generate())
    counties = signing.COUNTY_ORGANISATIONS
    registry = json.loads(signing.registry(without=(signing.COUNTY_ENCRYPTION[0],)))
    registry[old[0]] = sealing.registry_entry(
        counties, old[1], datetime.now(UTC) - timedelta(days=30)
    )
    registry[new[0]] = sealing.registry_entry(
        counties, new[1], datetime.now(UTC) - timedelta(days=1)
    )
    keys = sealing.RecipientKeys.from_json(json.dumps(registry))
    assert keys.current("county-11", datetime.now(UTC)).key_id == new[0]  # type: ignore[union-attr]
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'municipality.db'}"
    await migrate(MUNICIPALITY_MIGRATIONS, database_url)
    queue = f"test.enc-rotation.{uuid.uuid4().hex[:8]}"

    def county(*held: tuple[str, PrivateKey]) -> Any:
        settings = municipality_settings(
            database_url,
            amqp_url,
            queue,
            trusted_keys=json.dumps(registry),
            decryption_keys=signing.decryption_keys(*held),
        )
        return build_municipality(settings)

    def to(key: tuple[str, PrivateKey]) -> tuple[UUID, bytes, dict[str, str]]:
        """A notice encrypted to ``key``, and Kela's signature headers for it."""
        referral_id, body = notice_envelope()
        document = sealed_to(body, key)
        return referral_id, document, signing.sign_headers(document, "kela", signing.facts_of(body))

    try:
        async with running(county(old, new), dev_issuer) as municipality:
            sent = {key[0]: to(key) for key in (old, new)}
            for key_id, (_, document, headers) in sent.items():
                await publish(bus, document, headers, f"to-{key_id}")
            for referral_id, _, _ in sent.values():
                view = await eventually(lambda: stored(municipality, referral_id))  # noqa: B023
                assert view["status"] == "delivered"
        async with running(county(new), dev_issuer) as municipality:
            late_id, late, late_headers = to(old)
            await publish(bus, late, late_headers, "late-to-old")
            [parked] = await take_parked(bus, queue, 1)
            assert parked.headers["x-silta-reason"] == sealing.UNKNOWN_ENCRYPTION_KEY
            assert await stored(municipality, late_id) is None
    finally:
        await delete_queues(amqp_url, queue, f"{queue}.cw")
