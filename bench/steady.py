"""``--rate R``: a steady load of R referrals/s, its latency read from the services' own clocks.

The POSTs are scheduled open-loop (the i-th at ``t0 + i / R``, whatever the answers take),
so a slow answer does not thin out the load. When every referral is ``delivered`` at Kela,
each one's path is read from what the services stored, never from a poll:

- ``sent``: the referral's ``created_at`` at Kela (the request handler's clock);
- ``published``: Kela's message log records the notice as sent when the broker confirmed it;
- ``stored at the county``: the ``delivered`` change in Kela's history carries the county's
  time of storing the referral (the county's clock; the same machine here);
- ``delivered at Kela``: Kela's message log records the county's acknowledgement as received
  in the transaction that applies it.

Peak memory (``VmHWM``, the resident set's high-water mark) of each service is read from
``/proc`` after the run.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.broker_latency import BrokerLatency
from bench.databases import DeliveryProbe, epoch
from bench.http_client import HttpFailure, LeanClient
from bench.load import HEADERS, REFERRALS_PATH, Percentiles
from bench.procstat import CpuUsage

# The county's acknowledgement as Kela's message log recorded it (received, in the
# transaction that applied it), and the notice as published (confirmed by the broker).
_TIMES = (
    "SELECT r.id, r.created_at, "
    "(SELECT min(m.at) FROM message_log m WHERE m.referral_id = r.id "
    " AND m.direction = 'sent' AND m.kind = 'notice_of_need'), "
    "(SELECT min(h.changed_at) FROM referral_status_history h WHERE h.referral_id = r.id "
    " AND h.status = 'delivered'), "
    "(SELECT min(m.at) FROM message_log m WHERE m.referral_id = r.id "
    " AND m.direction = 'received' AND m.kind = 'status_acknowledgement') "
    "FROM referrals r"
)


@dataclass
class SteadyResult:
    rate: float
    duration_seconds: float
    sent: int = 0
    failures: int = 0
    failure_examples: list[str] = field(default_factory=list)
    achieved_rate: float = 0.0
    late_starts: int = 0
    """POSTs that started over 5 ms after their scheduled time (the load generator lagged)."""
    post_round_trip: Percentiles | None = None
    sent_to_published: Percentiles | None = None
    sent_to_stored_at_county: Percentiles | None = None
    sent_to_delivered_at_kela: Percentiles | None = None
    """The goal's figure: Kela's sent time → Kela stored the ``delivered`` acknowledgement."""
    post_to_delivered_at_kela: Percentiles | None = None
    """From the client's start of the POST (same machine, same clock)."""
    incomplete: int = 0
    peak_rss_mb: dict[str, float] = field(default_factory=dict)


def peak_rss_mb(pids: Mapping[str, int]) -> dict[str, float]:
    """Name → the process's peak resident set (``VmHWM``) in MB; absent if it is gone."""
    found = {}
    for name, pid in pids.items():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                found[name] = round(int(line.split()[1]) / 1024, 1)
    return found


async def _post_at_rate(
    clients: Sequence[LeanClient],
    bodies: Sequence[bytes],
    rate: float,
    result: SteadyResult,
) -> dict[str, float]:
    """POST ``bodies`` at ``rate``/s; referral id → wall-clock time its POST started."""
    idle: asyncio.Queue[LeanClient] = asyncio.Queue()
    for client in clients:
        idle.put_nowait(client)
    started_at: dict[str, float] = {}
    round_trips: list[float] = []
    tasks: list[asyncio.Task[None]] = []

    async def one(client: LeanClient, body: bytes) -> None:
        wall, started = time.time(), time.perf_counter()
        try:
            response = await client.post(REFERRALS_PATH, content=body, headers=HEADERS)
        except HttpFailure as error:
            _failed(result, str(error))
            return
        finally:
            idle.put_nowait(client)
        if response.status_code != 201:
            _failed(result, f"HTTP {response.status_code}: {response.text[:300]}")
            return
        round_trips.append(time.perf_counter() - started)
        started_at[response.headers["location"].rsplit("/", 1)[-1]] = wall

    t0 = time.perf_counter()
    for index, body in enumerate(bodies):
        delay = t0 + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        client = await idle.get()
        if time.perf_counter() - (t0 + index / rate) > 0.005:
            result.late_starts += 1
        tasks.append(asyncio.create_task(one(client, body)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - t0
    result.sent = len(started_at)
    result.achieved_rate = round(len(bodies) / elapsed, 1) if elapsed else 0.0
    result.post_round_trip = Percentiles.of(round_trips)
    return started_at


def _failed(result: SteadyResult, why: str) -> None:
    result.failures += 1
    if len(result.failure_examples) < 5:
        result.failure_examples.append(why)


async def run_steady(
    clients: Sequence[LeanClient],
    probe: DeliveryProbe,
    bodies: Sequence[bytes],
    *,
    rate: float,
    give_up_after: float,
) -> SteadyResult:
    """Send ``bodies`` at ``rate``/s, wait until all are delivered, read their times."""
    result = SteadyResult(rate=rate, duration_seconds=round(len(bodies) / rate, 1))
    already = await probe.delivered_count()
    started_at = await _post_at_rate(clients, bodies, rate, result)
    deadline = time.perf_counter() + give_up_after
    while await probe.delivered_count() - already < len(started_at):
        if time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)  # the Kela side commits the last acknowledgements' log rows
    times = {str(row[0]): row[1:] for row in await probe.fetch(_TIMES)}
    published, stored, delivered, from_post = [], [], [], []
    for referral_id, wall in started_at.items():
        sent, sent_out, county, acked = times.get(referral_id, (None, None, None, None))
        if sent is None or acked is None:
            result.incomplete += 1
            continue
        sent_s = epoch(sent)
        if sent_out is not None:
            published.append(epoch(sent_out) - sent_s)
        if county is not None:
            stored.append(epoch(county) - sent_s)
        delivered.append(epoch(acked) - sent_s)
        from_post.append(epoch(acked) - wall)
    result.sent_to_published = Percentiles.of(published)
    result.sent_to_stored_at_county = Percentiles.of(stored)
    result.sent_to_delivered_at_kela = Percentiles.of(delivered)
    result.post_to_delivered_at_kela = Percentiles.of(from_post)
    return result


def _ms(p: Percentiles | None) -> str:
    if p is None or not p.count:
        return "n/a"
    cuts = (("p50", p.p50_ms), ("p95", p.p95_ms), ("p99", p.p99_ms), ("max", p.max_ms))
    return ", ".join(f"{name} {value or 0.0:.1f} ms" for name, value in cuts) + f" (n={p.count})"


def render_steady(steady: SteadyResult) -> list[str]:
    lines = [
        f"Steady load: {steady.rate:g} referrals/s for {steady.duration_seconds:g} s "
        f"(achieved {steady.achieved_rate:g}/s, {steady.sent} created, "
        f"{steady.failures} failed, {steady.late_starts} started >5 ms late)",
        "  latency from the services' stored times (Kela's sent time = referral created_at):",
        f"  POST round trip (client):            {_ms(steady.post_round_trip)}",
        f"  sent → published (broker confirmed): {_ms(steady.sent_to_published)}",
        f"  sent → stored at the county:         {_ms(steady.sent_to_stored_at_county)}",
        f"  sent → `delivered` stored at Kela:   {_ms(steady.sent_to_delivered_at_kela)}",
        f"  POST start → `delivered` at Kela:    {_ms(steady.post_to_delivered_at_kela)}",
    ]
    if steady.incomplete:
        lines.append(f"  INCOMPLETE: {steady.incomplete} referrals not delivered in time")
    for example in steady.failure_examples:
        lines.append(f"  failed POST: {example}")
    latency = steady.sent_to_delivered_at_kela
    p99 = "no figure" if latency is None or latency.p99_ms is None else f"{latency.p99_ms:.1f} ms"
    lines.append(
        f"Latency goal (at 50/s): p99 sent → `delivered` at Kela at most {LATENCY_GOAL_MS:g} ms,"
        f" every referral delivered: {p99}: {'PASS' if steady_passed(steady) else 'FAIL'}"
    )
    return lines


def render_broker_latency(latency: BrokerLatency | None) -> list[str]:
    if latency is None:
        return []
    return [
        f"Raw broker at {latency.rate:g} messages/s, same run (durable quorum queues, "
        "persistent, confirmed; an answer sent back as Silta's acknowledgement is):",
        f"  one hop (publish → consumed):        {_ms(latency.one_hop)}",
        f"  round trip (answer consumed back):   {_ms(latency.round_trip)}",
    ]


def render_cpu_per_referral(cpu: CpuUsage, referrals: int) -> str:
    """CPU ms each service spent per referral over the run: what contention on a shared
    machine changes least (latency and rates move with the other load)."""
    return "  CPU per referral: " + ", ".join(
        f"{name} {percent / 100 * cpu.seconds / referrals * 1000:.1f} ms"
        for name, percent in cpu.per_process.items()
        if name.endswith("-side")
    )


def render_rss(rss: Mapping[str, float]) -> str:
    return "  peak RSS (VmHWM): " + ", ".join(f"{name} {mb:.0f} MB" for name, mb in rss.items())


LATENCY_GOAL_MS = 40.0
"""At 50 referrals/s: p99 of Kela's sent time → `delivered` stored at Kela."""


def steady_passed(steady: SteadyResult) -> bool:
    """Everything delivered, no POST failed, and p99 within the goal."""
    latency = steady.sent_to_delivered_at_kela
    return (
        not steady.incomplete
        and not steady.failures
        and latency is not None
        and latency.p99_ms is not None
        and latency.p99_ms <= LATENCY_GOAL_MS
    )


def add_rate_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        metavar="R",
        help="instead of the throughput run: send R referrals/s for --duration seconds and "
        "report latency percentiles from the services' stored times (exit 0 when the p99 "
        f"sent → `delivered` at Kela is at most {LATENCY_GOAL_MS:g} ms)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=20.0,
        metavar="S",
        help="with --rate: seconds of steady load (20)",
    )
