"""``python -m bench``: the raw broker, then Silta end to end, in one run; PASS or FAIL.

Exit status: 0 when Silta meets the requirement, 1 when it does not, 2 when the benchmark
itself could not run (services not starting, broker or database unreachable ...).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter
from silta_schemas.envelope import seal
from silta_schemas.examples import NOTICE_OF_NEED_EXAMPLE
from silta_schemas.parties import KELA, county_organisation
from silta_schemas.referrals import ReferralRequest

from bench.databases import (
    DeliveryProbe,
    PostgresProbe,
    ServiceDatabases,
    SqliteProbe,
    postgres_databases,
    sqlite_databases,
)
from bench.load import Percentiles, crossing, http_clients, request_bodies, run_referrals
from bench.procstat import CpuMeter, CpuUsage, postgres_pids, rabbitmq_server_pids
from bench.profiling import ProfileSummary, PySpy, find_py_spy, summarise
from bench.rabbit import BaselineResult, bench_vhost, broker_baseline
from bench.services import ServiceProcess
from bench.whatif import PATCHES

STRAIGHTFORWARD_PER_SECOND = 70.0
"""What a straightforward FastAPI + SQLAlchemy + aio-pika outbox pipeline moves here."""
REQUIRED_FACTOR = 4.0
REQUIRED_PER_SECOND = REQUIRED_FACTOR * STRAIGHTFORWARD_PER_SECOND
REFERENCE_BROKER_PER_SECOND = 2000.0
"""What the raw broker moved when the 70/s was measured (for the normalised comparison)."""

BROKER_GONE = ("CONNECTION_FORCED", "Connection refused")
"""Service log lines showing that the broker went away during the run."""
RELAY_STUCK = "broker connection trouble"
"""The relay's line when publishes of a batch were not confirmed in time (publish timeout)."""

T = TypeVar("T")


def _say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Silta end to end against the raw broker, measured in the same run.",
    )
    parser.add_argument(
        "--referrals",
        "-n",
        type=int,
        default=3000,
        metavar="N",
        help="referrals to send, and messages for the broker baseline (3000)",
    )
    parser.add_argument(
        "--concurrency",
        "-c",
        type=int,
        default=32,
        metavar="C",
        help="HTTP requests in flight (32)",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the services' databases (sqlite files in a temporary directory)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the numbers here")
    parser.add_argument(
        "--warmup",
        type=int,
        default=50,
        metavar="N",
        help="referrals sent and delivered before measuring (50)",
    )
    parser.add_argument(
        "--in-flight", type=int, default=50, help="broker baseline: confirms in flight (50)"
    )
    parser.add_argument(
        "--prefetch", type=int, default=200, help="broker baseline: consumer prefetch (200)"
    )
    parser.add_argument(
        "--sample-every",
        type=int,
        default=0,
        metavar="K",
        help="follow every K-th referral to delivery (default: ~500 samples)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=0.0,
        metavar="S",
        help="give up on delivery after S seconds (default: 60 + N/20)",
    )
    parser.add_argument(
        "--skip-baseline", action="store_true", help="do not measure the raw broker (no ratio)"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="py-spy record both services over the measured window into DIR",
    )
    parser.add_argument(
        "--profile-native", action="store_true", help="with --profile: include native (C) frames"
    )
    parser.add_argument("--profile-rate", type=int, default=100, help="py-spy samples/s (100)")
    parser.add_argument(
        "--profile-gil",
        action="store_true",
        help="with --profile: sample only the thread holding the GIL (where Python CPU goes)",
    )
    parser.add_argument(
        "--what-if",
        default="",
        metavar="PATCHES",
        help="experiment: run the services with these comma-separated monkeypatches from "
        "bench/whatif.py (" + ", ".join(PATCHES) + ")",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        metavar="DIR",
        help="keep databases (SQLite) and service logs in DIR (kept afterwards)",
    )
    parser.add_argument(
        "--postgres-dsn",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="administrative DSN used to create and drop the databases",
    )
    args = parser.parse_args(argv)
    if args.referrals < 1 or args.concurrency < 1 or args.warmup < 0:
        parser.error("--referrals and --concurrency must be positive, --warmup not negative")
    unknown = [name for name in args.what_if.split(",") if name and name not in PATCHES]
    if unknown:
        parser.error(f"unknown --what-if patches: {unknown}")
    if args.profile is not None and find_py_spy() is None:
        parser.error("--profile needs py-spy on PATH (pip install py-spy) or PY_SPY=/path")
    return args


def sealed_notice() -> bytes:
    """The bytes of a notice sealed the way the Kela side seals one (the baseline body)."""
    request = TypeAdapter(ReferralRequest).validate_python(NOTICE_OF_NEED_EXAMPLE)
    county = county_organisation(request.county_code)
    return seal(request, sender=KELA, recipient=county, referral_id=uuid.uuid4()).to_bytes()


@dataclass
class SiltaResult:
    database: str
    startup_seconds: float = 0.0
    warmup_referrals: int = 0
    warmup_seconds: float = 0.0
    referrals: int = 0
    posted: int = 0
    post_failures: int = 0
    post_failure_examples: list[str] = field(default_factory=list)
    post_seconds: float = 0.0
    posts_per_second: float = 0.0
    delivered: int = 0
    completed: bool = False
    stalled: bool = False
    seconds: float = 0.0
    """From the first POST until every posted referral is ``delivered`` at Kela."""
    referrals_per_second: float = 0.0
    steady_per_second: float | None = None
    """Delivery rate between 20 % and 80 % of the referrals (no ramp-up, no tail)."""
    post_round_trip: Percentiles | None = None
    post_to_stored_at_municipality: Percentiles | None = None
    post_to_delivered_at_kela: Percentiles | None = None
    latency_poll_interval_ms: float = 50.0
    cpu: CpuUsage | None = None
    exit_codes: dict[str, int | None] = field(default_factory=dict)
    log_problems: dict[str, list[str]] = field(default_factory=dict)
    broker_interrupted: bool = False
    """The services lost the broker during the run (someone restarted it): not comparable."""
    relay_timeouts: int = 0
    """Relay passes in which some publishes were not confirmed within the publish timeout."""
    progress: list[tuple[float, int, int]] = field(default_factory=list)
    profiles: list[ProfileSummary] = field(default_factory=list)


@dataclass
class Verdict:
    required_per_second: float
    referrals_per_second: float
    passed: bool
    ratio_to_broker: float | None
    """Silta's end-to-end rate over the raw broker's, this run."""
    required_ratio: float
    """``REQUIRED_PER_SECOND / REFERENCE_BROKER_PER_SECOND``: 4 × the straightforward 3.5 %."""
    scaled_required_per_second: float | None
    """The requirement scaled by this run's broker: 280 × baseline / 2000."""
    passed_scaled: bool | None


@dataclass
class BenchResult:
    config: dict[str, Any]
    baseline: BaselineResult | None
    baseline_cpu: CpuUsage | None
    silta: SiltaResult
    verdict: Verdict | None = None
    error: str | None = None


def _thin(
    progress: Sequence[tuple[float, int, int]], spacing: float
) -> list[tuple[float, int, int]]:
    kept: list[tuple[float, int, int]] = []
    for point in progress:
        if not kept or point[0] - kept[-1][0] >= spacing or point is progress[-1]:
            kept.append(point)
    return kept


@asynccontextmanager
async def _databases(
    args: argparse.Namespace, directory: Path
) -> AsyncIterator[tuple[ServiceDatabases, DeliveryProbe]]:
    if args.database == "postgresql":
        async with postgres_databases(args.postgres_dsn) as (databases, kela_dsn):
            probe: DeliveryProbe = PostgresProbe(kela_dsn)
            try:
                yield databases, probe
            finally:
                await probe.close()
    else:
        async with sqlite_databases(directory) as (databases, kela_path):
            probe = SqliteProbe(kela_path)
            try:
                yield databases, probe
            finally:
                await probe.close()


async def run_silta(
    args: argparse.Namespace, amqp_url: str, directory: Path, result: SiltaResult
) -> None:
    async with AsyncExitStack() as stack:
        databases, probe = await stack.enter_async_context(_databases(args, directory))
        municipality = ServiceProcess(
            name="municipality-side",
            module="municipality_side",
            env_prefix="MUNICIPALITY_SIDE_",
            database_url=databases.municipality_url,
            amqp_url=amqp_url,
            log_path=directory / "municipality-side.log",
            what_if=args.what_if,
        )
        kela = ServiceProcess(
            name="kela-side",
            module="kela_side",
            env_prefix="KELA_SIDE_",
            database_url=databases.kela_url,
            amqp_url=amqp_url,
            log_path=directory / "kela-side.log",
            what_if=args.what_if,
        )
        services = (kela, municipality)

        def stop_services() -> None:
            for service in services:  # Kela first: nothing new enters the pipeline
                if service.process is not None:
                    result.exit_codes[service.name] = service.stop()
            for service in services:
                problems = service.problems()
                if problems:
                    result.log_problems[service.name] = problems[:20]
                if any(marker in line for line in problems for marker in BROKER_GONE):
                    result.broker_interrupted = True
                result.relay_timeouts += sum(RELAY_STUCK in line for line in problems)

        stack.callback(stop_services)
        _say("starting both services")
        started = time.perf_counter()
        municipality.start()
        kela.start()
        probe_client = await stack.enter_async_context(httpx.AsyncClient(timeout=10.0))
        clients = await stack.enter_async_context(http_clients(kela.base_url, args.concurrency))
        await asyncio.gather(municipality.wait_ready(probe_client), kela.wait_ready(probe_client))
        result.startup_seconds = round(time.perf_counter() - started, 2)
        _say(
            f"both ready in {result.startup_seconds} s (kela pid {kela.pid}, "
            f"municipality pid {municipality.pid})"
        )

        if args.warmup:
            _say(f"warm-up: {args.warmup} referrals")
            posted, delivery, _ = await run_referrals(
                clients,
                probe,
                bodies=request_bodies(0, args.warmup),
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

        participants = {
            "kela-side": lambda: [kela.pid],
            "municipality-side": lambda: [municipality.pid],
            "rabbitmq": lambda: rabbitmq_server_pids(),
            "bench": lambda: [os.getpid()],
        }
        if args.database == "postgresql":
            names = [
                url.rsplit("/", 1)[1] for url in (databases.kela_url, databases.municipality_url)
            ]
            participants["postgresql"] = lambda: postgres_pids(names)
        meter = CpuMeter(
            participants, main_threads={service.name: service.pid for service in services}
        )
        profiler: PySpy | None = None
        if args.profile is not None:
            executable = find_py_spy()
            assert executable is not None
            profiler = PySpy(
                executable,
                args.profile,
                rate=args.profile_rate,
                native=args.profile_native,
                gil=args.profile_gil,
            )
            for service in services:
                profiler.start(service.name, service.pid)
            await asyncio.sleep(0.5)  # py-spy attaches

        count = args.referrals
        sample_every = args.sample_every or max(1, count // 500)
        timeout = args.timeout or 60.0 + count / 20.0
        _say(f"measuring: {count} referrals, concurrency {args.concurrency}")
        meter.start()
        try:
            posted, delivery, t0 = await run_referrals(
                clients,
                probe,
                bodies=request_bodies(args.warmup, count),
                sample_every=sample_every,
                give_up_after=timeout,
            )
        finally:
            result.cpu = meter.stop()
            if profiler is not None:
                recordings = profiler.stop()
                for recording in recordings:
                    if recording.output.exists():
                        result.profiles.append(summarise(recording.name, recording.output))
                    else:
                        _say(
                            f"py-spy wrote no profile for {recording.name}: "
                            f"{recording.log.read_text(errors='replace')[-500:]}"
                        )
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
    if not args.skip_baseline:
        body = sealed_notice()
        _say(f"raw broker baseline: {args.referrals} persistent messages of {len(body)} bytes")
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
        _say(f"raw broker: {result.baseline.messages_per_second} messages/s")
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        await run_silta(args, amqp_url, args.workdir, result.silta)
    else:
        with tempfile.TemporaryDirectory(prefix="silta-bench-") as directory:
            await run_silta(args, amqp_url, Path(directory), result.silta)


def _loop_name() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


async def _cancel_on_sigterm(coroutine: Coroutine[Any, Any, T]) -> T:
    """SIGTERM cancels the run like Ctrl-C does, so services and databases are cleaned up."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await coroutine
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop when it is installed (as uvicorn runs the services), else asyncio."""
    if _loop_name() == "asyncio":
        return asyncio.run(_cancel_on_sigterm(coroutine))
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_cancel_on_sigterm(coroutine))


def judge(result: BenchResult) -> Verdict:
    silta = result.silta
    rate = silta.referrals_per_second if silta.completed else 0.0
    required_ratio = REQUIRED_PER_SECOND / REFERENCE_BROKER_PER_SECOND
    ratio = scaled = None
    if result.baseline is not None:
        ratio = round(silta.referrals_per_second / result.baseline.messages_per_second, 4)
        scaled = round(
            REQUIRED_PER_SECOND * result.baseline.messages_per_second / REFERENCE_BROKER_PER_SECOND,
            1,
        )
    return Verdict(
        required_per_second=REQUIRED_PER_SECOND,
        referrals_per_second=silta.referrals_per_second,
        passed=silta.completed and rate >= REQUIRED_PER_SECOND,
        ratio_to_broker=ratio,
        required_ratio=required_ratio,
        scaled_required_per_second=scaled,
        passed_scaled=None if scaled is None else silta.completed and rate >= scaled,
    )


def _ms(p: Percentiles | None) -> str:
    if p is None or not p.count:
        return "n/a"
    return (
        f"p50 {p.p50_ms:.0f} ms, p95 {p.p95_ms:.0f} ms, p99 {p.p99_ms:.0f} ms, "
        f"max {p.max_ms:.0f} ms (n={p.count})"
    )


def _cpu(cpu: CpuUsage | None) -> str:
    if cpu is None:
        return "n/a"
    parts = ", ".join(f"{name} {value:.0f}%" for name, value in cpu.per_process.items())
    text = (
        f"{parts}, everything else {cpu.others_percent:.0f}% (% of one core); "
        f"machine {cpu.machine_percent:.0f}% busy of {cpu.cores} cores"
    )
    if cpu.main_threads:
        text += "; main (event loop) threads: " + ", ".join(
            f"{name} {value:.0f}%" for name, value in cpu.main_threads.items()
        )
    if cpu.others_percent > 25:
        text += "  [other work on the machine: numbers are pessimistic]"
    return text


def render(result: BenchResult) -> str:
    c = result.config
    lines = [
        "",
        "Silta benchmark",
        f"  {c['referrals']} referrals, concurrency {c['concurrency']}, database {c['database']}, "
        f"{c['cores']} cores, Python {c['python']} on {c['loop']}, vhost {c['vhost']}",
        f"  code: {c['git']}",
    ]
    if c["what_if"]:
        lines.append(
            f"  WHAT-IF EXPERIMENT: services patched with {c['what_if']} (bench/whatif.py)"
        )
    b = result.baseline
    if b is not None:
        lines += [
            "Raw broker (durable quorum queue, persistent, confirms with "
            f"{b.in_flight} in flight, prefetch {b.prefetch}, manual acks, one process)",
            f"  {b.messages} messages of {b.body_bytes} bytes in {b.seconds:.2f} s: "
            f"{b.messages_per_second:.0f} messages/s end to end "
            f"(publishing alone {b.publish_per_second:.0f}/s)",
            f"  CPU: {_cpu(result.baseline_cpu)}",
        ]
    s = result.silta
    lines.append(
        "Silta end to end (POST at Kela → stored at the county → `delivered` back at Kela)"
    )
    if s.startup_seconds:
        lines.append(
            f"  services ready in {s.startup_seconds:.1f} s; warm-up of "
            f"{s.warmup_referrals} referrals delivered in {s.warmup_seconds:.2f} s"
        )
    if s.referrals:
        lines += [
            f"  POSTs: {s.posted} created, {s.post_failures} failed in {s.post_seconds:.2f} s: "
            f"{s.posts_per_second:.0f} requests/s",
            f"  delivered at Kela: {s.delivered}/{s.posted} in {s.seconds:.2f} s: "
            f"{s.referrals_per_second:.0f} referrals/s"
            + (
                f" (steady state 20-80 %: {s.steady_per_second:.0f}/s)"
                if s.steady_per_second
                else ""
            )
            + ("" if s.completed else "  INCOMPLETE" + (" (stalled)" if s.stalled else "")),
            f"  POST round trip:                    {_ms(s.post_round_trip)}",
            f"  POST → stored at the county:        {_ms(s.post_to_stored_at_municipality)}",
            f"  POST → delivered at Kela (sampled, ±{s.latency_poll_interval_ms:.0f} ms): "
            f"{_ms(s.post_to_delivered_at_kela)}",
            f"  CPU: {_cpu(s.cpu)}",
        ]
        for example in s.post_failure_examples:
            lines.append(f"  failed POST: {example}")
    for name, problems in s.log_problems.items():
        lines.append(
            f"  {name} logged {len(problems)} warning/error lines, e.g.: {problems[0][:200]}"
        )
    if s.relay_timeouts:
        lines.append(
            f"  NOTE: {s.relay_timeouts} relay pass(es) had publishes unconfirmed after the "
            "publish timeout (the relay falls behind under HTTP load; they are republished)"
        )
    if s.broker_interrupted:
        lines.append(
            "  WARNING: the broker went away during the run (restarted by someone?): "
            "these numbers are not comparable"
        )
    for profile in s.profiles:
        lines.append(
            f"  py-spy {profile.name}: {profile.samples} samples; threads "
            + ", ".join(f"{t or 'main'} {n}" for t, n in profile.threads.items())
        )
        lines += [f"    {share:5.1f}%  {name}" for name, share in profile.categories]
        lines += [f"    self {share:5.1f}%  {name}" for name, share in profile.self_time[:10]]
    v = result.verdict
    if v is not None:
        lines.append(
            "Requirement: at least "
            f"{REQUIRED_FACTOR:g} × {STRAIGHTFORWARD_PER_SECOND:g} = "
            f"{v.required_per_second:g} referrals/s end to end"
        )
        if v.ratio_to_broker is not None:
            lines.append(
                f"  Silta / raw broker: {v.ratio_to_broker:.3f} (required {v.required_ratio:.3f}"
                f" = 280/2000); scaled to this run's broker: {v.scaled_required_per_second:.0f}/s"
                f" → {'met' if v.passed_scaled else 'not met'}"
            )
        lines.append(
            f"  {'PASS' if v.passed else 'FAIL'}: {v.referrals_per_second:.0f} referrals/s "
            f"{'≥' if v.passed else 'vs'} {v.required_per_second:g}"
            + ("  (what-if experiment: not a verdict on Silta)" if c["what_if"] else "")
        )
    if result.error:
        lines.append(f"ERROR: {result.error}")
    return "\n".join(lines)


def _git_state() -> str:
    """``<commit>`` plus ``+N changed`` when the working tree differs (read only)."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
    except OSError:
        return "unknown"
    return f"{head or 'unknown'}" + (f" +{len(changed)} changed files" if changed else "")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    result = BenchResult(
        config={
            "referrals": args.referrals,
            "concurrency": args.concurrency,
            "database": args.database,
            "warmup": args.warmup,
            "what_if": args.what_if,
            "git": _git_state(),
            "python": platform.python_version(),
            "cores": os.cpu_count(),
            "loop": _loop_name(),
            "vhost": "?",
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
        baseline=None,
        baseline_cpu=None,
        silta=SiltaResult(database=args.database),
    )
    try:
        with bench_vhost() as (vhost, amqp_url):
            result.config["vhost"] = vhost
            _say(f"RabbitMQ virtual host {vhost}")
            _run(run_all(args, vhost, amqp_url, result))
    except (KeyboardInterrupt, asyncio.CancelledError):
        result.error = "interrupted"
    except Exception as error:
        result.error = f"{type(error).__name__}: {error}"
        traceback.print_exc()
    if result.error is None:
        result.verdict = judge(result)
    print(render(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(result), indent=2, default=str) + "\n")
    if result.error is not None or result.verdict is None:
        return 2
    return 0 if result.verdict.passed else 1
