"""How long each service takes to answer its liveness probe while a benchmark runs.

Kubernetes probes ``GET /healthz`` (``infra/k8s``: every 10 s, 3 s timeout, restarted after
three misses). The answer is one await on the service's event loop, so its round trip is
how long the loop was busy with other work when the probe came: what a night's batch makes
any other request wait, and how close it comes to the probe's timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Mapping

import httpx

from bench.load import Percentiles

PROBE_EVERY_S = 0.1


async def _probe(base_url: str, seconds: list[float], every: float) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as client:
        while True:
            started = time.perf_counter()
            response = await client.get("/healthz")
            response.raise_for_status()
            seconds.append(time.perf_counter() - started)
            await asyncio.sleep(every)


@contextlib.asynccontextmanager
async def probing(
    base_urls: Mapping[str, str], every: float = PROBE_EVERY_S
) -> AsyncIterator[dict[str, list[float]]]:
    """Probe each service (name → base URL) every ``every`` seconds, one probe at a time,
    while the block runs; the round trips in seconds, by name."""
    seconds: dict[str, list[float]] = {name: [] for name in base_urls}
    tasks = [
        asyncio.create_task(_probe(url, seconds[name], every)) for name, url in base_urls.items()
    ]
    try:
        yield seconds
    finally:
        for task in tasks:
            task.cancel()
        for outcome in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(outcome, BaseException) and not isinstance(
                outcome, asyncio.CancelledError
            ):
                raise outcome  # a probe that failed is a finding, not noise


def render_liveness(probes: Mapping[str, Percentiles]) -> str:
    """One line: each service's probe round trips."""
    parts = [
        f"{name} p50 {p.p50_ms} · p99 {p.p99_ms} · max {p.max_ms} ms (n={p.count})"
        for name, p in probes.items()
    ]
    return f"  GET /healthz every {PROBE_EVERY_S * 1000:.0f} ms meanwhile: " + "; ".join(parts)
