"""The benchmark's report as the developer reads it."""

from __future__ import annotations

from collections.abc import Sequence

from bench.load import Percentiles
from bench.procstat import CpuUsage
from bench.profiling import ProfileSummary
from bench.results import BenchResult, Verdict
from bench.steady import (
    render_broker_latency,
    render_cpu_per_referral,
    render_rss,
    render_steady,
)


def _ms(p: Percentiles | None) -> str:
    if p is None or not p.count:
        return "n/a"
    return (
        f"p50 {p.p50_ms:.0f} ms, p95 {p.p95_ms:.0f} ms, p99 {p.p99_ms:.0f} ms, "
        f"max {p.max_ms:.0f} ms (n={p.count})"
    )


def render_profiles(profiles: Sequence[ProfileSummary]) -> list[str]:
    """Each service's py-spy profile: its parts, and the functions most often on top."""
    lines = []
    for profile in profiles:
        lines.append(
            f"  py-spy {profile.name}: {profile.samples} samples; threads "
            + ", ".join(f"{t or 'main'} {n}" for t, n in profile.threads.items())
        )
        lines += [f"    {share:5.1f}%  {name}" for name, share in profile.categories]
        lines += [f"    self {share:5.1f}%  {name}" for name, share in profile.self_time[:10]]
    return lines


def render_cpu(cpu: CpuUsage | None) -> str:
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
    if c.get("description"):
        chars = c["description"]
        lines.append(f"  notices with a description of {chars} characters of Finnish prose")
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
            f"  CPU: {render_cpu(result.baseline_cpu)}",
        ]
    lines += render_broker_latency(result.broker_latency)
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
            f"  CPU: {render_cpu(s.cpu)}",
        ]
        if s.cpu is not None and s.posted:
            lines.append(render_cpu_per_referral(s.cpu, s.posted))
        for example in s.post_failure_examples:
            lines.append(f"  failed POST: {example}")
    if s.steady is not None:
        lines += render_steady(s.steady)
        lines.append(f"  CPU: {render_cpu(s.cpu)}")
        if s.cpu is not None and s.steady.sent:
            lines.append(render_cpu_per_referral(s.cpu, s.steady.sent))
    if s.peak_rss_mb:
        lines.append(render_rss(s.peak_rss_mb))
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
    lines += render_profiles(s.profiles)
    v = result.verdict
    if v is not None:
        lines += _render_verdict(v, what_if=bool(c["what_if"]))
    if result.error:
        lines.append(f"ERROR: {result.error}")
    return "\n".join(lines)


def _render_verdict(v: Verdict, *, what_if: bool) -> list[str]:
    """The throughput goal: the ratio to the raw broker of this run, and peak memory."""
    if v.ratio_to_broker is None:
        ratio = "not judged (no raw broker baseline in this run: drop --skip-baseline)"
    else:
        met = "met" if v.ratio_met else "not met"
        ratio = f"{v.ratio_to_broker:.3f} (goal >= {v.goal_ratio:g}): {met}"
    rss = " · ".join(f"{name} {mb:.0f}" for name, mb in v.peak_rss_mb.items()) or "not read"
    lines = [
        "Throughput goal: Silta / raw broker in the same run, and each service's peak RSS",
        f"  Silta / raw broker: {ratio}",
        f"  peak RSS: {rss} MB (goal <= {v.goal_peak_rss_mb:g} MB): "
        + ("met" if v.rss_met else "not met"),
        f"  {'PASS' if v.passed else 'FAIL'}: {v.referrals_per_second:.0f} referrals/s"
        + ("  (ratio not judged)" if v.ratio_met is None else "")
        + ("  (what-if experiment: not a verdict on Silta)" if what_if else ""),
    ]
    return lines
