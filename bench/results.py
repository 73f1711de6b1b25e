"""What one benchmark run found, and the verdict on it: the requirement is 4 × what a
straightforward pipeline moves, also scaled by this run's raw broker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.broker_latency import BrokerLatency
from bench.load import Percentiles
from bench.procstat import CpuUsage
from bench.profiling import ProfileSummary
from bench.rabbit import BaselineResult
from bench.steady import SteadyResult

STRAIGHTFORWARD_PER_SECOND = 70.0
"""What a straightforward FastAPI + SQLAlchemy + aio-pika outbox pipeline moves here."""
REQUIRED_FACTOR = 4.0
REQUIRED_PER_SECOND = REQUIRED_FACTOR * STRAIGHTFORWARD_PER_SECOND
REFERENCE_BROKER_PER_SECOND = 2000.0
"""What the raw broker moved when the 70/s was measured (for the normalised comparison)."""


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
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    """Each service's peak resident set (VmHWM) after the measured run."""
    steady: SteadyResult | None = None
    """A ``--rate`` run's figures (instead of the throughput run's)."""


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
    broker_latency: BrokerLatency | None = None
    """``--rate``: the raw broker's latency at the same rate (``bench.broker_latency``)."""
    verdict: Verdict | None = None
    error: str | None = None


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
