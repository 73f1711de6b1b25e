"""The benchmark's verdict on a throughput run: Silta / raw broker in the same run at least
0.15, and each service's peak resident memory at most 150 MB (pure logic, no services)."""

from __future__ import annotations

import pytest

from bench.rabbit import BaselineResult
from bench.report import render
from bench.results import BenchResult, SiltaResult, judge

CONFIG = {
    "referrals": 3000,
    "concurrency": 32,
    "database": "sqlite",
    "cores": 2,
    "python": "3.11",
    "loop": "uvloop",
    "vhost": "silta-bench-0",
    "git": "test",
    "what_if": "",
}


def run(
    per_second: float, broker: float | None, rss: dict[str, float], *, completed: bool = True
) -> BenchResult:
    baseline = None
    if broker is not None:
        baseline = BaselineResult(3000, 1300, 50, 200, 1.0, 1.0, broker, broker)
    silta = SiltaResult(
        "sqlite", referrals=3000, completed=completed, referrals_per_second=per_second
    )
    silta.peak_rss_mb = rss
    return BenchResult(config=dict(CONFIG), baseline=baseline, baseline_cpu=None, silta=silta)


RSS = {"kela-side": 132.0, "municipality-side": 128.0}


@pytest.mark.parametrize(
    ("per_second", "broker", "rss", "passed"),
    [
        (450.0, 3000.0, RSS, True),  # 0.15: just met
        (449.0, 3000.0, RSS, False),  # below the ratio, whatever the absolute rate
        (300.0, 1800.0, RSS, True),  # a slow broker's run judged by its own broker
        (450.0, 3000.0, {"kela-side": 151.0, "municipality-side": 128.0}, False),
    ],
)
def test_the_throughput_goal_is_the_ratio_to_the_same_runs_broker_and_memory(
    per_second: float, broker: float, rss: dict[str, float], passed: bool
) -> None:
    result = run(per_second, broker, rss)
    verdict = judge(result)
    assert verdict.passed is passed
    assert verdict.ratio_to_broker == pytest.approx(per_second / broker, abs=1e-4)
    result.verdict = verdict
    text = render(result)
    assert ("PASS" if passed else "FAIL") in text
    assert "goal >= 0.15" in text


def test_without_a_baseline_the_ratio_is_not_judged_and_said_so() -> None:
    result = run(300.0, None, RSS)
    verdict = judge(result)
    assert verdict.ratio_to_broker is None
    assert verdict.ratio_met is None
    assert verdict.passed  # memory met, every referral delivered
    result.verdict = verdict
    assert "not judged" in render(result)


def test_a_run_that_did_not_deliver_everything_fails() -> None:
    assert not judge(run(900.0, 3000.0, RSS, completed=False)).passed
