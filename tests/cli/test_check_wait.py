"""``claude-usage check`` and ``claude-usage wait``, run as subprocesses
against a loopback server."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import support

RATE_LIMITED = {"error": {"message": "Rate limited. Please try again later.", "type": "rate_limit_error"}}


def at(seconds_from_now: float | None) -> str | None:
    if seconds_from_now is None:
        return None
    return datetime.fromtimestamp(time.time() + seconds_from_now, timezone.utc).isoformat()


def usage_body(
    five: float = 53.0,
    seven: float = 8.0,
    *,
    five_reset: float | None = 2 * 3600,
    seven_reset: float | None = 4 * 86400,
    opus: float = 6.0,
    active: str = "session",
    extra_windows: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A body of the 2026-07 shape with reset times relative to now."""
    return {
        "five_hour": {"utilization": five, "resets_at": at(five_reset)},
        "seven_day": {"utilization": seven, "resets_at": at(seven_reset)},
        "seven_day_opus": None,
        "extra_usage": {"is_enabled": False, "monthly_limit": None, "used_credits": None, "utilization": None},
        **(extra_windows or {}),
        "limits": [
            {
                "kind": "session",
                "group": "session",
                "percent": five,
                "severity": "normal",
                "resets_at": at(five_reset),
                "scope": None,
                "is_active": active == "session",
            },
            {
                "kind": "weekly_all",
                "group": "weekly",
                "percent": seven,
                "severity": "normal",
                "resets_at": at(seven_reset),
                "scope": None,
                "is_active": active == "weekly_all",
            },
            {
                "kind": "weekly_scoped",
                "group": "weekly",
                "percent": opus,
                "severity": "warning" if opus >= 90 else "normal",
                "resets_at": at(seven_reset),
                "scope": {"model": {"id": None, "display_name": "Opus"}, "surface": None},
                "is_active": active == "weekly_scoped",
            },
        ],
    }


def clean(result: subprocess.CompletedProcess[str], token: str) -> None:
    assert "Traceback" not in result.stderr
    support.assert_no_token(result.stdout + result.stderr, token)


def one_error_line(result: subprocess.CompletedProcess[str], code: int, token: str) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    clean(result, token)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("claude-usage: error: ")
    line: str = lines[0]
    return line


# -- check ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "line"),
    [
        (["--window", "five_hour", "--max", "80"], 0, "Current session 53% is under 80%"),
        (["--window", "five_hour", "--max", "53"], 1, "Current session 53% is at or over 53%"),  # at = over
        (["--window", "five_hour", "--max", "53.5%"], 0, "Current session 53% is under 53.5%"),
        (["--window", "seven_day", "--max", "8"], 1, "Current week (all models) 8% is at or over 8%"),
        (["--window", "binding", "--max", "90"], 0, "Current session 53% is under 90%"),
        (["--max", "54"], 0, "all 5 windows and limits are under 54% (highest: Current session 53%)"),
        (["--max", "53"], 1, "Current session 53% is at or over 53% (also at or over: Current session 53%)"),
    ],
)
def test_check_compares_and_says_what(
    api: HTTPServer, logged_in: Path, token: str, args: list[str], code: int, line: str
) -> None:
    support.serve(api, usage_body())
    result = support.run_cli("check", *args)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert result.stdout == line + "\n"
    assert result.stderr == ""
    clean(result, token)


def test_check_any_includes_per_model_limits(api: HTTPServer, logged_in: Path, token: str) -> None:
    support.serve(api, usage_body(opus=100.0, active="weekly_scoped"))
    result = support.run_cli("check", "--max", "90")
    assert result.returncode == 1
    assert result.stdout.strip() == "Current week (Opus) 100% is at or over 90%"
    binding = support.run_cli("check", "--max", "90", "--window", "binding")
    assert binding.returncode == 1
    assert binding.stdout.strip() == "Current week (Opus) 100% is at or over 90%"
    # The Current session window alone is fine.
    assert support.run_cli("check", "--max", "90", "--window", "five_hour").returncode == 0


def test_check_a_window_the_api_added(api: HTTPServer, logged_in: Path, token: str) -> None:
    cowork = {"seven_day_cowork": {"utilization": 97.0, "resets_at": at(3600)}}
    support.serve(api, usage_body(extra_windows=cowork))
    result = support.run_cli("check", "--max", "95", "--window", "seven_day_cowork")
    assert result.returncode == 1
    assert result.stdout.strip() == "Current week (Cowork) 97% is at or over 95%"
    assert support.run_cli("check", "--max", "95").returncode == 1  # `any` sees it too


def test_check_binding_without_limits_checks_everything(api: HTTPServer, logged_in: Path) -> None:
    body = usage_body(five=20.0, seven=91.0)
    del body["limits"]
    support.serve(api, body)
    result = support.run_cli("check", "--max", "90", "--window", "binding")
    assert result.returncode == 1
    assert result.stdout.strip() == (
        "Current week (all models) 91% is at or over 90% "
        "(no binding limit reported: checked what applies to all models)"
    )


def test_check_unknown_window_lists_available_names(api: HTTPServer, logged_in: Path, token: str) -> None:
    support.serve(api, usage_body())
    line = one_error_line(support.run_cli("check", "--max", "80", "--window", "fortnight"), 2, token)
    assert line == (
        "claude-usage: error: unknown window or limit 'fortnight'; available: five_hour, seven_day, session, "
        "weekly_all, weekly, weekly_scoped, Opus, any, binding"
    )
    absent = one_error_line(support.run_cli("check", "--max", "80", "--window", "seven_day_opus"), 2, token)
    assert absent.startswith("claude-usage: error: the API reports no 'seven_day_opus' window now; available: ")


def checked(result: subprocess.CompletedProcess[str]) -> list[tuple[str, str, str | None, float]]:
    """(type, name, model or surface, percent) of each measure `--json` compared."""
    document = json.loads(result.stdout)
    return [(m["type"], m["name"], m.get("model") or m.get("surface"), m["percent"]) for m in document["checked"]]


@pytest.mark.parametrize("name", ["opus", "OPUS", "Opus", " opus "])
def test_check_a_model_by_name(api: HTTPServer, logged_in: Path, token: str, name: str) -> None:
    support.serve(api, usage_body(five=95.0, opus=85.0))
    result = support.run_cli("check", "--max", "80", "--window", name, "--json")
    assert result.returncode == 1, result.stderr
    assert checked(result) == [("limit", "weekly_scoped", "Opus", 85.0)]
    under = support.run_cli("check", "--max", "90", "--window", name)
    assert under.returncode == 0, "the 5-hour window at 95% is not the Opus limit"
    clean(result, token)


def test_check_a_surface_by_name(api: HTTPServer, logged_in: Path) -> None:
    body = usage_body()
    body["limits"].append(
        {
            "kind": "weekly_scoped",
            "group": "weekly",
            "percent": 97.0,
            "severity": "critical",
            "resets_at": at(3600),
            "scope": {"model": None, "surface": {"display_name": "Claude Code"}},
            "is_active": False,
        }
    )
    support.serve(api, body)
    result = support.run_cli("check", "--max", "95", "--window", "claude code", "--json")
    assert result.returncode == 1, result.stderr
    assert checked(result) == [("limit", "weekly_scoped", "Claude Code", 97.0)]
    assert support.run_cli("check", "--max", "95", "--window", "CLAUDE  CODE").returncode == 1


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("session", [("limit", "session", None, 53.0)]),
        ("weekly_all", [("limit", "weekly_all", None, 8.0)]),
        ("weekly_scoped", [("limit", "weekly_scoped", "Opus", 6.0)]),
        ("Weekly", [("limit", "weekly_all", None, 8.0), ("limit", "weekly_scoped", "Opus", 6.0)]),
        ("FIVE_HOUR", [("window", "five_hour", None, 53.0)]),
    ],
)
def test_check_accepts_kinds_groups_and_keys_in_any_case(
    api: HTTPServer, logged_in: Path, name: str, expected: list[tuple[str, str, str | None, float]]
) -> None:
    support.serve(api, usage_body())
    result = support.run_cli("check", "--max", "90", "--window", name, "--json")
    assert result.returncode == 0, result.stderr
    assert checked(result) == expected


def test_every_name_check_json_prints_is_accepted(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, usage_body())
    document = json.loads(support.run_cli("check", "--max", "90", "--json").stdout)
    names = {
        item[key] for item in document["checked"] for key in ("name", "model", "group", "surface") if item.get(key)
    }
    assert names == {"five_hour", "seven_day", "session", "weekly_all", "weekly_scoped", "weekly", "Opus"}
    for name in sorted(names):
        result = support.run_cli("check", "--max", "90", "--window", name)
        assert result.returncode == 0, (name, result.stderr)


def test_a_model_without_a_limits_row_falls_back_to_its_window(api: HTTPServer, logged_in: Path) -> None:
    body = usage_body(
        extra_windows={
            "seven_day_opus": {"utilization": 91.0, "resets_at": at(3600)},
            "seven_day_overage_included": {"utilization": 12.0, "resets_at": at(3600)},
        }
    )
    del body["limits"]
    support.serve(api, body)
    opus = support.run_cli("check", "--max", "80", "--window", "Opus", "--json")
    assert opus.returncode == 1, opus.stderr
    assert checked(opus) == [("window", "seven_day_opus", None, 91.0)]
    fable = support.run_cli("check", "--max", "80", "--window", "fable", "--json")
    assert fable.returncode == 0, fable.stderr
    assert checked(fable) == [("window", "seven_day_overage_included", None, 12.0)]


def test_wait_default_ignores_a_per_model_limit_that_does_not_bind(api: HTTPServer, logged_in: Path) -> None:
    # Opus at 100% but the session binds: `wait --below 50` returns at once.
    support.serve(api, usage_body(five=10.0, opus=100.0, active="session"))
    result = support.run_cli("wait", "--below", "50", "--max-wait", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Current session 10% is under 50%\n"


def test_check_json(api: HTTPServer, logged_in: Path, token: str) -> None:
    support.serve(api, usage_body(opus=100.0))
    result = support.run_cli("check", "--max", "90", "--json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["over"] is True
    assert document["max"] == 90.0
    assert document["window"] == "any"
    assert document["stale"] is False
    checked = {(item["type"], item["name"], item.get("model")): item for item in document["checked"]}
    assert [(item["name"], item["percent"]) for item in document["checked"]][:2] == [
        ("five_hour", 53.0),
        ("seven_day", 8.0),
    ]
    assert checked[("limit", "weekly_scoped", "Opus")]["over"] is True
    assert checked[("window", "five_hour", None)]["over"] is False
    under = json.loads(support.run_cli("check", "--max", "90", "--window", "five_hour", "--json").stdout)
    assert under["over"] is False
    assert [(item["name"], item["percent"]) for item in under["checked"]] == [("five_hour", 53.0)]
    clean(result, token)


def test_check_uses_the_shared_cache(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, usage_body())
    for _ in range(3):
        assert support.run_cli("check", "--max", "80").returncode == 0
    assert len(api.log) == 1
    assert support.run_cli("check", "--max", "80", "--max-age", "0").returncode == 0
    assert len(api.log) == 2


def test_check_on_stale_data_warns_and_still_answers(api: HTTPServer, logged_in: Path, token: str) -> None:
    support.serve_once(api, usage_body(five=95.0))
    support.serve(api, RATE_LIMITED, status=429, headers={"Retry-After": "60"})
    assert support.run_cli("check", "--max", "90").returncode == 1
    result = support.run_cli("check", "--max", "90", "--window", "five_hour", "--max-age", "0")
    assert result.returncode == 1
    assert result.stdout.strip() == "Current session 95% is at or over 90%"
    warning = result.stderr.strip().splitlines()
    assert len(warning) == 1
    assert warning[0].startswith("claude-usage: warning: using data from ")
    assert "429" in warning[0]
    # The stored back-off holds: no request for the next check either.
    assert support.run_cli("check", "--max", "90", "--max-age", "0").returncode == 1
    assert len(api.log) == 2
    clean(result, token)


@pytest.mark.parametrize(
    ("status", "payload", "code"),
    [
        (401, {"type": "error", "error": {"type": "authentication_error", "message": "Invalid bearer token"}}, 4),
        (429, RATE_LIMITED, 5),
        (502, "bad gateway", 6),
    ],
)
def test_check_errors_keep_their_codes(
    api: HTTPServer, logged_in: Path, token: str, status: int, payload: Any, code: int
) -> None:
    support.serve(api, payload, status=status)
    one_error_line(support.run_cli("check", "--max", "80"), code, token)


def test_check_without_credentials_exit_3(api: HTTPServer, home: Path, token: str) -> None:
    one_error_line(support.run_cli("check", "--max", "80"), 3, token)
    assert len(api.log) == 0


@pytest.mark.parametrize(
    "args",
    [
        ["check"],
        ["check", "--max"],
        ["check", "--max", "abc"],
        ["check", "--max", "-5"],
        ["check", "--max", "nan"],
        ["check", "--max", "80", "--max-age", "-1"],
        ["check", "--max", "80", "--max-age", "soon"],
        ["check", "--max", "80", "--bogus"],
        ["wait"],
        ["wait", "--below", "50", "--max-wait", "forever"],
        ["wait", "--below", "inf"],
    ],
)
def test_bad_options_are_one_line_exit_2(api: HTTPServer, logged_in: Path, token: str, args: list[str]) -> None:
    line = one_error_line(support.run_cli(*args), 2, token)
    assert "--help" in line
    assert len(api.log) == 0


@pytest.mark.parametrize("command", ["check", "wait"])
def test_help(command: str) -> None:
    result = support.run_cli(command, "--help")
    assert result.returncode == 0
    assert "--window NAME" in result.stdout and "--max-age SECONDS" in result.stdout
    assert "exit codes" in result.stdout and "at or over" in result.stdout


# -- wait ----------------------------------------------------------------------


def test_wait_returns_at_once_when_under(api: HTTPServer, logged_in: Path, token: str) -> None:
    support.serve(api, usage_body(five=10.0))
    started = time.monotonic()
    result = support.run_cli("wait", "--below", "50")
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 3
    # The default for wait: the limit that binds now.
    assert result.stdout.strip() == "Current session 10% is under 50%"
    assert len(api.log) == 1
    clean(result, token)


def test_wait_sleeps_until_the_reset_then_checks_once(api: HTTPServer, logged_in: Path, token: str) -> None:
    support.serve_once(api, usage_body(five=100.0, five_reset=2.0))
    support.serve(api, usage_body(five=0.0, five_reset=5 * 3600))
    started = time.monotonic()
    result = support.run_cli("wait", "--below", "50", "--max-age", "0", timeout=20)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert 2.5 <= elapsed <= 5.5, elapsed  # the reset (2 s) plus the 1 s margin, plus start-up
    assert len(api.log) == 2, "one request to learn the reset, one after it: no polling"
    progress = result.stderr.strip().splitlines()
    assert len(progress) == 1
    assert progress[0].startswith("claude-usage: Current session 100% is at or over 50%")
    assert "waking at" in progress[0] and "after the reset" in progress[0]
    assert result.stdout.strip() == "Current session 0% is under 50%"
    clean(result, token)


def test_wait_rechecks_at_once_when_cached_data_predates_the_reset(
    api: HTTPServer, logged_in: Path, token: str
) -> None:
    support.serve_once(api, usage_body(five=100.0, five_reset=1.0))
    support.serve(api, usage_body(five=0.0))
    assert support.run_cli("check", "--max", "50").returncode == 1  # fills the cache
    time.sleep(1.2)  # the reset passes; the cached answer (still "fresh" for 60 s) says 100%
    started = time.monotonic()
    result = support.run_cli("wait", "--below", "50", "--window", "five_hour")
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 3, "no minute-long back-off for data that predates the reset"
    assert "the reset has passed since that data was fetched; checking again" in result.stderr
    assert result.stdout.strip() == "Current session 0% is under 50%"
    assert len(api.log) == 2
    clean(result, token)


def test_wait_json_reports_the_final_check(api: HTTPServer, logged_in: Path) -> None:
    support.serve_once(api, usage_body(five=100.0, five_reset=1.0))
    support.serve(api, usage_body(five=3.0))
    result = support.run_cli("wait", "--below", "50", "--window", "five_hour", "--max-age", "0", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["over"] is False and document["gave_up"] is False
    assert document["checked"][0]["percent"] == 3.0
    assert document["waited"] >= 1.0
    assert len(api.log) == 2


def test_wait_gives_up_at_once_when_the_reset_is_beyond_max_wait(api: HTTPServer, logged_in: Path, token: str) -> None:
    support.serve(api, usage_body(five=100.0, five_reset=3 * 3600))
    started = time.monotonic()
    result = support.run_cli("wait", "--below", "50", "--window", "five_hour", "--max-wait", "1")
    assert result.returncode == 1, result.stderr
    assert time.monotonic() - started < 3
    assert len(api.log) == 1
    assert result.stdout.startswith("gave up: Current session 100% is at or over 50%")
    assert "--max-wait 1s" in result.stdout
    clean(result, token)


def test_wait_still_over_after_the_reset_backs_off(api: HTTPServer, logged_in: Path, token: str) -> None:
    # After the reset the server still says 100% and gives no reset time: the
    # next look would be a minute away, beyond --max-wait, so it gives up.
    support.serve_once(api, usage_body(five=100.0, five_reset=1.0))
    support.serve(api, usage_body(five=100.0, five_reset=None))
    started = time.monotonic()
    result = support.run_cli("wait", "--below", "50", "--window", "five_hour", "--max-age", "0", "--max-wait", "30")
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stderr
    assert 1.0 <= elapsed <= 5.0, elapsed
    assert len(api.log) == 2
    assert "gave up" in result.stdout and "in 1m" in result.stdout


def test_wait_respects_a_rate_limit_back_off(api: HTTPServer, logged_in: Path, token: str) -> None:
    support.serve_once(api, usage_body(five=100.0, five_reset=1.0))
    support.serve(api, RATE_LIMITED, status=429, headers={"Retry-After": "600"})
    result = support.run_cli("wait", "--below", "50", "--max-age", "0", "--max-wait", "300")
    assert result.returncode == 1, result.stderr
    assert len(api.log) == 2, "the 429's back-off must not be overridden by another request"
    assert "using data from" in result.stderr and "429" in result.stderr
    assert "the next check (in 10m)" in result.stdout
    clean(result, token)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_wait_ctrl_c_and_sigterm_exit_130_in_one_line(
    api: HTTPServer, logged_in: Path, token: str, stop: signal.Signals
) -> None:
    # 130, never 0: `wait --below 50 && run-job` must not run the job when
    # the wait was stopped.
    support.serve(api, usage_body(five=100.0, five_reset=3600))
    process = subprocess.Popen(
        [*support.cli_command(), "wait", "--below", "50"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        assert "waking at" in first
        process.send_signal(stop)
        stdout, rest = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 130
    assert rest == "claude-usage: interrupted\n"
    assert stdout == ""
    support.assert_no_token(first + rest, token)
