"""``python -m bench --growth 1000,10000,100000``: what a referral costs as referrals pile up.

Both services run as processes on SQLite, with retention's maintenance every
``MAINTENANCE_SECONDS`` (it deletes sent outbox rows and inbox rows past the replay window).
The databases are filled through the real path, night batches of up to 10,000 notices, until
each size is reached and everything is delivered; at each size the benchmark measures

* a single ``POST /v1/referrals``: the round trip of ``PROBES`` posts one after another;
* its delivery: from the POST to the county's stored time, for the same posts;
* a batch of ``BATCH`` notices: notices/s until all are acknowledged back at Kela, right
  after the seeding (while retention deletes what the seeding left: sent outbox rows, and
  inbox rows as they leave the replay window) and again once retention has caught up
  (``SETTLE_SECONDS`` later: every seeded message out of the window, and a pass after it);
* the size of both database files and the rows of the tables that could grow (outbox and
  inbox after a maintenance pass, referrals and their history).

Flat figures across the sizes are the goal: what keeps them so is in the README's *Growth*.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import sqlite3
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from silta_schemas.examples import BASIC_AMOUNT_REDUCTION_EXAMPLE

from bench.batch import (
    Runner,
    batch_body,
    kela_client,
    post_batch,
    run_reported,
    running_system,
    until_delivered,
)
from bench.databases import DeliveryProbe
from bench.load import synthetic_identity_code
from bench.measure import say
from bench.procstat import service_meter
from bench.profiling import ProfileSummary, start_profiles, stop_profiles
from bench.report import render_profiles

PROBES = 100
BATCH = 1000
SEED_BATCH = 10_000
MAINTENANCE_SECONDS = 5.0
WINDOW_SECONDS = 120.0
SETTLE_SECONDS = WINDOW_SECONDS + 2 * MAINTENANCE_SECONDS
COUNTED = {
    "referrals": "SELECT count(*) FROM referrals",
    "history": "SELECT count(*) FROM referral_status_history",
    "outbox": "SELECT count(*) FROM silta_outbox",
    "outbox_pending": "SELECT count(*) FROM silta_outbox WHERE published_at IS NULL",
    "inbox": "SELECT count(*) FROM silta_inbox",
}


@dataclass
class Level:
    referrals: int
    post_ms: tuple[float, float] = (0.0, 0.0)
    """The single POST's round trip, p50 and p95."""
    delivery_ms: tuple[float, float] = (0.0, 0.0)
    """From the POST to the county's stored time, p50 and p95."""
    batch_per_second: float = 0.0
    """Right after the seeding, while retention deletes what it left."""
    settled_batch_per_second: float = 0.0
    """The same once retention has caught up (``SETTLE_SECONDS`` later)."""
    settled_batch_cpu_ms: dict[str, float] = field(default_factory=dict)
    """Each service's CPU per notice over that batch, in ms (until acknowledged back)."""
    profiles: list[ProfileSummary] = field(default_factory=list)
    """With ``--profile``: both services over that batch (``DIR/<size>/``)."""
    database_mb: dict[str, float] = field(default_factory=dict)
    """Each side's database file with its write-ahead log."""
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    """Each side's rows in the tables that could grow."""


@dataclass
class GrowthRun:
    sizes: list[int]
    started_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    levels: list[Level] = field(default_factory=list)
    error: str | None = None


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


def _single(index: int) -> bytes:
    notice = copy.deepcopy(BASIC_AMOUNT_REDUCTION_EXAMPLE)
    notice["client"]["identity_code"] = synthetic_identity_code(index)
    return json.dumps(notice).encode()


def _database(path: Path) -> tuple[float, dict[str, int]]:
    """The file's size with its write-ahead log (MB), and the rows of the growing tables."""
    size = sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as conn:
        rows = {name: int(conn.execute(sql).fetchone()[0]) for name, sql in COUNTED.items()}
    return round(size / 1e6, 1), rows


async def _probe_posts(
    client: httpx.AsyncClient, probe: DeliveryProbe, start: int, level: Level
) -> None:
    """``PROBES`` single POSTs one after another: their round trips and their deliveries."""
    posted: dict[str, float] = {}
    round_trips = []
    headers = {"content-type": "application/json"}
    for index in range(start, start + PROBES):
        began_wall, began = time.time(), time.perf_counter()
        response = await client.post("/v1/referrals", content=_single(index), headers=headers)
        round_trips.append((time.perf_counter() - began) * 1000)
        if response.status_code != 201:
            raise RuntimeError(f"POST answered {response.status_code}: {response.text}")
        posted[response.json()["id"]] = began_wall
    deadline = time.perf_counter() + 120
    while len(await probe.delivered_among(list(posted))) < PROBES:
        if time.perf_counter() > deadline:
            raise RuntimeError("the probe posts were not delivered within 120 s")
        await asyncio.sleep(0.05)
    stored_at = await probe.municipality_stored_at()
    deliveries = [(stored_at[rid] - began) * 1000 for rid, began in posted.items()]
    level.post_ms = (round(statistics.median(round_trips), 1), _percentile(round_trips, 0.95))
    level.delivery_ms = (round(statistics.median(deliveries), 1), _percentile(deliveries, 0.95))


async def _batch(client: httpx.AsyncClient, probe: DeliveryProbe, stored: int) -> float:
    """A batch of ``BATCH`` notices: notices/s until all are acknowledged back at Kela."""
    began, since = time.perf_counter(), datetime.now(UTC)
    await post_batch(client, batch_body(stored, BATCH))
    await until_delivered(probe, BATCH, 300.0, since=since)
    return round(BATCH / (time.perf_counter() - began), 1)


async def measure_growth(args: argparse.Namespace, amqp_url: str, run: GrowthRun) -> None:
    settings = {
        "MAINTENANCE_INTERVAL_SECONDS": str(MAINTENANCE_SECONDS),
        # The replay window compressed from 7 days to two minutes, so that the run shows the
        # inbox holding only the window's messages (each batch is delivered well within it).
        "MESSAGE_MAX_AGE_SECONDS": str(WINDOW_SECONDS),
        "MESSAGE_MAX_FUTURE_SECONDS": "5",
    }
    with tempfile.TemporaryDirectory(prefix="silta-growth-") as name:
        directory = Path(name)
        async with (
            running_system("sqlite", directory, amqp_url, args.postgres_dsn, settings) as (
                services,
                probe,
                _,
            ),
            kela_client(services[0]) as client,
        ):
            stored = 0  # referrals in the databases, and the next client's index
            for size in run.sizes:
                while stored < size:
                    count = min(SEED_BATCH, size - stored)
                    say(f"seeding: {count} more referrals (to {size})")
                    await post_batch(client, batch_body(stored, count))
                    stored += count
                    await until_delivered(probe, stored, 120.0 + count / 20)
                level = Level(referrals=size)
                say(f"at {size}: {PROBES} single POSTs, then a batch of {BATCH}")
                await _probe_posts(client, probe, stored, level)
                stored += PROBES
                level.batch_per_second = await _batch(client, probe, stored)
                stored += BATCH
                say(f"at {size}: {SETTLE_SECONDS:g} s for retention to catch up, another batch")
                await asyncio.sleep(SETTLE_SECONDS)
                pids = {service.name: service.pid for service in services}
                meter = service_meter(pids, "sqlite", [])
                profiler = await start_profiles(args, pids, subdirectory=str(size))
                meter.start()
                level.settled_batch_per_second = await _batch(client, probe, stored)
                cpu = meter.stop()
                level.profiles = stop_profiles(profiler)
                level.settled_batch_cpu_ms = {
                    name: round(percent / 100 * cpu.seconds / BATCH * 1000, 2)
                    for name, percent in cpu.per_process.items()
                    if name in pids
                }
                stored += BATCH
                await asyncio.sleep(MAINTENANCE_SECONDS * 2)  # a maintenance pass on both
                for side in ("kela", "municipality"):
                    megabytes, rows = _database(directory / f"{side}-side.db")
                    level.database_mb[side], level.rows[side] = megabytes, rows
                run.levels.append(level)
                say(f"at {size}: {asdict(level)}")


def render(run: GrowthRun) -> str:
    lines = [
        f"Growth on SQLite, {run.started_at}: at each size, {PROBES} single POSTs one after "
        f"another and a batch of {BATCH}",
        "| referrals stored | POST p50 / p95 ms | POST → stored at county p50 / p95 ms | "
        "batch notices/s (settled) | settled batch CPU/notice Kela · county ms | "
        "Kela DB MB | county DB MB | Kela outbox (pending) | county inbox |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in run.levels:
        kela, county = level.rows.get("kela", {}), level.rows.get("municipality", {})
        lines.append(
            f"| {level.referrals:,} | {level.post_ms[0]} / {level.post_ms[1]} | "
            f"{level.delivery_ms[0]} / {level.delivery_ms[1]} | {level.batch_per_second} "
            f"({level.settled_batch_per_second}) | "
            f"{' · '.join(str(ms) for ms in level.settled_batch_cpu_ms.values())} | "
            f"{level.database_mb.get('kela')} | {level.database_mb.get('municipality')} | "
            f"{kela.get('outbox')} ({kela.get('outbox_pending')}) | {county.get('inbox')} |"
        )
    for level in run.levels:
        if level.profiles:
            lines.append(f"Profiles of the settled batch at {level.referrals:,}:")
            lines += render_profiles(level.profiles)
    if run.error is not None:
        lines.append(f"ERROR: {run.error}")
    return "\n".join(lines)


def main(args: argparse.Namespace, run_async: Runner) -> int:
    """Run the growth benchmark; 0 when it ran, 2 when it could not."""
    run = GrowthRun(sizes=sorted(int(size) for size in args.growth.split(",") if size.strip()))
    if args.database != "sqlite":
        run.error = "--growth measures SQLite (its file sizes and query plans)"
        print(render(run))
        return 2
    run_reported(
        args, run_async, run, lambda url: measure_growth(args, url, run), lambda: render(run)
    )
    return 2 if run.error is not None else 0
