"""The observation log: distinct readings only, bounded in time and bytes,
private, torn lines ignored, and the recent rate it gives the forecast."""

from __future__ import annotations

import json
import os
import stat
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from claude_usage import history
from claude_usage.forecast import FIVE_HOURS, SEVEN_DAYS, forecast_limit, project, recent_point
from claude_usage.history import (
    CHANGE,
    KEEP_SECONDS,
    MAX_BYTES,
    MIN_RECENT_SPAN,
    History,
    history_file,
    limit_key,
    load_history,
    observe_body,
    observe_rate_limits,
    recent_start,
)
from claude_usage.models import Limit

NOW = 1_800_000_000.0
RESET = NOW + 2.5 * 3600  # five hours, half-way


@pytest.fixture
def cache_file(tmp_path: Path) -> str:
    return str(tmp_path / "cache" / "usage-abc123.json")


def lines(cache_file: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in Path(history_file(cache_file)).read_text().splitlines()]


def api_body(five: float, seven: float = 30.0, reset: float = RESET) -> dict[str, object]:
    def iso(epoch: float) -> str:
        return datetime.fromtimestamp(epoch, timezone.utc).isoformat().replace("+00:00", "Z")

    return {
        "five_hour": {"utilization": five, "resets_at": iso(reset)},
        "seven_day": {"utilization": seven, "resets_at": iso(NOW + 3 * 86400)},
        "extra_usage": {"is_enabled": False},
        "limits": [{"kind": "session"}],
    }


def test_the_log_sits_beside_the_cache_file_and_is_private(cache_file: str) -> None:
    assert history_file(cache_file).endswith(os.sep + "history-abc123.jsonl")
    observe_body(cache_file, api_body(40.0), NOW)
    path = Path(history_file(cache_file))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [(r["w"], r["p"], r["s"]) for r in lines(cache_file)] == [
        ("five_hour", 40.0, "api"),
        ("seven_day", 30.0, "api"),
    ]


def test_only_distinct_readings_are_written(cache_file: str) -> None:
    observe_body(cache_file, api_body(40.0), NOW)
    observe_body(cache_file, api_body(40.0), NOW + 60)  # nothing moved
    # Claude Code's one-decimal rounding of the API's value is no change ...
    observe_rate_limits(
        cache_file, {"five_hour": {"used_percentage": 40.0 + CHANGE / 2, "resets_at": int(RESET)}}, NOW + 90
    )
    assert len(lines(cache_file)) == 2
    # ... a move of a tenth is, and a new cycle is.
    observe_rate_limits(cache_file, {"five_hour": {"used_percentage": 40.1, "resets_at": int(RESET)}}, NOW + 120)
    observe_body(cache_file, api_body(2.0, reset=RESET + 5 * 3600), NOW + 3 * 3600)
    written = lines(cache_file)
    assert [(r["w"], r["p"], r["s"]) for r in written[2:]] == [
        ("five_hour", 40.1, "statusline"),
        ("five_hour", 2.0, "api"),
    ]
    assert written[2]["t"] == NOW + 120 and written[3]["r"] == RESET + 5 * 3600


def test_a_tenth_is_a_change_whatever_floating_point_makes_of_it(cache_file: str) -> None:
    for percent in (30.1, 30.2, 30.2, 30.3, 30.35):  # 30.2 - 30.1 == 0.0999...
        observe_rate_limits(cache_file, {"five_hour": {"used_percentage": percent, "resets_at": RESET}}, NOW)
    assert [r["p"] for r in lines(cache_file)] == [30.1, 30.2, 30.3]


def test_over_100_the_cap_of_claude_code_is_no_change(cache_file: str) -> None:
    observe_body(cache_file, api_body(104.0), NOW)
    observe_rate_limits(cache_file, {"five_hour": {"used_percentage": 100.0, "resets_at": int(RESET)}}, NOW + 5)
    assert len(lines(cache_file)) == 2


def test_a_render_with_nothing_new_does_not_touch_the_file(cache_file: str) -> None:
    limits = {"five_hour": {"used_percentage": 12.0, "resets_at": int(RESET)}}
    observe_rate_limits(cache_file, limits, NOW)
    path = Path(history_file(cache_file))
    before = path.stat().st_mtime_ns
    os.utime(path, ns=(before - 10**9, before - 10**9))
    for step in range(20):
        observe_rate_limits(cache_file, limits, NOW + step)
    assert path.stat().st_mtime_ns == before - 10**9


def test_garbage_and_torn_lines_hide_nothing_else(cache_file: str) -> None:
    observe_body(cache_file, api_body(40.0), NOW)
    with open(history_file(cache_file), "a") as handle:
        handle.write('not json\n[1, 2]\n{"t": "x", "w": "five_hour", "p": 1, "r": 1}\n{"t": 1, "w": "five')
    observe_body(cache_file, api_body(45.0), NOW + 600)
    found = load_history(cache_file, NOW + 700)
    assert [p for _, p, _ in found.points["five_hour"]] == [40.0, 45.0]
    assert load_history(str(Path(cache_file).with_name("usage-none.json"))).points == {}
    assert observe_body(cache_file, "not a body", NOW).points["five_hour"][-1][1] == 45.0


def test_the_log_keeps_eight_days_and_stays_under_its_byte_cap(cache_file: str) -> None:
    # Nine days of distinct readings every 10 s (about 7 MB, as a log grown
    # by hand or by a bug would be), then one more reading appended.
    os.makedirs(os.path.dirname(cache_file), mode=0o700)
    start = NOW - 9 * 86400
    with open(history_file(cache_file), "w") as handle:
        for index in range(9 * 8640):
            observed = start + index * 10
            record = {"t": observed, "w": "five_hour", "p": (index % 900) / 10, "r": observed + 3600, "s": "api"}
            handle.write(json.dumps(record) + "\n")
    observe_rate_limits(cache_file, {"five_hour": {"used_percentage": 99.9, "resets_at": NOW + 60}}, NOW)
    assert os.path.getsize(history_file(cache_file)) <= MAX_BYTES // 2
    kept = load_history(cache_file, NOW).points["five_hour"]
    assert kept[-1] == (NOW, 99.9, NOW + 60)  # the newest survives the compaction
    assert kept[-2][0] == NOW - 10  # and what came just before it
    assert kept[0][0] >= NOW - KEEP_SECONDS
    assert stat.S_IMODE(os.stat(history_file(cache_file)).st_mode) == 0o600
    # Appends after it grow it again, one line each, until the cap.
    observe_rate_limits(cache_file, {"five_hour": {"used_percentage": 1.0, "resets_at": NOW + 9000}}, NOW + 1)
    assert load_history(cache_file, NOW + 1).points["five_hour"][-1] == (NOW + 1, 1.0, NOW + 9000)


def test_entries_older_than_eight_days_are_dropped_at_compaction(cache_file: str) -> None:
    old = {"t": NOW - KEEP_SECONDS - 60, "w": "five_hour", "p": 1.0, "r": NOW, "s": "api"}
    os.makedirs(os.path.dirname(cache_file), mode=0o700)
    line = json.dumps(old) + "\n"
    with open(history_file(cache_file), "w") as handle:
        handle.write(line * (MAX_BYTES // len(line) + 1))
    observe_body(cache_file, api_body(40.0), NOW)
    assert [r["p"] for r in lines(cache_file)] == [40.0, 30.0]
    assert load_history(cache_file, NOW).points.keys() == {"five_hour", "seven_day"}


def hist(*points: tuple[float, float], resets: float = RESET) -> History:
    return History({"five_hour": [(t, p, resets) for t, p in points]})


def test_recent_start_is_the_oldest_reading_of_the_cycle_in_the_last_hour() -> None:
    found = hist((NOW - 7200, 10.0), (NOW - 3000, 30.0), (NOW - 1200, 40.0))
    assert recent_start(found, "five_hour", RESET, NOW) == (NOW - 3000, 30.0)
    # Another cycle's readings do not count; a near reset time (rounding) does.
    other = hist((NOW - 3000, 30.0), resets=RESET - 5 * 3600)
    assert recent_start(other, "five_hour", RESET, NOW) is None
    assert recent_start(hist((NOW - 3000, 30.0), resets=RESET + 1), "five_hour", RESET, NOW) == (NOW - 3000, 30.0)


def test_no_recent_rate_from_too_short_a_span_too_far_a_reset_or_nothing() -> None:
    assert recent_start(hist((NOW - MIN_RECENT_SPAN + 30, 30.0)), "five_hour", RESET, NOW) is None
    assert recent_start(hist((NOW - 7200, 30.0)), "five_hour", RESET, NOW) is None
    week = RESET + 3 * 86400
    assert recent_start(hist((NOW - 3000, 30.0), resets=week), "five_hour", week, NOW) is None
    assert recent_start(None, "five_hour", RESET, NOW) is None
    assert recent_start(hist((NOW - 3000, 30.0)), "seven_day", RESET, NOW) is None
    assert recent_start(hist((NOW - 3000, 30.0)), "five_hour", NOW - 1, NOW) is None


def test_a_burst_after_a_quiet_start_projects_past_what_the_average_says() -> None:
    now = datetime.fromtimestamp(NOW, timezone.utc)
    resets = datetime.fromtimestamp(RESET, timezone.utc)
    average = project(50.0, resets, FIVE_HOURS, now)
    assert (average.basis, round(average.projected_percent or 0)) == ("average", 100)
    assert average.runs_out_at is None
    # 30 % -> 50 % over the last 30 minutes: 40 points an hour.
    burst = hist((NOW - 1800, 30.0))
    recent = recent_point(burst, "five_hour", resets, now)
    assert recent == (now - timedelta(minutes=30), 30.0)
    fast = project(50.0, resets, FIVE_HOURS, now, recent)
    assert fast.basis == "recent"
    assert fast.projected_percent == pytest.approx(150.0)
    assert fast.runs_out_at == now + timedelta(hours=1.25)
    # A pause after a burst: nothing used in the last 40 minutes.
    pause = project(50.0, resets, FIVE_HOURS, now, (now - timedelta(minutes=40), 50.0))
    assert (pause.basis, pause.projected_percent, pause.runs_out_at) == ("recent", 50.0, None)
    # A value that went down (a correction) is no use, not negative use.
    down = project(40.0, resets, FIVE_HOURS, now, (now - timedelta(minutes=40), 50.0))
    assert (down.projected_percent, down.runs_out_at) == (40.0, None)


def test_too_early_still_wins_over_a_recent_rate() -> None:
    now = datetime.fromtimestamp(NOW, timezone.utc)
    resets = now + FIVE_HOURS - timedelta(minutes=5)
    early = project(10.0, resets, FIVE_HOURS, now, (now - timedelta(minutes=11), 1.0))
    assert early.basis == "too_early" and early.projected_percent is None


def test_a_weekly_window_days_from_its_reset_keeps_the_average() -> None:
    now = datetime.fromtimestamp(NOW, timezone.utc)
    resets = now + timedelta(days=3)
    weekly = History({"seven_day": [(NOW - 1800, 20.0, resets.timestamp())]})
    assert recent_point(weekly, "seven_day", resets, now) is None
    assert project(30.0, resets, SEVEN_DAYS, now).basis == "average"


def test_the_log_takes_both_sources_of_one_account_and_no_other(tmp_path: Path) -> None:
    from claude_usage.cache import UsageCache

    cache = UsageCache(tmp_path / "cache")
    now = time.time()
    limits = {"five_hour": {"used_percentage": 20.0, "resets_at": int(now + 9000)}}
    cache.observe_rate_limits(limits, "file", now=now - 1200)
    later = {"five_hour": {**limits["five_hour"], "used_percentage": 30.0}}
    cache.observe_rate_limits(later, "file", now=now)
    found = cache.history("file", now=now)
    assert [p for _, p, _ in found.points["five_hour"]] == [20.0, 30.0]
    assert cache.history("env", now=now).points == {}
    start = history.recent_start(found, "five_hour", now + 9000, now)
    assert start is not None and start[0] == pytest.approx(now - 1200, abs=0.01) and start[1] == 20.0


def test_limit_rows_are_logged_under_their_own_keys_or_their_windows(cache_file: str) -> None:
    body = api_body(40.0)
    body["limits"] = [
        {"kind": "session", "percent": 40.0, "resets_at": body["five_hour"]["resets_at"]},  # type: ignore[index]
        {"kind": "weekly_all", "percent": 30.0, "resets_at": "2027-01-01T00:00:00Z"},
        {
            "kind": "weekly_scoped",
            "percent": 70.0,
            "resets_at": "2027-01-01T00:00:00Z",
            "scope": {"model": {"display_name": "Opus"}, "surface": None},
        },
        {"kind": "weekly_scoped", "percent": 6.0, "resets_at": "2027-01-01T00:00:00Z", "scope": {"surface": {}}},
        {"kind": "spend", "percent": None, "resets_at": "2027-01-01T00:00:00Z"},
        "garbage",
        {"percent": 1.0, "resets_at": "2027-01-01T00:00:00Z"},
    ]
    observe_body(cache_file, body, NOW)
    # five_hour and seven_day come from their windows (logged once each), the
    # scoped rows under their own keys; rows without a number are skipped.
    assert [(r["w"], r["p"]) for r in lines(cache_file)] == [
        ("five_hour", 40.0),
        ("seven_day", 30.0),
        ("limit:weekly_scoped:Opus:", 70.0),
        ("limit:weekly_scoped::", 6.0),
    ]
    assert limit_key("session") == "five_hour" and limit_key("weekly_all", "x") == "seven_day"
    assert limit_key("weekly_scoped", None, "Claude Code") == "limit:weekly_scoped::Claude Code"


def test_a_scoped_limit_paces_at_its_recent_rate() -> None:
    now = datetime.fromtimestamp(NOW, timezone.utc)
    resets = datetime.fromtimestamp(RESET, timezone.utc)
    key = limit_key("weekly_scoped", "Opus")
    logged = History({key: [(NOW - 1800, 30.0, RESET)]})
    row = Limit(kind="weekly_scoped", percent=50.0, resets_at=resets, model="Opus", group="session")
    fast = forecast_limit(row, now, logged)
    assert fast.basis == "recent" and fast.projected_percent == pytest.approx(150.0)
    assert forecast_limit(row, now).basis == "average"
    other = Limit(kind="weekly_scoped", percent=50.0, resets_at=resets, model="Sonnet", group="session")
    assert forecast_limit(other, now, logged).basis == "average"


def test_an_append_drops_what_is_older_than_eight_days_without_waiting_for_the_cap(cache_file: str) -> None:
    os.makedirs(os.path.dirname(cache_file), mode=0o700)
    old = {"t": NOW - KEEP_SECONDS - 60, "w": "five_hour", "p": 1.0, "r": NOW - KEEP_SECONDS, "s": "api"}
    Path(history_file(cache_file)).write_text(json.dumps(old) + "\n")
    observe_body(cache_file, api_body(40.0), NOW)
    assert [r["p"] for r in lines(cache_file)] == [40.0, 30.0]
    # A log whose first line is recent is only appended to, never rewritten.
    inode = os.stat(history_file(cache_file)).st_ino
    observe_body(cache_file, api_body(41.0), NOW + 60)
    assert [r["p"] for r in lines(cache_file)] == [40.0, 30.0, 41.0]
    assert os.stat(history_file(cache_file)).st_ino == inode
