"""Posting referrals over HTTP and watching them become ``delivered`` at the Kela side."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import statistics
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from silta_schemas.examples import NOTICE_OF_NEED_EXAMPLE
from silta_schemas.identity import control_character

from bench.databases import DeliveryProbe
from bench.http_client import Answer, HttpFailure, LeanClient
from bench.services import officer_token

POLL_INTERVAL_S = 0.05
REFERRALS_PATH = "/v1/referrals"
HEADERS = {"content-type": "application/json", "accept": "application/json"}


def synthetic_identity_code(index: int) -> str:
    """A valid, temporary (individual number 900-999) identity code, distinct per index.

    Silta refuses a second open referral of the same kind for the same client at the same
    county, so every referral the benchmark sends is for a different (made-up) client.
    """
    birth = date(1960, 1, 1) + timedelta(days=index // 100)
    digits = f"{birth:%d%m%y}{900 + index % 100:03d}"
    return f"{digits[:6]}-{digits[6:]}{control_character(digits)}"


FINNISH_PROSE = (
    "Asiakkaan tilanne on vaikeutunut: hän on ollut pitkään työttömänä, vuokra on "
    "maksamatta kahdelta kuukaudelta ja perustoimeentulotuen hakemuksessa puuttuu liitteitä. "
    "Hän kertoo tarvitsevansa apua asioiden järjestämiseen ja toivoo yhteydenottoa pian. "
)
"""A description as Kela's officers write one: Finnish prose, hence never plain ASCII."""


def notice_of_need(description_chars: int = 0) -> dict[str, Any]:
    """The example notice of need; with ``description_chars``, its description that many
    characters of Finnish prose (the example's own is 137 characters of English)."""
    notice = copy.deepcopy(NOTICE_OF_NEED_EXAMPLE)
    if description_chars:
        repeated = FINNISH_PROSE * (description_chars // len(FINNISH_PROSE) + 1)
        notice["description"] = repeated[:description_chars].strip()
    return notice


def request_bodies(start: int, count: int, description_chars: int = 0) -> list[bytes]:
    """The example notice of need (``notice_of_need``) for clients ``start`` ..
    ``start + count - 1``, encoded up front: the load generator only sends bytes."""
    bodies = []
    for index in range(start, start + count):
        notice = notice_of_need(description_chars)
        notice["client"]["identity_code"] = synthetic_identity_code(index)
        bodies.append(json.dumps(notice).encode())
    return bodies


@dataclass(frozen=True)
class Percentiles:
    count: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Percentiles:
        if not seconds:
            return cls(0, None, None, None, None)
        ordered = sorted(seconds)
        if len(ordered) == 1:
            value = round(ordered[0] * 1000, 1)
            return cls(1, value, value, value, value)
        cuts = statistics.quantiles(ordered, n=100, method="inclusive")
        return cls(
            count=len(ordered),
            p50_ms=round(cuts[49] * 1000, 1),
            p95_ms=round(cuts[94] * 1000, 1),
            p99_ms=round(cuts[98] * 1000, 1),
            max_ms=round(ordered[-1] * 1000, 1),
        )


@dataclass
class Posted:
    """What the POSTs produced: referral id → wall-clock time its POST started."""

    started_at: dict[str, float] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    round_trips: list[float] = field(default_factory=list)
    failures: int = 0
    failure_examples: list[str] = field(default_factory=list)
    first_started: float = 0.0
    last_answered: float = 0.0


@asynccontextmanager
async def http_clients(base_url: str, concurrency: int) -> AsyncIterator[list[LeanClient]]:
    """``concurrency`` clients of ONE keep-alive connection each (``bench.http_client``:
    the load generator shares the two cores with the system under test, so it must be as
    cheap as it can be), closed at the end."""
    headers = {"authorization": f"Bearer {officer_token()}"}
    clients = [LeanClient(base_url, headers) for _ in range(concurrency)]
    try:
        yield clients
    finally:
        await asyncio.gather(*(client.close() for client in clients))


async def post_referrals(
    clients: Sequence[LeanClient], bodies: Sequence[bytes], posted: Posted
) -> None:
    """POST every body, one request in flight per client, into ``posted``.

    Failed requests are counted, not retried: the run then waits for the successful ones.
    """
    next_body = 0

    async def worker(client: LeanClient) -> None:
        nonlocal next_body
        while next_body < len(bodies):
            body = bodies[next_body]
            next_body += 1
            wall = time.time()
            started = time.perf_counter()
            if not posted.first_started:
                posted.first_started = started
            try:
                response = await client.post(REFERRALS_PATH, content=body, headers=HEADERS)
            except HttpFailure as error:
                _failed(posted, str(error))
                continue
            answered = time.perf_counter()
            posted.last_answered = max(posted.last_answered, answered)
            if response.status_code != 201:
                _failed(posted, f"HTTP {response.status_code}: {response.text[:300]}")
                continue
            referral_id = _referral_id(response)
            posted.started_at[referral_id] = wall
            posted.order.append(referral_id)
            posted.round_trips.append(answered - started)

    await asyncio.gather(*(worker(client) for client in clients[: len(bodies)]))


def _failed(posted: Posted, why: str) -> None:
    posted.failures += 1
    if len(posted.failure_examples) < 5:
        posted.failure_examples.append(why)


def _referral_id(response: Answer) -> str:
    location: str | None = response.headers.get("location")
    if location:
        return location.rsplit("/", 1)[-1]
    payload: dict[str, Any] = response.json()
    return str(payload["id"])


@dataclass
class Delivery:
    """How the posted referrals reached ``delivered`` at the Kela side."""

    delivered: int = 0
    completed: bool = False
    stalled: bool = False
    finished: float = 0.0
    """perf_counter when the last referral was seen delivered (or when watching stopped)."""
    progress: list[tuple[float, int, int]] = field(default_factory=list)
    """(seconds since the first POST, referrals posted, referrals delivered), per poll."""
    sample_latencies: list[float] = field(default_factory=list)


async def watch_delivery(
    probe: DeliveryProbe,
    *,
    posted: Posted,
    posting: asyncio.Task[Any],
    already_delivered: int,
    started: float,
    sample_every: int,
    stall_timeout: float,
    give_up_after: float,
) -> Delivery:
    """Poll until every posted referral is delivered, progress stalls, or ``give_up_after`` s.

    Every ``sample_every``-th posted referral is followed individually: its latency is the
    time from the start of its POST to the first poll that sees it ``delivered``.
    """
    delivery = Delivery()
    pending: dict[str, float] = {}
    sampled = 0
    last_progress = time.perf_counter()
    while True:
        await asyncio.sleep(POLL_INTERVAL_S)
        while sampled < len(posted.order):
            if sampled % sample_every == 0:
                referral_id = posted.order[sampled]
                pending[referral_id] = posted.started_at[referral_id]
            sampled += 1
        count = await probe.delivered_count() - already_delivered
        seen = time.time()
        if pending:
            for referral_id in await probe.delivered_among(list(pending)):
                delivery.sample_latencies.append(seen - pending.pop(referral_id))
        now = time.perf_counter()
        if posting.done() and not posting.cancelled() and posting.exception() is not None:
            await posting  # the load generator itself failed: raise it
        if count > delivery.delivered:
            last_progress = now
        delivery.delivered = count
        delivery.progress.append((round(now - started, 3), len(posted.order), count))
        if posting.done() and count >= len(posted.order) and sampled == len(posted.order):
            delivery.completed = not pending
            if delivery.completed:
                delivery.finished = now
                return delivery
        if posting.done() and now - last_progress > stall_timeout:
            delivery.stalled = True
        if delivery.stalled or now - started > give_up_after:
            delivery.finished = now
            return delivery


def crossing(progress: Sequence[tuple[float, int, int]], target: float) -> float | None:
    """Seconds (interpolated between polls) at which ``delivered`` reached ``target``."""
    previous_t, previous_d = 0.0, 0
    for t, _posted, delivered in progress:
        if delivered >= target:
            if delivered == previous_d:
                return t
            return previous_t + (t - previous_t) * (target - previous_d) / (delivered - previous_d)
        previous_t, previous_d = t, delivered
    return None


async def run_referrals(
    clients: Sequence[LeanClient],
    probe: DeliveryProbe,
    *,
    bodies: Sequence[bytes],
    sample_every: int,
    stall_timeout: float = 30.0,
    give_up_after: float = 600.0,
) -> tuple[Posted, Delivery, float]:
    """POST every body and wait for them all; returns the posts, the delivery and t0."""
    already = await probe.delivered_count()
    posted = Posted()
    started = time.perf_counter()
    posting = asyncio.create_task(post_referrals(clients, bodies, posted))
    try:
        delivery = await watch_delivery(
            probe,
            posted=posted,
            posting=posting,
            already_delivered=already,
            started=started,
            sample_every=sample_every,
            stall_timeout=stall_timeout,
            give_up_after=give_up_after,
        )
        await posting
    finally:
        if not posting.done():
            posting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await posting
    return posted, delivery, started
