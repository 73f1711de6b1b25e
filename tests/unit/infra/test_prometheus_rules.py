"""infra/prometheus/alerts.yml passes ``promtool check rules`` and its unit tests
(``promtool test rules alerts.test.yml``); the Grafana dashboard is valid JSON whose panels all
query Prometheus. That every metric they name is exported is checked against running
services (tests/integration/test_metrics.py). promtool comes with Debian's ``prometheus``
package (.ci/run installs it)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

INFRA = Path(__file__).resolve().parents[3] / "infra"
ALERTS = INFRA / "prometheus" / "alerts.yml"
ALERT_TESTS = INFRA / "prometheus" / "alerts.test.yml"
DASHBOARD = INFRA / "grafana" / "silta.json"
METRIC = re.compile(r"\bsilta_[a-z0-9_]+")


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: apt-get install prometheus (Debian), as .ci/run does"
    return subprocess.run(
        [promtool, *args], cwd=ALERTS.parent, capture_output=True, text=True, check=False
    )


def alert_expressions() -> list[str]:
    groups: list[dict[str, Any]] = yaml.safe_load(ALERTS.read_text())["groups"]
    return [str(rule["expr"]) for group in groups for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [str(t["expr"]) for panel in dashboard["panels"] for t in panel["targets"]]


def metric_names(expressions: list[str]) -> set[str]:
    return {name for expr in expressions for name in METRIC.findall(expr)}


def test_the_alert_rules_pass_promtool() -> None:
    checked = _promtool("check", "rules", ALERTS.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_alert_rules_fire_when_they_should() -> None:
    tested = _promtool("test", "rules", ALERT_TESTS.name)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_alerts_cover_broker_outbox_parking_and_overdue() -> None:
    names = metric_names(alert_expressions())
    assert {
        "silta_broker_connected",
        "silta_outbox_oldest_pending_seconds",
        "silta_messages_parked_total",
        "silta_referrals_overdue",
    } <= names


def test_the_dashboard_queries_prometheus_and_names_metrics() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "silta"
    for panel in dashboard["panels"]:
        assert panel["datasource"]["type"] == "prometheus", panel["title"]
        assert panel["targets"], panel["title"]
    assert len(metric_names(dashboard_expressions())) >= 8
