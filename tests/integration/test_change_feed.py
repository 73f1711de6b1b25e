"""The change feed and webhooks, both sides in-process on the real broker, on SQLite and
PostgreSQL: what each caller sees, long polls woken by a commit, signed deliveries to a real
local receiver, retries, the failed state and replay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from municipality_side.db.tables import events
from prometheus_client import REGISTRY
from silta_platform.authorisation import Role, Side
from silta_platform.dev_tokens import DevIssuer
from sqlalchemy import select

from tests.integration.authorised import delivered_referral, notice
from tests.integration.conftest import Both, eventually, sides_on
from tests.webhook_receiver import receiver, verified

FEED_SETTINGS: dict[str, Any] = {
    # A poll this long: only the in-process wake can answer a waiting request in time.
    "events_poll_seconds": 60.0,
    "webhook_allow_http": True,
    "webhook_allow_private_addresses": True,
    "webhook_retry_seconds": 0.05,
    "webhook_retry_max_seconds": 0.2,
    "webhook_max_attempts": 3,
}


@pytest.fixture
async def sides(
    database_url: str, tmp_path: Path, amqp_url: str, dev_issuer: DevIssuer
) -> AsyncIterator[Both]:
    """Both sides on ``database_url``'s kind of database, the receiver's rules relaxed."""
    async with sides_on(database_url, tmp_path, amqp_url, dev_issuer, **FEED_SETTINGS) as both:
        yield both


def worker(sides: Both, county: str = "11") -> dict[str, str]:
    return sides.token(Side.MUNICIPALITY, Role.COUNTY_SOCIAL_WORKER, county)


def officer(sides: Both) -> dict[str, str]:
    return sides.token(Side.KELA, Role.KELA_BENEFIT_OFFICER)


async def feed(client: httpx.AsyncClient, headers: dict[str, str], **query: Any) -> Any:
    answer = await client.get("/v1/events", params=query, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_each_side_sees_its_own_events_and_never_content(sides: Both) -> None:
    body = notice()
    sent = await sides.kela.post("/v1/referrals", json=body, headers=officer(sides))
    referral_id = sent.json()["id"]

    async def kela_acknowledged() -> Any:
        page = await feed(sides.kela, officer(sides))
        kinds = [
            (e["kind"], e["status"]) for e in page["events"] if e["referral_id"] == referral_id
        ]
        return page if ("acknowledgement.applied", "delivered") in kinds else None

    kela_page = await eventually(kela_acknowledged)
    county_page = await feed(sides.municipality, worker(sides))
    other_county = await feed(sides.municipality, worker(sides, "90"))

    [sent_event, ack] = [e for e in kela_page["events"] if e["referral_id"] == referral_id]
    assert (sent_event["kind"], sent_event["status"]) == ("referral.sent", "sent")
    assert (ack["message_kind"], ack["county_code"]) == ("notice_of_need", "11")
    [delivered] = [e for e in county_page["events"] if e["referral_id"] == referral_id]
    assert delivered["kind"] == "referral.delivered"
    assert (delivered["status"], delivered["county_code"]) == ("delivered", "11")
    assert other_county == {"events": [], "next_cursor": 0}
    assert kela_page["next_cursor"] == kela_page["events"][-1]["cursor"]
    after = await feed(sides.kela, officer(sides), after=kela_page["next_cursor"])
    assert after == {"events": [], "next_cursor": kela_page["next_cursor"]}
    for page in (kela_page, county_page):
        text = str(page)
        assert body["client"]["identity_code"] not in text
        assert body["client"]["contact"]["phone"] not in text


async def test_a_waiting_request_answers_when_a_referral_arrives(sides: Both) -> None:
    start = (await feed(sides.municipality, worker(sides)))["next_cursor"]
    waiting = asyncio.create_task(feed(sides.municipality, worker(sides), after=start, wait=30))
    kela_waiting = asyncio.create_task(feed(sides.kela, officer(sides), wait=30))
    await asyncio.sleep(0.2)  # both are waiting (nothing else answers them within 30 s)
    sent = await sides.kela.post("/v1/referrals", json=notice(), headers=officer(sides))

    page = await waiting
    assert [e["referral_id"] for e in page["events"]] == [sent.json()["id"]]
    assert page["next_cursor"] == page["events"][0]["cursor"] > start
    assert [e["kind"] for e in (await kela_waiting)["events"]][:1] == ["referral.sent"]


async def test_signed_deliveries_are_retried_after_errors(sides: Both) -> None:
    async with receiver() as hook:
        hook.failures = [500, 503]
        made = await sides.municipality.post(
            "/v1/webhooks", json={"url": hook.url}, headers=worker(sides)
        )
        assert made.status_code == 201, made.text
        secret, webhook_id = made.json()["secret"], made.json()["id"]
        assert secret.startswith("whsec_")
        referral_id = await delivered_referral(sides)

        async def recorded() -> Any:  # the receiver answered, and the answer is recorded
            path = f"/v1/webhooks/{webhook_id}"
            view = (await sides.municipality.get(path, headers=worker(sides))).json()
            outcomes = [d["outcome"] for d in view["deliveries"]]
            return view if outcomes[:1] == ["delivered"] else None

        view = await eventually(recorded)

    [first, _, delivered] = hook.received[:3]
    assert all(verified(secret, d) for d in hook.received)
    assert first.headers["webhook-id"] == delivered.headers["webhook-id"]  # the same event
    document = delivered.document
    assert document["type"] == "referral.delivered"
    assert document["data"]["referral_id"] == referral_id
    assert document["data"]["status"] == "delivered"
    assert [d["outcome"] for d in view["deliveries"]][:3] == ["delivered", "failed", "failed"]
    assert [d["status_code"] for d in view["deliveries"]][1:3] == [503, 500]
    assert (view["status"], view["position"]) == ("active", document["data"]["cursor"])
    assert "secret" not in view
    assert REGISTRY.get_sample_value("silta_webhook_deliveries_total", {"outcome": "failed"})


async def test_a_subscription_fails_after_its_attempts_and_a_replay_revives_it(
    sides: Both,
) -> None:
    async with receiver() as hook:
        hook.failures = [500] * 3
        made = await sides.kela.post("/v1/webhooks", json={"url": hook.url}, headers=officer(sides))
        secret, webhook_id = made.json()["secret"], made.json()["id"]
        await sides.kela.post("/v1/referrals", json=notice(), headers=officer(sides))

        async def failed() -> Any:
            answer = await sides.kela.get(f"/v1/webhooks/{webhook_id}", headers=officer(sides))
            return answer.json() if answer.json()["status"] == "failed" else None

        view = await eventually(failed)
        assert (view["attempts"], view["last_error"]) == (3, "http.status")
        assert len(hook.received) == 3
        assert not hook.accepted

        replayed = await sides.kela.post(
            f"/v1/webhooks/{webhook_id}/replay", params={"from": 1}, headers=officer(sides)
        )
        assert replayed.status_code == 200
        assert replayed.json()["status"] == "active"
        await eventually(lambda: _async(hook.accepted))

    first = hook.accepted[0]
    assert first.document["data"]["cursor"] == 1  # from the very first event again
    assert verified(secret, first)


async def test_subscriptions_are_the_callers_organisations_own(sides: Both) -> None:
    secret = "whsec_" + "A" * 40
    made = await sides.municipality.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "secret": secret},
        headers=worker(sides),
    )
    assert made.status_code == 201
    assert made.json()["secret"] is None  # the client gave its own
    assert made.json()["counties"] == ["11"]
    webhook_id = made.json()["id"]
    async with sides.municipality_app.state.runtime.engine.connect() as conn:
        stored = (await conn.execute(select(events.webhooks.c.secret))).scalar_one()
    assert stored.startswith("silta:enc:v1:")  # sealed at rest
    assert secret.removeprefix("whsec_") not in stored
    other = worker(sides, "90")

    listed = await sides.municipality.get("/v1/webhooks", headers=other)
    assert listed.json() == {"items": []}
    for method, path in (
        ("GET", f"/v1/webhooks/{webhook_id}"),
        ("DELETE", f"/v1/webhooks/{webhook_id}"),
        ("POST", f"/v1/webhooks/{webhook_id}/replay?from=1"),
    ):
        assert (await sides.municipality.request(method, path, headers=other)).status_code == 404
    gone = await sides.municipality.delete(f"/v1/webhooks/{webhook_id}", headers=worker(sides))
    assert gone.status_code == 204


async def test_a_county_user_reads_only_its_countys_events(sides: Both) -> None:
    body = notice()
    body["client"]["municipality_code"] = "091"  # Helsinki: county 90
    sent = await sides.kela.post("/v1/referrals", json=body, headers=officer(sides))
    helsinki = sent.json()["id"]

    async def arrived() -> Any:
        page = await feed(sides.municipality, worker(sides, "90"))
        return page["events"]

    events = await eventually(arrived)
    assert {e["referral_id"] for e in events} == {helsinki}
    county_11 = await feed(sides.municipality, worker(sides, "11"))
    assert helsinki not in {e["referral_id"] for e in county_11["events"]}


async def _async(value: Any) -> Any:
    return value
