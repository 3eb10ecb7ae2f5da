"""examples/grafana: the dashboard queries only metrics the real exporter exports.

``claude-usage serve`` runs as a subprocess against a loopback usage
endpoint, its ``/metrics`` is scraped over HTTP, and every ``claude_usage_*``
name in a panel target (or a template variable) must be in that scrape.
"""

from __future__ import annotations

import copy
import json
import re
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import support

pytest.importorskip("prometheus_client", reason="prometheus_client is the exporter's dependency")

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "examples" / "grafana" / "claude-usage-dashboard.json"
DATASOURCE_INPUT = "${DS_PROMETHEUS}"
METRIC = re.compile(r"(?<![A-Za-z0-9_:])claude_usage_[a-z0-9_]+")
SUFFIXES = ("_bucket", "_sum", "_count")


class Scrape:
    """The metric names of one exposition: ``# TYPE`` lines and samples."""

    def __init__(self, text: str) -> None:
        self.types: dict[str, str] = {}
        self.sampled: set[str] = set()
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(maxsplit=3)
                self.types[name] = kind
            elif line and not line.startswith("#"):
                self.sampled.add(re.split(r"[{\s]", line, maxsplit=1)[0])

    def has(self, name: str) -> bool:
        if name in self.types or name in self.sampled:
            return True
        # A histogram's or summary's series: x_bucket, x_sum, x_count of a typed x.
        for suffix in SUFFIXES:
            base = name.removesuffix(suffix)
            if base != name and self.types.get(base) in {"histogram", "summary"}:
                return True
        return False


def load_dashboard() -> dict[str, Any]:
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return dashboard


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, those nested in collapsed rows included."""
    found: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def variable_query(variable: dict[str, Any]) -> str:
    query = variable.get("query", "")
    return str(query.get("query", "") if isinstance(query, dict) else query)


def queried_metrics(dashboard: dict[str, Any]) -> dict[str, set[str]]:
    """Each ``claude_usage_*`` name, with the panels (or variables) that query it."""
    used: dict[str, set[str]] = {}
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            for name in METRIC.findall(target.get("expr", "")):
                used.setdefault(name, set()).add(f"panel {panel['id']} ({panel['title']})")
    for variable in dashboard.get("templating", {}).get("list", []):
        for name in METRIC.findall(variable_query(variable)):
            used.setdefault(name, set()).add(f"variable ${variable['name']}")
    return used


def missing_metrics(dashboard: dict[str, Any], scrape: Scrape) -> dict[str, set[str]]:
    return {name: where for name, where in queried_metrics(dashboard).items() if not scrape.has(name)}


def at(seconds_from_now: float) -> str:
    return datetime.fromtimestamp(time.time() + seconds_from_now, timezone.utc).isoformat()


def current_body() -> dict[str, Any]:
    """A stored body (three windows, four limits, one active, five hours over
    100%) with its reset times moved to now + 2.5 h and now + 3.5 days, so that
    the forecast metrics (projected percent, run-out) are exported too."""
    body = support.load_body("variant_new_keys_over_100.json")
    body["five_hour"]["resets_at"] = at(2.5 * 3600)
    for window in ("seven_day", "seven_day_cowork"):
        body[window]["resets_at"] = at(3.5 * 86400)
    for entry in body["limits"]:
        if entry["resets_at"] is not None:
            entry["resets_at"] = at(2.5 * 3600 if entry["group"] == "session" else 3.5 * 86400)
    assert any(entry["is_active"] for entry in body["limits"])
    return body


@pytest.fixture
def scrape(api: HTTPServer, exporter: str) -> Scrape:
    support.serve(api, current_body())
    with urllib.request.urlopen(exporter, timeout=10) as answer:
        text: str = answer.read().decode()
    result = Scrape(text)
    assert len(api.log) == 1, "the exporter read the loopback usage endpoint once"
    assert "claude_usage_up" in result.sampled, text
    return result


def test_the_dashboard_is_valid_json_with_targets_on_the_prometheus_input() -> None:
    dashboard = load_dashboard()
    assert dashboard["uid"] == "claude-usage"
    assert dashboard["tags"]
    assert 36 <= dashboard["schemaVersion"] <= 41
    inputs = {entry["name"]: entry for entry in dashboard["__inputs"]}
    assert inputs["DS_PROMETHEUS"]["type"] == "datasource"
    assert inputs["DS_PROMETHEUS"]["pluginId"] == "prometheus"
    every = panels(dashboard)
    assert every, "the dashboard has panels"
    ids = [panel["id"] for panel in every]
    assert len(ids) == len(set(ids)), f"panel ids repeat: {ids}"
    for panel in every:
        assert panel.get("targets"), f"panel {panel['id']} ({panel['title']}) has no target"
        for target in panel["targets"]:
            datasource = target.get("datasource", panel.get("datasource"))
            assert datasource == {"type": "prometheus", "uid": DATASOURCE_INPUT}, (panel["title"], target)
            assert METRIC.search(target["expr"]), f"panel {panel['id']}: {target['expr']!r} queries no metric"
    for variable in dashboard["templating"]["list"]:
        assert variable["datasource"] == {"type": "prometheus", "uid": DATASOURCE_INPUT}, variable["name"]


def test_every_queried_metric_is_in_a_real_scrape(scrape: Scrape) -> None:
    dashboard = load_dashboard()
    used = queried_metrics(dashboard)
    assert used, "the dashboard queries claude_usage_* metrics"
    missing = missing_metrics(dashboard, scrape)
    assert not missing, f"queried but not exported by claude-usage serve: {missing}"
    # With this body every family has samples, so no panel of it is empty.
    unsampled = sorted(name for name in used if name not in scrape.sampled)
    assert not unsampled, f"exported without samples for a body with windows, limits and a forecast: {unsampled}"


def test_a_metric_the_exporter_lacks_is_caught(scrape: Scrape) -> None:
    dashboard = copy.deepcopy(load_dashboard())
    broken = copy.deepcopy(dashboard["panels"][0])
    broken["id"] = max(panel["id"] for panel in panels(dashboard)) + 1
    broken["targets"][0]["expr"] = 'claude_usage_nonexistent{profile=~"$profile"}'
    dashboard["panels"].append(broken)
    assert set(missing_metrics(dashboard, scrape)) == {"claude_usage_nonexistent"}
