"""The Kela side's API and consumer, in-process, on the real broker, SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
from aio_pika.abc import AbstractChannel
from kela_side.db.tables import messaging
from kela_side.main import build_app
from kela_side.settings import KelaSettings
from silta_messaging.consumer import REASON_HEADER
from silta_messaging.topology import KELA_EXCHANGE
from silta_platform.authorisation import Side
from silta_platform.dev_tokens import DevIssuer
from silta_schemas import examples
from silta_schemas.status import StatusAcknowledgement
from sqlalchemy import select

from tests.conftest import full_access_token, serving
from tests.integration.conftest import KELA_MIGRATIONS, eventually, migrate, tap
from tests.integration.peer import (
    assert_idempotent,
    assert_refused,
    changed,
    next_message,
    parked,
    publish,
)

NOTICE = examples.NOTICE_OF_NEED_EXAMPLE
IDENTITY_CODE = NOTICE["client"]["identity_code"]


def notice(**changes: Any) -> dict[str, Any]:
    return changed(NOTICE, **changes)


async def test_a_valid_notice_is_stored_sent_and_published(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    published = await tap(bus, KELA_EXCHANGE, "notice_of_need.11")
    response = await kela.post("/v1/referrals", json=NOTICE)

    assert response.status_code == 201
    created = response.json()
    assert created["status"] == "sent"
    assert created["county_code"] == "11"
    assert response.headers["location"] == f"/v1/referrals/{created['id']}"
    message = await eventually(lambda: next_message(published))
    assert message["referral_id"] == created["id"]
    assert message["sender"] == "kela"
    assert message["recipient"] == "county-11"
    assert message["payload"]["client"]["identity_code"] == NOTICE["client"]["identity_code"]
    assert message["purpose"] == "social_welfare_referral"
    assert "1301/2014" in message["legal_basis"]


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        (
            lambda b: b["client"].update(identity_code="131052-308U"),
            "client.identity_code",
            "identity_code.control_character",
        ),
        (lambda b: b.pop("basis"), "basis", "missing"),
        (
            lambda b: b["basis"].update(given_at="2026-03-03T10:00:00+02:00"),
            "basis",
            "basis.consent_after_notice",
        ),
        (lambda b: b.update(consent={}), "body", "extra_forbidden"),  # never by its name
        (lambda b: b["client"].update(municipality_code="478"), "client", "routing.aland"),
        (lambda b: b.update(support_needs=[]), "support_needs", "too_short"),
        (
            lambda b: b.update(description="Neighbour 010101-123N also needs help."),
            "description",
            "free_text.identity_code",
        ),
        (lambda b: b.update(kind="unknown"), "body", "union_tag_invalid"),
    ],
)
async def test_an_invalid_notice_gets_problem_details_naming_field_and_rule(
    kela: httpx.AsyncClient, change: Any, field: str, rule: str
) -> None:
    request = notice()
    change(request)
    await assert_refused(kela, "/v1/referrals", request, field, rule, IDENTITY_CODE)


async def test_the_same_idempotency_key_returns_the_same_referral(kela: httpx.AsyncClient) -> None:
    await assert_idempotent(kela, "/v1/referrals", NOTICE, notice(urgency="urgent"))


async def test_a_notice_is_accepted_while_the_broker_is_down(
    database_url: str, dev_issuer: DevIssuer
) -> None:
    await migrate(KELA_MIGRATIONS, database_url)
    settings = KelaSettings(
        database_url=database_url,
        amqp_url="amqp://guest:guest@127.0.0.1:1/",
        auth_jwks=str(dev_issuer.jwks_path),
    )
    async with serving(build_app(settings), full_access_token(dev_issuer, Side.KELA)) as client:
        response = await client.post("/v1/referrals", json=NOTICE)
        ready = await client.get("/readyz")

    assert response.status_code == 201
    assert response.json()["status"] == "sent"
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": "up", "broker": "down", "consumer": "down"}


async def test_unknown_referral_is_a_404_problem(kela: httpx.AsyncClient) -> None:
    response = await kela.get(f"/v1/referrals/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def acknowledge(
    bus: AbstractChannel,
    referral_id: UUID,
    sequence: int,
    status: str,
    county: str = "11",
    changed_by: str | None = None,
    **details: Any,
) -> str:
    """Publish a status acknowledgement as county ``county`` would (``changed_by`` defaults
    to the county; ``kela`` for a cancellation the county applied); return its message id."""
    payload = StatusAcknowledgement(
        kind="status_acknowledgement",
        referral_id=referral_id,
        sequence=sequence,
        status=status,
        changed_at=datetime.now(UTC),
        changed_by=changed_by or f"county-{county}",
        **details,
    )
    sender = f"county-{county}"
    return await publish(bus, payload, sender=sender, recipient="kela", referral_id=referral_id)


async def test_acknowledgements_build_the_history_even_out_of_order(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    created = (await kela.post("/v1/referrals", json=NOTICE)).json()
    referral_id = UUID(created["id"])
    await acknowledge(bus, referral_id, 1, "delivered")
    await acknowledge(bus, referral_id, 3, "in_progress", event="client_reached")
    await acknowledge(bus, referral_id, 2, "accepted")  # late: joins the history only
    await acknowledge(bus, referral_id, 2, "accepted")  # repeated: changes nothing

    async def settled() -> dict[str, Any] | None:
        view = (await kela.get(f"/v1/referrals/{referral_id}")).json()
        return view if len(view["history"]) == 4 else None

    view = await eventually(settled)
    assert view["status"] == "in_progress"
    assert [(c["sequence"], c["status"], c["changed_by"]) for c in view["history"]] == [
        (0, "sent", "kela"),
        (1, "delivered", "county-11"),
        (2, "accepted", "county-11"),
        (3, "in_progress", "county-11"),
    ]
    assert view["history"][3]["event"] == "client_reached"
    filtered = (await kela.get("/v1/referrals", params={"status": "in_progress"})).json()
    assert [item["id"] for item in filtered["items"]] == [str(referral_id)]
    assert (await kela.get("/v1/referrals", params={"status": "sent"})).json()["items"] == []


async def test_an_acknowledgement_from_the_wrong_county_is_parked(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    created = (await kela.post("/v1/referrals", json=NOTICE)).json()
    referral_id = UUID(created["id"])
    await acknowledge(bus, referral_id, 1, "delivered", county="05")
    await acknowledge(bus, referral_id, 1, "delivered")

    view = await eventually(lambda: _status(kela, referral_id, "delivered"))
    assert [c["changed_by"] for c in view["history"]] == ["kela", "county-11"]


async def _status(kela: httpx.AsyncClient, referral_id: UUID, status: str) -> dict[str, Any] | None:
    view: dict[str, Any] = (await kela.get(f"/v1/referrals/{referral_id}")).json()
    return view if view["status"] == status else None


async def test_a_forged_acknowledgement_repeating_a_known_change_is_parked_not_absorbed(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    """Another county repeating a (referral, sequence) Kela has recorded is refused for its
    sender, like any other sequence, and never enters the inbox as processed."""
    created = (await kela.post("/v1/referrals", json=NOTICE)).json()
    referral_id = UUID(created["id"])
    await acknowledge(bus, referral_id, 1, "delivered")
    await eventually(lambda: _status(kela, referral_id, "delivered"))

    forged = {
        await acknowledge(bus, referral_id, 1, "delivered", county="05"),  # a known change
        await acknowledge(bus, referral_id, 2, "accepted", county="05"),  # a new one
    }
    found = await parked(bus, kela, forged)
    assert {m.headers[REASON_HEADER] for m in found.values()} == {"acknowledgement.wrong_sender"}

    engine = kela._transport.app.state.runtime.engine  # type: ignore[attr-defined]
    async with engine.connect() as conn:
        inbox = {row.message_id for row in await conn.execute(select(messaging.inbox))}
    assert not forged & inbox
    view = (await kela.get(f"/v1/referrals/{referral_id}")).json()
    assert [(c["sequence"], c["changed_by"]) for c in view["history"]] == [
        (0, "kela"),
        (1, "county-11"),
    ]
