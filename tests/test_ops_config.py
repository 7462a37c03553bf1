"""ops/: Prometheus accepts the scrape config and the alert rules, the alerts fire on their
series (promtool's rule unit tests), and the Grafana files are what provisioning expects.

promtool comes from Debian's ``prometheus`` package (.ci/run installs it): outside CI a
machine without it skips these tests with that reason; under CI they fail instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

OPS = Path(__file__).resolve().parent.parent / "ops"


def _promtool(*args: str) -> str:
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing: .ci/run installs Debian's prometheus package")
        pytest.skip("promtool not installed (apt-get install prometheus); runs in CI")
    result = subprocess.run([promtool, *args], cwd=OPS / "prometheus", capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_promtool_accepts_the_alert_rules():
    assert "SUCCESS: 8 rules found" in _promtool("check", "rules", "rules.yml")


def test_promtool_accepts_the_scrape_config():
    assert "is valid prometheus config file syntax" in _promtool("check", "config", "prometheus.yml")


def test_alerts_fire_on_the_series_they_watch():
    assert "SUCCESS" in _promtool("test", "rules", "rules.test.yml")


def test_every_alert_the_issue_asks_for_exists():
    rules = yaml.safe_load((OPS / "prometheus" / "rules.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert {"HotsauceApiErrorRate", "HotsauceApiLatencyP99", "HotsauceOutboxLag", "HotsauceWebhookEndpointDisabled",
            "HotsauceJobOverdue", "HotsauceReconcileDrift"} <= alerts


def test_grafana_dashboards_are_provisionable_and_use_the_provisioned_datasource():
    datasource = yaml.safe_load((OPS / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    provider = yaml.safe_load((OPS / "grafana" / "provisioning" / "dashboards" / "hotsauce.yml").read_text())
    assert provider["providers"][0]["type"] == "file"
    dashboards = {path.stem: json.loads(path.read_text()) for path in (OPS / "grafana" / "dashboards").glob("*.json")}
    assert set(dashboards) == {"api-health", "stock", "webhooks", "jobs"}
    assert len({d["uid"] for d in dashboards.values()}) == 4
    for name, dashboard in dashboards.items():
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)), name
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] == uid and panel["targets"], (name, panel["title"])
            assert all(target["datasource"]["uid"] == uid and target["expr"] for target in panel["targets"])
