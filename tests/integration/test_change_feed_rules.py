"""The change feed's rules on one side in-process, on SQLite and PostgreSQL: which webhook URLs
are refused (and again at delivery time), retention of old events and delivery attempts,
and the access log of a feed read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from kela_side.db.tables import access_log, events
from kela_side.protect import RETENTION
from silta_platform.dev_tokens import DevIssuer
from silta_platform.runtime import Runtime
from silta_platform.settings import ServiceSettings
from silta_protection.retention import maintain
from silta_records.events.webhooks import UrlRefused, check_url
from silta_schemas import examples
from sqlalchemy import func, insert, select

from tests.integration.conftest import eventually, running_kela


def runtime_of(client: httpx.AsyncClient) -> Runtime:
    app = client._transport.app  # type: ignore[attr-defined]
    found: Runtime = app.state.runtime
    return found


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("http://93.184.215.14/hook", "webhook.url_not_https"),
        ("https://127.0.0.1/hook", "webhook.url_not_public"),
        ("https://localhost:8443/hook", "webhook.url_not_public"),
        ("https://10.1.2.3/hook", "webhook.url_not_public"),
        ("https://169.254.169.254/latest/meta-data", "webhook.url_not_public"),
        ("https://[::1]/hook", "webhook.url_not_public"),
        ("https://[::ffff:192.168.0.1]/hook", "webhook.url_not_public"),
        ("https://224.0.0.1/hook", "webhook.url_not_public"),
        ("https://user:pw@93.184.215.14/hook", "webhook.url_credentials"),
        ("ftp://93.184.215.14/hook", "webhook.url_invalid"),
        ("https://no-such-host.invalid/hook", "webhook.url_unresolvable"),
    ],
)
async def test_a_webhook_url_into_the_network_is_refused_naming_the_rule(
    kela: httpx.AsyncClient, url: str, rule: str
) -> None:
    answer = await kela.post("/v1/webhooks", json={"url": url})

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("body.url", rule)]
    assert url not in answer.text
    assert (await kela.get("/v1/webhooks")).json() == {"items": []}


async def test_a_public_https_url_is_taken(kela: httpx.AsyncClient) -> None:
    answer = await kela.post("/v1/webhooks", json={"url": "https://93.184.215.14/hook"})

    assert answer.status_code == 201
    assert answer.headers["location"] == f"/v1/webhooks/{answer.json()['id']}"


async def test_settings_let_named_hosts_and_development_addresses_through() -> None:
    strict = ServiceSettings(database_url="sqlite+aiosqlite://", port=1)
    with pytest.raises(UrlRefused):
        await check_url("https://receiver.internal.test/hook", strict)
    named = strict.model_copy(update={"webhook_allowed_hosts": ["receiver.internal.test"]})
    await check_url("https://receiver.internal.test/hook", named)
    development = strict.model_copy(
        update={"webhook_allow_private_addresses": True, "webhook_allow_http": True}
    )
    await check_url("http://127.0.0.1:8080/hook", development)


async def test_a_delivery_is_refused_when_the_url_no_longer_passes(
    database_url: str, amqp_url: str, dev_issuer: DevIssuer
) -> None:
    """Checked again at delivery: made while private addresses were allowed, delivered by a
    service that no longer allows them, the attempt fails with the rule and nothing is sent."""
    made_with = {"webhook_allow_private_addresses": True, "webhook_allow_http": True}
    async with running_kela(database_url, amqp_url, dev_issuer, **made_with) as kela:
        made = await kela.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook"})
        assert made.status_code == 201
    async with running_kela(database_url, amqp_url, dev_issuer, webhook_allow_http=True) as kela:
        await kela.post("/v1/referrals", json=examples.NOTICE_OF_NEED_EXAMPLE)

        async def refused() -> object:
            view = (await kela.get(f"/v1/webhooks/{made.json()['id']}")).json()
            return view if view["deliveries"] else None

        view = await eventually(refused)
    assert view["deliveries"][0]["outcome"] == "refused_url"
    assert view["last_error"] == "webhook.url_not_public"


async def test_retention_drops_old_events_and_delivery_attempts(kela: httpx.AsyncClient) -> None:
    runtime = runtime_of(kela)
    await kela.post("/v1/referrals", json=examples.NOTICE_OF_NEED_EXAMPLE)
    old = datetime.now(UTC) - timedelta(days=runtime.settings.events_retention_days + 1)
    async with runtime.engine.begin() as conn:
        await conn.execute(
            insert(events.events).values(
                event_id=str(uuid.uuid4()),
                occurred_at=old,
                kind="referral.sent",
                message_kind="notice_of_need",
                county_code="11",
            )
        )
        for when in (old, datetime.now(UTC)):
            await conn.execute(
                insert(events.deliveries).values(
                    webhook_id=str(uuid.uuid4()),
                    cursor=1,
                    event_id=str(uuid.uuid4()),
                    attempt=1,
                    attempted_at=when,
                    outcome="delivered",
                )
            )

    await maintain(runtime.engine, runtime.settings, RETENTION)

    async with runtime.engine.connect() as conn:
        kept = (await conn.execute(select(events.events.c.occurred_at))).scalars().all()
        attempts = (
            await conn.execute(select(func.count()).select_from(events.deliveries))
        ).scalar()
    assert len(kept) == 1  # the referral sent just now
    assert all(when > old for when in kept)
    assert attempts == 1


async def test_a_feed_read_that_returns_events_is_access_logged(kela: httpx.AsyncClient) -> None:
    await kela.post("/v1/referrals", json=examples.NOTICE_OF_NEED_EXAMPLE)
    page = (await kela.get("/v1/events")).json()
    empty = (await kela.get("/v1/events", params={"after": page["next_cursor"]})).json()

    entries = access_log.entries
    feed_reads = select(entries.c.resource, entries.c.resource_id, entries.c.purpose)
    async with runtime_of(kela).engine.connect() as conn:
        rows = (await conn.execute(feed_reads.where(entries.c.resource == "events"))).all()
    assert empty["events"] == []
    cursor = page["events"][0]["cursor"]
    assert [tuple(row) for row in rows] == [("events", f"{cursor}-{cursor}", "change_feed")]
