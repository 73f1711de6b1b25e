"""One measured run: the raw broker's baseline, then both services as processes under load."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from contextlib import AsyncExitStack
from pathlib import Path

from pydantic import TypeAdapter
from silta_schemas.envelope import seal
from silta_schemas.parties import KELA, county_organisation
from silta_schemas.referrals import ReferralRequest

from bench.broker_latency import broker_latency
from bench.databases import run_databases
from bench.load import (
    Percentiles,
    crossing,
    http_clients,
    notice_of_need,
    request_bodies,
    run_referrals,
)
from bench.procstat import CpuMeter, rabbitmq_server_pids, service_meter
from bench.profiling import start_profiles, stop_profiles
from bench.rabbit import broker_baseline
from bench.results import BenchResult, SiltaResult
from bench.services import READY_WITHIN_S, bench_system, problems
from bench.steady import peak_rss_mb, run_steady

BROKER_GONE = ("CONNECTION_FORCED", "Connection refused")
"""Service log lines showing that the broker went away during the run."""
RELAY_STUCK = "broker connection trouble"
"""The relay's line when publishes of a batch were not confirmed in time (publish timeout)."""


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def sealed_notice(description_chars: int = 0) -> bytes:
    """The bytes of a notice sealed the way the Kela side seals one (the baseline body)."""
    request = TypeAdapter(ReferralRequest).validate_python(notice_of_need(description_chars))
    county = county_organisation(request.county_code)
    return seal(request, sender=KELA, recipient=county, referral_id=uuid.uuid4()).to_bytes()


def _thin(
    progress: Sequence[tuple[float, int, int]], spacing: float
) -> list[tuple[float, int, int]]:
    kept: list[tuple[float, int, int]] = []
    for point in progress:
        if not kept or point[0] - kept[-1][0] >= spacing or point is progress[-1]:
            kept.append(point)
    return kept


async def run_silta(
    args: argparse.Namespace, amqp_url: str, directory: Path, result: SiltaResult
) -> None:
    async with AsyncExitStack() as stack:
        databases, probe = await stack.enter_async_context(
            run_databases(args.database, directory, args.postgres_dsn)
        )
        system = bench_system(directory, databases, amqp_url, args.what_if)
        kela, municipality = services = system.processes

        async def stop_services() -> None:
            result.exit_codes.update(
                {
                    name: code
                    for name, code in (await system.stop(kela_first=True)).items()
                    if code is not None
                }
            )
            for service in services:
                found = problems(service)
                if found:
                    result.log_problems[service.name] = found[:20]
                if any(marker in line for line in found for marker in BROKER_GONE):
                    result.broker_interrupted = True
                result.relay_timeouts += sum(RELAY_STUCK in line for line in found)

        stack.push_async_callback(stop_services)
        say("starting both services")
        started = time.perf_counter()
        system.start()
        clients = await stack.enter_async_context(http_clients(kela.base_url, args.concurrency))
        await system.wait_ready(within=READY_WITHIN_S)
        result.startup_seconds = round(time.perf_counter() - started, 2)
        say(
            f"both ready in {result.startup_seconds} s (kela pid {kela.pid}, "
            f"municipality pid {municipality.pid})"
        )

        if args.warmup:
            say(f"warm-up: {args.warmup} referrals")
            posted, delivery, _ = await run_referrals(
                clients,
                probe,
                bodies=request_bodies(0, args.warmup, args.description),
                sample_every=args.warmup,
                stall_timeout=30.0,
                give_up_after=90.0,
            )
            if not delivery.completed or posted.failures:
                raise RuntimeError(
                    f"warm-up failed: {len(posted.order)} posted, {posted.failures} failed "
                    f"({posted.failure_examples[:2]}), {delivery.delivered} delivered\n"
                    + "\n".join(service.log_tail() for service in services)
                )
            result.warmup_referrals = args.warmup
            result.warmup_seconds = round(delivery.finished - posted.first_started, 2)

        pids = {service.name: service.pid for service in services}
        meter = service_meter(pids, args.database, databases.names)
        profiler = await start_profiles(args, pids)

        count = round(args.rate * args.duration) if args.rate else args.referrals
        sample_every = args.sample_every or max(1, count // 500)
        timeout = args.timeout or 60.0 + count / 20.0
        meter.start()
        try:
            if args.rate:
                say(f"steady load: {args.rate:g} referrals/s for {args.duration:g} s")
                result.steady = await run_steady(
                    clients,
                    probe,
                    request_bodies(args.warmup, count, args.description),
                    rate=args.rate,
                    give_up_after=timeout,
                )
                return
            say(f"measuring: {count} referrals, concurrency {args.concurrency}")
            posted, delivery, t0 = await run_referrals(
                clients,
                probe,
                bodies=request_bodies(args.warmup, count, args.description),
                sample_every=sample_every,
                give_up_after=timeout,
            )
        finally:
            result.peak_rss_mb = peak_rss_mb(pids)
            result.cpu = meter.stop()
            result.profiles = stop_profiles(profiler)
        stored_at = await probe.municipality_stored_at()

        result.referrals = count
        result.posted = len(posted.order)
        result.post_failures = posted.failures
        result.post_failure_examples = posted.failure_examples
        post_seconds = posted.last_answered - t0
        result.post_seconds = round(post_seconds, 3)
        result.posts_per_second = round(result.posted / post_seconds, 1) if post_seconds else 0.0
        result.delivered = delivery.delivered
        result.completed = delivery.completed and result.posted == count
        result.stalled = delivery.stalled
        seconds = delivery.finished - t0
        result.seconds = round(seconds, 3)
        result.referrals_per_second = round(min(delivery.delivered, result.posted) / seconds, 1)
        low, high = (
            crossing(delivery.progress, 0.2 * count),
            crossing(delivery.progress, 0.8 * count),
        )
        if low is not None and high is not None and high > low:
            result.steady_per_second = round(0.6 * count / (high - low), 1)
        result.post_round_trip = Percentiles.of(posted.round_trips)
        result.post_to_stored_at_municipality = Percentiles.of(
            [stored_at[rid] - wall for rid, wall in posted.started_at.items() if rid in stored_at]
        )
        result.post_to_delivered_at_kela = Percentiles.of(delivery.sample_latencies)
        result.progress = _thin(delivery.progress, 0.25)


async def run_all(args: argparse.Namespace, vhost: str, amqp_url: str, result: BenchResult) -> None:
    if args.rate and not args.skip_baseline:
        say(f"raw broker baseline: {args.rate:g} messages/s for {args.duration:g} s, two hops")
        result.broker_latency = await broker_latency(
            amqp_url, rate=args.rate, duration=args.duration, body=sealed_notice(args.description)
        )
    elif not args.skip_baseline:
        body = sealed_notice(args.description)
        say(f"raw broker baseline: {args.referrals} persistent messages of {len(body)} bytes")
        meter = CpuMeter(
            {"rabbitmq": lambda: rabbitmq_server_pids(), "bench": lambda: [os.getpid()]}
        )
        meter.start()
        result.baseline = await broker_baseline(
            amqp_url,
            messages=args.referrals,
            body=body,
            in_flight=args.in_flight,
            prefetch=args.prefetch,
        )
        result.baseline_cpu = meter.stop()
        say(f"raw broker: {result.baseline.messages_per_second} messages/s")
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        await run_silta(args, amqp_url, args.workdir, result.silta)
    else:
        with tempfile.TemporaryDirectory(prefix="silta-bench-") as directory:
            await run_silta(args, amqp_url, Path(directory), result.silta)
