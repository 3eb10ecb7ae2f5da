"""``claude-usage serve``: scraped for real and parsed with prometheus_client."""

from __future__ import annotations

import signal
import time
import urllib.request
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

import support

parser = pytest.importorskip("prometheus_client.parser", reason="prometheus_client is the exporter's dependency")


def scrape(url: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        text = answer.read().decode()
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in parser.text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return samples


def test_metrics_and_one_api_call_per_ttl(api: HTTPServer, exporter: str, token: str) -> None:
    support.serve(api, support.load_body("variant_new_keys_over_100.json"))
    first = scrape(exporter)
    for _ in range(4):
        again = scrape(exporter)
    assert len(api.log) == 1, "scrapes must go through the shared cache"
    assert again == first
    windows = {labels["window"]: value for labels, value in first["claude_usage_utilization_percent"]}
    assert windows == {"five_hour": 104.5, "seven_day": 91.0, "seven_day_cowork": 17.0}
    resets = {labels["window"]: value for labels, value in first["claude_usage_resets_at_seconds"]}
    assert resets["five_hour"] == 1788256800.0  # 2026-09-01T10:00:00Z
    limits = {
        (labels["kind"], labels["model"], labels["active"]): value
        for labels, value in first["claude_usage_limit_percent"]
    }
    assert limits[("weekly_scoped", "Opus", "true")] == 100.0
    assert limits[("session", "", "false")] == 100.0
    assert first["claude_usage_up"] == [({"profile": "default"}, 1.0)]
    assert first["claude_usage_stale"] == [({"profile": "default"}, 0.0)]
    ((_, success),) = first["claude_usage_last_success_timestamp_seconds"]
    assert abs(success - time.time()) < 60


def test_down_when_no_credentials(api: HTTPServer, home: Path) -> None:
    with support.exporter_running() as url:
        metrics = scrape(url)
    assert metrics["claude_usage_up"] == [({"profile": "default"}, 0.0)]
    assert "claude_usage_utilization_percent" not in metrics
    assert len(api.log) == 0


def test_textfile_for_node_exporter(api: HTTPServer, logged_in: Path, tmp_path: Path, token: str) -> None:
    support.serve(api, support.load_body("published_domain_2026_07.json"))
    target = tmp_path / "claude_usage.prom"
    result = support.run_cli("serve", "--textfile", str(target))
    assert result.returncode == 0, result.stderr
    text = target.read_text()
    support.assert_no_token(text, token)
    families = {family.name: family for family in parser.text_string_to_metric_families(text)}
    assert families["claude_usage_utilization_percent"].samples[0].labels == {
        "profile": "default",
        "window": "five_hour",
    }


def test_profiles_are_labelled(api: HTTPServer, home: Path, tmp_path: Path) -> None:
    work, personal = tmp_path / "work", tmp_path / "personal"
    support.write_credentials(work, support.credentials_blob(support.make_token()))
    support.write_credentials(personal, support.credentials_blob(support.make_token()))
    support.serve(api, support.load_body("published_domain_2026_07.json"))
    target = tmp_path / "out.prom"
    result = support.run_cli("serve", "--profile", str(work), "--profile", str(personal), "--textfile", str(target))
    assert result.returncode == 0, result.stderr
    families = {family.name: family for family in parser.text_string_to_metric_families(target.read_text())}
    profiles = {sample.labels["profile"] for sample in families["claude_usage_up"].samples}
    assert profiles == {str(work), str(personal)}
    assert len(api.log) == 2, "one request per profile"


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_it_with_0(api: HTTPServer, logged_in: Path, stop: signal.Signals) -> None:
    support.serve(api, support.load_body("variant_new_keys_over_100.json"))
    process, url = support.start_exporter()
    try:
        assert scrape(url)["claude_usage_up"] == [({"profile": "default"}, 1.0)]
        process.send_signal(stop)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    assert stderr == "claude-usage serve: stopped\n"
    assert "Traceback" not in stdout
