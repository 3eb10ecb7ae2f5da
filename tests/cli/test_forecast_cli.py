"""Forecasts, --time and --remaining in the commands, run as subprocesses
against a loopback server with reset times relative to now."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pytest_httpserver import HTTPServer

import support


def at(seconds_from_now: float) -> str:
    return datetime.fromtimestamp(time.time() + seconds_from_now, timezone.utc).isoformat()


def body(five: float = 80.0, five_reset: float = 2.5 * 3600, seven: float = 30.0) -> dict[str, Any]:
    """Five hours at ``five`` % with ``five_reset`` seconds to go; the week half-way at ``seven`` %."""
    return {
        "five_hour": {"utilization": five, "resets_at": at(five_reset)},
        "seven_day": {"utilization": seven, "resets_at": at(3.5 * 86400)},
        "limits": [
            {"kind": "session", "group": "session", "percent": five, "resets_at": at(five_reset), "is_active": True},
            {"kind": "weekly_all", "group": "weekly", "percent": seven, "resets_at": at(3.5 * 86400)},
        ],
    }


def test_json_says_160_percent_and_a_run_out_37_minutes_away(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, body())
    result = support.run_cli("--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    five = document["five_hour"]
    assert five["forecast_basis"] == "average"
    assert five["projected_percent"] == pytest.approx(160.0, abs=0.5)
    runs_out = datetime.fromisoformat(five["runs_out_at"])
    assert abs((runs_out - datetime.now(timezone.utc)) - timedelta(minutes=37.5)) < timedelta(seconds=30)
    assert document["seven_day"]["projected_percent"] == pytest.approx(60.0, abs=0.5)
    assert document["seven_day"]["runs_out_at"] is None
    assert document["limits"][0]["runs_out_at"] is not None


def test_check_forecast_exits_1_saying_when_and_0_when_the_pace_holds(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, body())
    result = support.run_cli("check", "--forecast")
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("Current session 80% is on pace for 160%: runs out in 3"), result.stdout
    assert "before the reset" in result.stdout and result.stdout.count("\n") == 1
    calm = support.run_cli("check", "--forecast", "--window", "seven_day", "--json")
    assert calm.returncode == 0, calm.stderr
    document = json.loads(calm.stdout)
    assert document["runs_out"] is False and document["forecast"] is True
    assert document["checked"][0]["projected_percent"] == pytest.approx(60.0, abs=0.5)
    # With a threshold too: under it and on pace is still 1.
    assert support.run_cli("check", "--max", "95", "--forecast", "--window", "five_hour").returncode == 1
    assert support.run_cli("check", "--max", "95", "--window", "five_hour").returncode == 0


def test_check_needs_a_threshold_or_forecast(api: HTTPServer, logged_in: Path) -> None:
    result = support.run_cli("check")
    assert result.returncode == 2
    assert "--max PERCENT, --forecast or both" in result.stderr and len(api.log) == 0


def test_early_in_the_window_there_is_no_wild_projection(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, body(five=10.0, five_reset=5 * 3600 - 180))  # three minutes in
    result = support.run_cli("check", "--forecast", "--window", "five_hour")
    assert result.returncode == 0, result.stderr
    assert "too early" in result.stdout or "no window can be projected" in result.stdout, result.stdout
    shown = support.run_cli("show")
    assert "too early in the window to project" in shown.stdout and "on pace for 1000%" not in shown.stdout


def test_show_prints_the_pace_of_each_window(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, body())
    result = support.run_cli("show", "--color", "never")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    session = lines.index(next(line for line in lines if line.startswith("Current session")))
    assert "on pace for 160%: runs out in 3" in lines[session + 1]
    assert "before the reset" in lines[session + 1]
    week = next(index for index, line in enumerate(lines) if line.startswith("Current week"))
    assert lines[week + 1].strip() == "on pace for 60% at the reset"


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
def test_show_time_local_prints_the_reset_in_the_users_zone(api: HTTPServer, logged_in: Path, zone: str) -> None:
    reset = datetime.now(timezone.utc) + timedelta(hours=2.5)
    support.serve(api, body())
    result = support.run_cli("show", "--time", "local", env={**os.environ, "TZ": zone})
    assert result.returncode == 0, result.stderr
    local = reset.astimezone(ZoneInfo(zone))
    hour = local.hour % 12 or 12
    day = "" if local.date() == datetime.now(ZoneInfo(zone)).date() else f"{local.strftime('%b')} {local.day}, "
    assert f"resets {day}{hour}" in result.stdout
    assert f"({zone})" in result.stdout
    assert "runs out at" in result.stdout


def test_show_time_utc_and_remaining(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, body(five=23.5))
    result = support.run_cli("show", "--time", "utc", "--remaining", "--color", "never")
    assert result.returncode == 0, result.stderr
    assert "(UTC)" in result.stdout and "resets in" not in result.stdout
    assert "76% left" in result.stdout and "70% left" in result.stdout


def test_remaining_fills_the_bar_to_what_is_left(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, body(five=80.0))
    env = {**os.environ, "COLUMNS": "100"}
    used = support.run_cli("show", "--color", "never", env=env).stdout.splitlines()[0]
    left = support.run_cli("show", "--remaining", "--color", "never", "--max-age", "600", env=env).stdout
    left = left.splitlines()[0]
    assert "80%" in used and "20% left" in left, (used, left)
    # 20 cells: 16 filled for 80% used, 4 for the 20% left.
    assert used.count("█") == 16 and left.count("█") == 4, (used, left)


def test_a_zone_the_system_does_not_know_is_named_as_the_utc_it_is_shown_in(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, body())
    result = support.run_cli("show", "--time", "local", env={**os.environ, "TZ": "Not/AZone"})
    assert result.returncode == 0, result.stderr
    assert "(UTC)" in result.stdout and "Not/AZone" not in result.stdout
    reset = datetime.now(timezone.utc) + timedelta(hours=2.5)
    assert f"resets {reset.hour % 12 or 12}" in result.stdout


def test_serve_exports_the_projected_percent(api: HTTPServer, logged_in: Path, tmp_path: Path) -> None:
    parser = pytest.importorskip("prometheus_client.parser", reason="prometheus_client is the exporter's dependency")
    support.serve(api, body())
    target = tmp_path / "claude_usage.prom"
    result = support.run_cli("serve", "--textfile", str(target))
    assert result.returncode == 0, result.stderr
    samples = {
        (sample.name, sample.labels["window"]): sample.value
        for family in parser.text_string_to_metric_families(target.read_text())
        for sample in family.samples
        if "window" in sample.labels
    }
    assert samples[("claude_usage_projected_percent", "five_hour")] == pytest.approx(160.0, abs=0.5)
    assert samples[("claude_usage_projected_percent", "seven_day")] == pytest.approx(60.0, abs=0.5)
    assert abs(samples[("claude_usage_runs_out_at_seconds", "five_hour")] - (time.time() + 37.5 * 60)) < 30
    assert ("claude_usage_runs_out_at_seconds", "seven_day") not in samples


@pytest.mark.parametrize(("percent", "share"), [(80.0, 0.5), (30.0, 0.25), (10.0, 0.01), (104.0, 0.9), (0.0, 0.5)])
def test_statusline_pace_fields_agree_with_the_forecast_module(percent: float, share: float) -> None:
    from claude_usage.forecast import FIVE_HOURS, project

    resets = time.time() + FIVE_HOURS.total_seconds() * (1 - share)
    stdin = json.dumps({"rate_limits": {"five_hour": {"used_percentage": percent, "resets_at": resets}}})
    result = support.run_cli(
        "statusline", "--no-fetch", "--format", "{five_hour_pace}|{five_hour_runs_out}", input=stdin
    )
    assert result.returncode == 0
    pace, runs_out = result.stdout.strip().split("|")
    expected = project(percent, datetime.fromtimestamp(resets, timezone.utc), FIVE_HOURS)
    if expected.projected_percent is None:
        assert (pace, runs_out) == ("-", "-")
        return
    assert pace == f"{round(expected.projected_percent)}%"
    if expected.runs_out_at is None:
        assert runs_out == "-"
    else:
        assert runs_out != "-"


@pytest.mark.parametrize(("style", "zone"), [("local", "Asia/Kolkata"), ("utc", "Asia/Kolkata"), ("relative", "UTC")])
def test_statusline_time_prints_the_reset_as_asked(style: str, zone: str) -> None:
    resets = time.time() + 9000
    stdin = json.dumps({"rate_limits": {"five_hour": {"used_percentage": 12, "resets_at": resets}}})
    result = support.run_cli(
        "statusline",
        "--no-fetch",
        "--time",
        style,
        "--format",
        "{five_hour_reset}",
        input=stdin,
        env={**os.environ, "TZ": zone},
    )
    assert result.returncode == 0
    shown = result.stdout.strip()
    if style == "relative":
        assert shown == "2h30m" or shown == "2h29m", shown
        return
    when = datetime.fromtimestamp(resets, ZoneInfo(zone) if style == "local" else timezone.utc)
    hour = f"{when.hour % 12 or 12}{f':{when.minute:02d}' if when.minute else ''}{'am' if when.hour < 12 else 'pm'}"
    assert hour in shown, shown
    assert shown.endswith(" UTC") == (style == "utc")


def test_statusline_remaining_says_the_share_left_of_every_limit() -> None:
    resets = time.time() + 9000
    limits = {
        "five_hour": {"used_percentage": 23.5, "resets_at": resets},
        "seven_day": {"used_percentage": 41, "resets_at": resets + 86400},
        "spend_limit": {"used_percentage": 120, "resets_at": resets},
    }
    stdin = json.dumps({"rate_limits": limits})
    fields = "{five_hour}|{seven_day}|{spend_percent}|{five_hour_pace}"
    used = support.run_cli("statusline", "--no-fetch", "--format", fields, input=stdin)
    left = support.run_cli("statusline", "--no-fetch", "--remaining", "--format", fields, input=stdin)
    assert used.stdout.strip().split("|")[:3] == ["23%", "41%", "120%"]
    # Floored as the share used is; the pace stays a projection of use.
    assert left.stdout.strip().split("|") == ["76% left", "59% left", "0% left", used.stdout.strip().split("|")[3]]
    row = support.run_cli("statusline", "--no-fetch", "--remaining", "--color", "never", input=stdin)
    assert row.stdout.startswith("5h 76% left "), row.stdout


# -- the observation log ---------------------------------------------------------


def log_reading(percent: float, seconds_ago: float, five_reset: float = 2.5 * 3600) -> None:
    """A reading of five_hour in this account's log, as a render then would have written it."""
    from claude_usage.cache import UsageCache

    now = time.time()
    limits = {"five_hour": {"used_percentage": percent, "resets_at": int(now + five_reset)}}
    UsageCache().observe_rate_limits(limits, now=now - seconds_ago)


def history_lines() -> list[dict[str, Any]]:
    from claude_usage.cache import UsageCache

    found = list(UsageCache().directory.glob("history-*.jsonl"))
    assert len(found) == 1, found
    assert found[0].stat().st_mode & 0o777 == 0o600
    return [json.loads(line) for line in found[0].read_text().splitlines() if line.strip()]


def test_json_uses_the_last_hours_rate_when_the_log_has_it(api: HTTPServer, logged_in: Path) -> None:
    # Half-way at 50%: the average says 100% at the reset, but 30% -> 50% in
    # the last 30 minutes is 40 points an hour: 150%, out in 1h 15m.
    support.serve(api, body(five=50.0))
    log_reading(30.0, 1800)
    result = support.run_cli("--json")
    assert result.returncode == 0, result.stderr
    five = json.loads(result.stdout)["five_hour"]
    assert five["forecast_basis"] == "recent"
    assert five["projected_percent"] == pytest.approx(150.0, abs=1.0)
    runs_out = datetime.fromisoformat(five["runs_out_at"])
    assert abs((runs_out - datetime.now(timezone.utc)) - timedelta(minutes=75)) < timedelta(seconds=60)
    # The week is days from its reset: its average stands.
    assert json.loads(result.stdout)["seven_day"]["forecast_basis"] == "average"
    # The fetch logged what the API said, beside the render's reading.
    assert [(line["p"], line["s"]) for line in history_lines() if line["w"] == "five_hour"] == [
        (30.0, "statusline"),
        (50.0, "api"),
    ]
    shown = support.run_cli("show", "--max-age", "600")
    assert "on pace for 150% at the last hour's rate: runs out in 1h 1" in shown.stdout, shown.stdout


def test_check_forecast_sees_a_burst_the_average_hides(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, body(five=50.0))
    calm = support.run_cli("check", "--forecast", "--window", "five_hour", "--json")
    assert calm.returncode == 0, calm.stderr
    assert json.loads(calm.stdout)["checked"][0]["forecast_basis"] == "average"
    log_reading(30.0, 1800)
    burst = support.run_cli("check", "--forecast", "--window", "five_hour", "--max-age", "600")
    assert burst.returncode == 1, burst.stdout + burst.stderr
    assert "on pace for 150% at the last hour's rate" in burst.stdout
    assert len(api.log) == 1  # the log costs no request


def test_limit_rows_pace_at_the_recent_rate_as_their_windows_do(api: HTTPServer, logged_in: Path) -> None:
    # The session row measures what five_hour does: a burst in five_hour's
    # log (here from a render) paces the row as it paces the window.
    support.serve(api, body(five=50.0))
    log_reading(30.0, 1800)
    result = support.run_cli("--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    row = document["limits"][0]
    assert row["forecast_basis"] == "recent"
    assert row["projected_percent"] == pytest.approx(document["five_hour"]["projected_percent"])
    assert row["projected_percent"] == pytest.approx(150.0, abs=1.0)
    for window in ("session", "binding", "five_hour"):
        checked = support.run_cli("check", "--forecast", "--window", window, "--max-age", "600")
        assert checked.returncode == 1, (window, checked.stdout, checked.stderr)
        assert "at the last hour's rate" in checked.stdout, (window, checked.stdout)
    shown = support.run_cli("show", "--max-age", "600").stdout
    row_line = next(line for line in shown.splitlines() if "binding now" in line)
    assert "on pace for 150% at the last hour's rate" in row_line, shown


def test_a_statusline_render_logs_rate_limits_once_and_paces_from_them() -> None:
    resets = int(time.time() + 2.5 * 3600)
    stdin = json.dumps({"rate_limits": {"five_hour": {"used_percentage": 50.0, "resets_at": resets}}})
    fields = ("statusline", "--no-fetch", "--format", "{five_hour_pace}|{five_hour_runs_out}")
    first = support.run_cli(*fields, input=stdin)
    assert first.stdout.strip() == "100%|-", first.stdout  # the average: nothing logged before
    assert [(line["w"], line["p"], line["r"], line["s"]) for line in history_lines()] == [
        ("five_hour", 50.0, resets, "statusline")
    ]
    for _ in range(3):
        support.run_cli(*fields, input=stdin)
    assert len(history_lines()) == 1  # no change, no write
    # Twenty minutes earlier the render had seen 30%: 60 points an hour now.
    log_reading(30.0, 1200, 2.5 * 3600)
    paced = support.run_cli(*fields, input=stdin)
    pace, runs_out = paced.stdout.strip().split("|")
    assert pace == "200%", paced.stdout
    assert runs_out in ("50m", "49m"), paced.stdout


def test_serve_exports_the_recent_pace_when_the_log_has_it(api: HTTPServer, logged_in: Path, tmp_path: Path) -> None:
    parser = pytest.importorskip("prometheus_client.parser", reason="prometheus_client is the exporter's dependency")
    support.serve(api, body(five=50.0))
    log_reading(30.0, 1800)
    target = tmp_path / "claude_usage.prom"
    assert support.run_cli("serve", "--textfile", str(target)).returncode == 0
    samples = {
        (sample.name, sample.labels["window"]): sample.value
        for family in parser.text_string_to_metric_families(target.read_text())
        for sample in family.samples
        if "window" in sample.labels
    }
    assert samples[("claude_usage_projected_percent", "five_hour")] == pytest.approx(150.0, abs=1.0)
    assert abs(samples[("claude_usage_runs_out_at_seconds", "five_hour")] - (time.time() + 75 * 60)) < 60


def test_watch_reads_the_log_each_round(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, body(five=50.0))
    log_reading(30.0, 1800)
    result = support.run_cli("watch", "--json", "--count", "1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0])["five_hour"]["forecast_basis"] == "recent"
