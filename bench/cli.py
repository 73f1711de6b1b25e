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
import time
import traceback
from collections.abc import Coroutine, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from silta_schemas.text import FREE_TEXT_MAX

from bench import batch, growth
from bench.measure import run_all, say
from bench.profiling import find_py_spy
from bench.rabbit import bench_vhost
from bench.report import render
from bench.results import BenchResult, SiltaResult, judge
from bench.steady import add_rate_options, steady_passed
from bench.whatif import PATCHES

T = TypeVar("T")


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
    add_rate_options(parser)
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
        "--description",
        type=int,
        default=0,
        metavar="CHARS",
        help="throughput and --rate runs: the notices' description CHARS characters of Finnish "
        f"prose (at most {FREE_TEXT_MAX}) instead of the example's 137 characters of English; "
        "the raw broker's messages grow with it",
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
        "--batch",
        type=int,
        default=0,
        metavar="N",
        help="instead: a night's batch of N notices in one request (bench/batch.py)",
    )
    parser.add_argument(
        "--growth",
        default="",
        metavar="SIZES",
        help="instead: the cost of a POST and of delivery with 1000,10000,... referrals "
        "already stored (bench/growth.py), e.g. --growth 1000,10000,100000",
    )
    parser.add_argument(
        "--postgres-dsn",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="administrative DSN used to create and drop the databases",
    )
    args = parser.parse_args(argv)
    if args.referrals < 1 or args.concurrency < 1 or args.warmup < 0:
        parser.error("--referrals and --concurrency must be positive, --warmup not negative")
    if not 0 <= args.description <= FREE_TEXT_MAX:  # what the schema lets a description be
        parser.error(f"--description is 0 (the example's) to {FREE_TEXT_MAX} characters")
    unknown = [name for name in args.what_if.split(",") if name and name not in PATCHES]
    if unknown:
        parser.error(f"unknown --what-if patches: {unknown}")
    if args.profile is not None and find_py_spy() is None:
        parser.error("--profile needs py-spy on PATH (pip install py-spy) or PY_SPY=/path")
    return args


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
    if args.batch:
        return batch.main(args, _run)
    if args.growth:
        return growth.main(args, _run)
    result = BenchResult(
        config={
            "referrals": args.referrals,
            "concurrency": args.concurrency,
            "database": args.database,
            "warmup": args.warmup,
            "what_if": args.what_if,
            "description": args.description,
            "rate": args.rate,
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
            say(f"RabbitMQ virtual host {vhost}")
            _run(run_all(args, vhost, amqp_url, result))
    except (KeyboardInterrupt, asyncio.CancelledError):
        result.error = "interrupted"
    except Exception as error:
        result.error = f"{type(error).__name__}: {error}"
        traceback.print_exc()
    if result.error is None and result.silta.steady is None:
        result.verdict = judge(result)
    print(render(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(result), indent=2, default=str) + "\n")
    if result.error is None and result.silta.steady is not None:
        return 0 if steady_passed(result.silta.steady) else 1
    if result.error is not None or result.verdict is None:
        return 2
    return 0 if result.verdict.passed else 1
