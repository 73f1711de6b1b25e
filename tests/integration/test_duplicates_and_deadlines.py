"""Duplicate notices and overdue referrals, on both databases with the real broker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
from aio_pika.abc import AbstractChannel
from silta_schemas import examples
from sqlalchemy import update

from tests.integration.conftest import eventually
from tests.integration.test_kela_side import NOTICE, acknowledge, notice


async def test_a_second_notice_for_an_open_referral_names_the_first(
    kela: httpx.AsyncClient,
) -> None:
    first = (await kela.post("/v1/referrals", json=NOTICE)).json()
    second = await kela.post("/v1/referrals", json=notice(description="Rent arrears again."))

    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"
    problem = second.json()
    assert problem["existing_referral"] == {
        "id": first["id"],
        "status": "sent",
        "href": f"/v1/referrals/{first['id']}",
    }
    assert problem["errors"][0]["rule"] == "referral.duplicate_open"
    assert len((await kela.get("/v1/referrals")).json()["items"]) == 1


async def test_a_reason_creates_a_new_referral_and_is_recorded(kela: httpx.AsyncClient) -> None:
    await kela.post("/v1/referrals", json=NOTICE)
    reason = "New situation: the client lost their housing after the first notice."
    second = await kela.post("/v1/referrals", json=notice(new_referral_reason=reason))

    assert second.status_code == 201
    view = (await kela.get(f"/v1/referrals/{second.json()['id']}")).json()
    assert view["new_referral_reason"] == reason


async def test_another_kind_or_another_client_is_not_a_duplicate(kela: httpx.AsyncClient) -> None:
    await kela.post("/v1/referrals", json=NOTICE)
    reduction = await kela.post("/v1/referrals", json=examples.BASIC_AMOUNT_REDUCTION_EXAMPLE)
    other = notice()
    other["client"] = {**NOTICE["client"], "identity_code": "010101-123N"}
    another_client = await kela.post("/v1/referrals", json=other)

    assert reduction.status_code == 201
    assert another_client.status_code == 201


async def test_once_the_first_is_closed_a_new_notice_is_welcome(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    first = UUID((await kela.post("/v1/referrals", json=NOTICE)).json()["id"])
    await acknowledge(bus, first, 1, "delivered")
    await acknowledge(bus, first, 2, "rejected", reason="Not ours to handle.")

    async def closed() -> bool:
        return (await kela.get(f"/v1/referrals/{first}")).json()["status"] == "rejected"

    await eventually(closed)
    assert (await kela.post("/v1/referrals", json=NOTICE)).status_code == 201


async def _expire(client: httpx.AsyncClient, referral_id: str) -> None:
    """Move a referral's deadline into the past, as time passing would."""
    from kela_side.db.tables import referrals

    transport = client._transport  # the in-process app behind the client
    runtime = transport.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.engine.begin() as conn:
        await conn.execute(
            update(referrals)
            .where(referrals.c.id == referral_id)
            .values(due_at=datetime.now(UTC) - timedelta(hours=1))
        )


async def test_overdue_referrals_are_listed_until_the_county_reacts(
    kela: httpx.AsyncClient, bus: AbstractChannel
) -> None:
    created = (await kela.post("/v1/referrals", json=NOTICE)).json()
    due = datetime.fromisoformat(created["due_at"])
    assert timedelta(days=7) < due - datetime.now(UTC) < timedelta(days=16)  # 7 working days
    assert created["overdue"] is False
    assert (await kela.get("/v1/referrals", params={"overdue": "true"})).json()["items"] == []

    await _expire(kela, created["id"])
    overdue = (await kela.get("/v1/referrals", params={"overdue": "true"})).json()["items"]
    assert [item["id"] for item in overdue] == [created["id"]]
    assert overdue[0]["overdue"] is True

    referral_id = UUID(created["id"])
    await acknowledge(bus, referral_id, 1, "delivered")
    await acknowledge(bus, referral_id, 2, "accepted")

    async def reacted() -> bool:
        listed = (await kela.get("/v1/referrals", params={"overdue": "true"})).json()["items"]
        return listed == []

    await eventually(reacted)


async def test_an_urgent_notice_is_due_the_next_working_day(kela: httpx.AsyncClient) -> None:
    created = (await kela.post("/v1/referrals", json=notice(urgency="urgent"))).json()
    due = datetime.fromisoformat(created["due_at"])
    assert due - datetime.now(UTC) < timedelta(days=4)  # one working day, weekends included
