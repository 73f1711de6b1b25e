"""What one benchmark run found, and the verdict on it against the throughput goal: Silta
end to end at least ``GOAL_RATIO`` × the raw broker's messages/s measured in the same run,
and each service within ``GOAL_PEAK_RSS_MB`` of resident memory under that load."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.broker_latency import BrokerLatency
from bench.load import Percentiles
from bench.procstat import CpuUsage
from bench.profiling import ProfileSummary
from bench.rabbit import BaselineResult
from bench.steady import SteadyResult

GOAL_RATIO = 0.15
"""Referrals/s end to end over the raw broker's persistent, confirmed messages/s."""
GOAL_PEAK_RSS_MB = 150.0
"""Each service's peak resident set (VmHWM) after the measured run."""


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
    referrals_per_second: float
    ratio_to_broker: float | None
    """Silta's end-to-end rate over the raw broker's, this run; None without a baseline."""
    goal_ratio: float
    peak_rss_mb: dict[str, float]
    goal_peak_rss_mb: float
    ratio_met: bool | None
    """None when the raw broker was not measured (``--skip-baseline``): nothing to judge by."""
    rss_met: bool
    passed: bool
    """Every referral delivered, and each goal that could be judged met."""


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
    ratio = ratio_met = None
    if result.baseline is not None and result.baseline.messages_per_second > 0:
        ratio = round(silta.referrals_per_second / result.baseline.messages_per_second, 4)
        ratio_met = ratio >= GOAL_RATIO
    rss_met = all(mb <= GOAL_PEAK_RSS_MB for mb in silta.peak_rss_mb.values())
    return Verdict(
        referrals_per_second=silta.referrals_per_second,
        ratio_to_broker=ratio,
        goal_ratio=GOAL_RATIO,
        peak_rss_mb=dict(silta.peak_rss_mb),
        goal_peak_rss_mb=GOAL_PEAK_RSS_MB,
        ratio_met=ratio_met,
        rss_met=rss_met,
        passed=silta.completed and ratio_met is not False and rss_met,
    )
