"""``python -m bench --batch N``: a night's batch of notices in one request, to the county.

The raw broker's baseline first (N persistent messages of a sealed notice's size), then both
services as processes: one ``POST /v1/referrals/batch`` of N notices of basic amount
reduction as NDJSON, its results streamed back, then the wait until every notice is stored
at the county (the county's own ``delivered`` time, as Kela's side records it when the
acknowledgement comes back). The figure is N over that time, against the baseline's
messages/s: the goal is at least ``GOAL`` of it.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import TypeAdapter
from silta_harness import ServiceProcess
from silta_schemas.envelope import seal
from silta_schemas.examples import BASIC_AMOUNT_REDUCTION_EXAMPLE
from silta_schemas.parties import KELA, county_organisation
from silta_schemas.referrals import ReferralRequest

from bench.databases import DeliveryProbe, ServiceDatabases, run_databases
from bench.liveness import probing, render_liveness
from bench.load import Percentiles, synthetic_identity_code
from bench.measure import say
from bench.procstat import CpuUsage, service_meter
from bench.profiling import ProfileSummary, start_profiles, stop_profiles
from bench.rabbit import bench_vhost, broker_baseline
from bench.report import render_cpu, render_profiles
from bench.services import READY_WITHIN_S, bench_system, officer_token
from bench.steady import peak_rss_mb, render_cpu_per_referral, render_rss

GOAL = 0.25
BATCH_PATH = "/v1/referrals/batch"
NDJSON = "application/x-ndjson"
WARMUP = 50


@dataclass
class BatchRun:
    notices: int
    database: str
    started_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    baseline_messages_per_second: float | None = None
    body_bytes: int = 0
    created: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    """From sending the request: to its last result line (``answered``), to the last notice
    stored at the county (``at_county``), to the last acknowledgement stored back at Kela
    (``delivered_at_kela``)."""
    per_second: float = 0.0
    cpu: CpuUsage | None = None
    """From sending the request until every acknowledgement is back at Kela."""
    profiles: list[ProfileSummary] = field(default_factory=list)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    """Each service's peak resident set (``VmHWM``) after the batch."""
    liveness: dict[str, Percentiles] = field(default_factory=dict)
    """Each service's ``GET /healthz`` round trips while the batch ran (``bench.liveness``)."""
    ratio: float | None = None
    passed: bool | None = None
    error: str | None = None


def batch_body(start: int, count: int) -> bytes:
    """NDJSON of ``count`` notices of basic amount reduction, each for another client, each
    under its own Idempotency-Key."""
    lines = []
    for index in range(start, start + count):
        notice = copy.deepcopy(BASIC_AMOUNT_REDUCTION_EXAMPLE)
        notice["client"]["identity_code"] = synthetic_identity_code(index)
        entry = {"idempotency_key": f"bench-{index}", "referral": notice}
        lines.append(json.dumps(entry, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode()


def sealed_reduction_notice() -> bytes:
    request = TypeAdapter(ReferralRequest).validate_python(BASIC_AMOUNT_REDUCTION_EXAMPLE)
    county = county_organisation(request.county_code)
    return seal(request, sender=KELA, recipient=county, referral_id=uuid.uuid4()).to_bytes()


@asynccontextmanager
async def running_system(
    database: str,
    directory: Path,
    amqp_url: str,
    postgres_dsn: str,
    settings: Mapping[str, str] | None = None,
) -> AsyncIterator[tuple[Sequence[ServiceProcess], DeliveryProbe, ServiceDatabases]]:
    """Both services as processes on fresh databases (with more ``settings``), ready: the
    processes (Kela's first) and a probe of Kela's database."""
    async with AsyncExitStack() as stack:
        databases, probe = await stack.enter_async_context(
            run_databases(database, directory, postgres_dsn)
        )
        system = bench_system(directory, databases, amqp_url, settings=settings)
        stack.push_async_callback(system.stop, kela_first=True)
        system.start()
        await system.wait_ready(within=READY_WITHIN_S)
        yield system.processes, probe, databases


async def post_batch(client: httpx.AsyncClient, body: bytes) -> dict[str, int]:
    """POST one batch, reading its streamed results; how many of each outcome."""
    counts: dict[str, int] = {}
    headers = {"content-type": NDJSON, "accept": NDJSON}
    async with client.stream("POST", BATCH_PATH, content=body, headers=headers) as response:
        if response.status_code != 200:
            await response.aread()
            raise RuntimeError(f"the batch was refused: {response.status_code} {response.text}")
        async for line in response.aiter_lines():
            if line.strip():
                outcome = json.loads(line)["outcome"]
                counts[outcome] = counts.get(outcome, 0) + 1
    return counts


async def until_delivered(
    probe: DeliveryProbe, count: int, give_up_after: float, since: datetime | None = None
) -> float:
    """Wait until ``count`` referrals (created since ``since``, if given) are ``delivered`` at
    Kela; when that was seen."""
    deadline = time.perf_counter() + give_up_after
    while (delivered := await probe.delivered_count(since)) < count:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"only {delivered} of {count} delivered in {give_up_after} s")
        await asyncio.sleep(0.05)
    return time.time()


def kela_client(kela: ServiceProcess) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=kela.base_url,
        timeout=900.0,
        headers={"Authorization": f"Bearer {officer_token()}"},
    )


async def measure_batch(args: argparse.Namespace, amqp_url: str, run: BatchRun) -> None:
    if not args.skip_baseline:
        body = sealed_reduction_notice()
        say(f"raw broker baseline: {run.notices} persistent messages of {len(body)} bytes")
        baseline = await broker_baseline(
            amqp_url, messages=run.notices, body=body, in_flight=args.in_flight
        )
        run.baseline_messages_per_second = baseline.messages_per_second
        say(f"raw broker: {baseline.messages_per_second} messages/s")
    with tempfile.TemporaryDirectory(prefix="silta-batch-") as directory:
        async with (
            running_system(args.database, Path(directory), amqp_url, args.postgres_dsn) as (
                services,
                probe,
                databases,
            ),
            kela_client(services[0]) as client,
        ):
            say(f"warm-up: a batch of {WARMUP}")
            await post_batch(client, batch_body(0, WARMUP))
            await until_delivered(probe, WARMUP, 120.0)
            body = batch_body(WARMUP, run.notices)
            run.body_bytes = len(body)
            say(f"one batch of {run.notices} notices ({len(body)} bytes)")
            pids = {service.name: service.pid for service in services}
            meter = service_meter(pids, args.database, databases.names)
            profiler = await start_profiles(args, pids)
            meter.start()
            started_wall, started = time.time(), time.perf_counter()
            try:
                async with probing({s.name: s.base_url for s in services}) as probes:
                    counts = await post_batch(client, body)
                    run.seconds["answered"] = round(time.perf_counter() - started, 3)
                    run.created = counts.get("created", 0)
                    say(f"answered in {run.seconds['answered']} s: {counts}")
                    if run.created != run.notices:
                        raise RuntimeError(f"not every notice was created: {counts}")
                    last_at_kela = await until_delivered(
                        probe, WARMUP + run.notices, args.timeout or 120.0 + run.notices / 20
                    )
                run.liveness = {name: Percentiles.of(times) for name, times in probes.items()}
            finally:
                run.cpu = meter.stop()
                run.profiles = stop_profiles(profiler)
                run.peak_rss_mb = peak_rss_mb(pids)
            stored_at = sorted((await probe.municipality_stored_at()).values())
            run.seconds["at_county"] = round(stored_at[-1] - started_wall, 3)
            run.seconds["delivered_at_kela"] = round(last_at_kela - started_wall, 3)
    run.per_second = round(run.notices / run.seconds["at_county"], 1)
    if run.baseline_messages_per_second:
        run.ratio = round(run.per_second / run.baseline_messages_per_second, 3)
        run.passed = run.ratio >= GOAL


def render(run: BatchRun) -> str:
    lines = [
        f"A night's batch: {run.notices} notices of basic amount reduction in one request "
        f"({run.database}, {run.body_bytes} bytes of NDJSON), {run.started_at}",
    ]
    if run.error is not None:
        return "\n".join([*lines, f"ERROR: {run.error}"])
    seconds = run.seconds
    lines += [
        f"  answered (every result streamed back):  {seconds['answered']:8.2f} s",
        f"  all stored at the county:               {seconds['at_county']:8.2f} s "
        f"= {run.per_second} notices/s",
        f"  all acknowledged back at Kela:          {seconds['delivered_at_kela']:8.2f} s",
    ]
    if run.cpu is not None:
        lines += [f"  CPU: {render_cpu(run.cpu)}", render_cpu_per_referral(run.cpu, run.notices)]
    if run.peak_rss_mb:
        lines.append(render_rss(run.peak_rss_mb))
    if run.liveness:
        lines.append(render_liveness(run.liveness))
    lines += render_profiles(run.profiles)
    if run.ratio is not None:
        verdict = "PASS" if run.passed else "FAIL"
        lines.append(
            f"  raw broker: {run.baseline_messages_per_second} messages/s; ratio "
            f"{run.ratio} (goal >= {GOAL}): {verdict}"
        )
    return "\n".join(lines)


Runner = Callable[[Coroutine[Any, Any, None]], None]


def run_reported(
    args: argparse.Namespace,
    run_async: Runner,
    run: Any,
    measure: Callable[[str], Coroutine[Any, Any, None]],
    report: Callable[[], str],
) -> None:
    """``measure`` on the bench's virtual host; its ``report`` printed, ``run`` (a dataclass
    with an ``error``) also as JSON to ``--json``; an error is reported, not raised."""
    try:
        with bench_vhost() as (_, amqp_url):
            run_async(measure(amqp_url))
    except Exception as error:
        run.error = f"{type(error).__name__}: {error}"
    print(report())
    if args.json is not None:
        args.json.write_text(json.dumps(asdict(run), indent=2) + "\n")


def main(args: argparse.Namespace, run_async: Runner) -> int:
    """Run the batch benchmark; 0 when it meets the goal, 1 when not, 2 when it could not run."""
    run = BatchRun(notices=args.batch, database=args.database)
    run_reported(
        args, run_async, run, lambda url: measure_batch(args, url, run), lambda: render(run)
    )
    if run.error is not None:
        return 2
    return 0 if run.passed in (True, None) else 1
