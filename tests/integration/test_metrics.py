"""Metrics as a Prometheus scrape reads them: ``GET /metrics`` on each side's METRICS_PORT,
without a token, after a real referral flow and a parked message; and every metric the
alert rules and the Grafana dashboard name is one a running service exports."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import aio_pika
import httpx
from municipality_side.db.tables import referrals
from silta_platform.authorisation import Role, Side
from silta_schemas import examples
from sqlalchemy import update

from tests.integration.authorised import acknowledged_referral
from tests.integration.conftest import Both, eventually
from tests.unit.infra.test_prometheus_rules import (
    alert_expressions,
    dashboard_expressions,
    metric_names,
)

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$")


async def scrape(client: httpx.AsyncClient) -> tuple[str, dict[str, float]]:
    """What Prometheus reads from this side's metrics port (no token), and its samples."""
    port = client.headers["x-metrics-port"]
    async with httpx.AsyncClient() as prometheus:
        answer = await prometheus.get(f"http://127.0.0.1:{port}/metrics")
    assert answer.status_code == 200, answer.text
    samples: dict[str, float] = {}
    for line in answer.text.splitlines():
        match = SAMPLE.match(line)
        if match and not line.startswith("#"):
            samples[match[1] + (match[2] or "")] = float(match[3])
    return answer.text, samples


def figure(samples: dict[str, float], name: str, **labels: str) -> float:
    """The sum of ``name``'s samples carrying ``labels`` (0 when there is none)."""
    wanted = [f'{key}="{value}"' for key, value in labels.items()]
    return sum(
        value
        for key, value in samples.items()
        if key.split("{")[0] == name and all(label in key for label in wanted)
    )


async def _park_one(amqp_url: str) -> None:
    """Something Kela's consumer must park: a statement that is not JSON."""
    async with await aio_pika.connect(amqp_url) as connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("silta.county")
        await exchange.publish(
            aio_pika.Message(
                b"{not json", message_id=f"poison-{uuid.uuid4().hex[:8]}", type="statement"
            ),
            routing_key="statement.11",
        )


async def test_a_scrape_needs_no_token_and_the_counters_follow_a_referral_and_a_parked_message(
    scraped: Both, amqp_url: str
) -> None:
    both = scraped
    _, before = await scrape(both.kela)
    referral_id = await acknowledged_referral(both)
    await _park_one(amqp_url)
    parked_queue = f"{both.kela_queue}.parked"

    async def parked() -> bool:
        _, now = await scrape(both.kela)
        return figure(now, "silta_queue_messages", queue=parked_queue) >= 1

    await eventually(parked)
    text, after = await scrape(both.kela)

    def moved(name: str, **labels: str) -> float:
        return figure(after, name, **labels) - figure(before, name, **labels)

    # Kela published the notice, the county accepted it and answered, Kela accepted that.
    assert moved("silta_messages_published_total", kind="notice_of_need") >= 1
    assert moved("silta_messages_consumed_total", kind="notice_of_need") >= 1
    assert moved("silta_messages_published_total", kind="status_acknowledgement") >= 1
    assert moved("silta_messages_consumed_total", kind="status_acknowledgement") >= 1
    assert moved("silta_messages_parked_total", kind="statement") >= 1
    # latency per route template, never the path as sent
    assert (
        moved("silta_http_request_duration_seconds_count", route="/v1/referrals/{referral_id}") >= 1
    )
    assert figure(after, "silta_http_request_duration_seconds_count", route="/v1/referrals") >= 1
    assert figure(after, "silta_relay_publishing") == 1
    assert figure(after, "silta_broker_connected") == 1
    assert figure(after, "silta_outbox_oldest_pending_seconds") >= 0
    assert referral_id not in text
    assert examples.EXAMPLE_IDENTITY_CODE not in text
    _, county = await scrape(both.municipality)
    assert 'silta_referrals_overdue{county="11"}' in county  # just sent: not overdue
    assert county['silta_referrals_overdue{county="11"}'] == 0
    # the same exposition for the operations role on the API
    ops = await both.kela.get("/v1/ops/metrics", headers=both.token(Side.KELA, Role.OPERATIONS))
    assert ops.status_code == 200
    assert "silta_messages_parked_total{" in ops.text
    # and nothing without a token there
    assert (await both.kela.get("/v1/ops/metrics")).status_code == 401

    # once its deadline has passed, the county's overdue figure says so
    async with both.municipality_app.state.runtime.engine.begin() as conn:
        await conn.execute(update(referrals).values(due_at=datetime.now(UTC) - timedelta(hours=1)))
    _, county = await scrape(both.municipality)
    assert county['silta_referrals_overdue{county="11"}'] == 1

    exported = {name.split("{")[0] for name in after} | {name.split("{")[0] for name in county}
    named = metric_names(alert_expressions()) | metric_names(dashboard_expressions())
    assert named <= exported, f"named but not exported: {sorted(named - exported)}"
