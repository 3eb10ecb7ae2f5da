"""``claude-usage statusline`` as Claude Code runs it: a subprocess per render."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import support

ANSI = re.compile(r"\x1b\[[0-9;]*m")

STDIN = {
    "session_id": "abc",
    "version": "2.1.90",
    "model": {"id": "claude-opus", "display_name": "Opus"},
    "workspace": {"current_dir": "/tmp", "project_dir": "/tmp"},
    "cost": {"total_cost_usd": 0.01},
    "context_window": {"used_percentage": 8},
}


def with_rate_limits(five: float, seven: float, now: float | None = None) -> dict[str, Any]:
    base = time.time() if now is None else now
    return {
        **STDIN,
        "rate_limits": {
            "five_hour": {"used_percentage": five, "resets_at": int(base + 2 * 3600 + 14 * 60 + 30)},
            "seven_day": {"used_percentage": seven, "resets_at": int(base + 4 * 86400 + 6 * 3600 + 30)},
        },
    }


def statusline(*args: str, stdin: Any = None) -> subprocess.CompletedProcess[str]:
    text = stdin if isinstance(stdin, str) else json.dumps(stdin if stdin is not None else {})
    return support.run_cli("statusline", *args, input=text)


def one_line(result: subprocess.CompletedProcess[str], token: str | None = None, *, raw: bool = False) -> str:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    if token is not None:
        support.assert_no_token(result.stdout + result.stderr, token)
    line: str = lines[0]
    return line if raw else ANSI.sub("", line)


def cache_entries(home: Path) -> list[dict[str, Any]]:
    directory = home / ".cache" / "claude-usage"
    return [json.loads(path.read_text()) for path in directory.glob("usage-*.json")] if directory.is_dir() else []


def settle(home: Path, timeout: float = 15.0) -> None:
    """Wait until no background refresh is claimed or in flight."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = time.time()
        if not any(entry.get("attempt") and entry["attempt"]["until"] > now for entry in cache_entries(home)):
            return
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def _no_refresh_left_behind(home: Path) -> Any:
    yield
    settle(home)


def test_stdin_renders_at_once_and_the_refresh_runs_in_the_background(
    api: HTTPServer, logged_in: Path, token: str, home: Path
) -> None:
    support.serve(api, support.load_body("variant_new_keys_over_100.json"))
    first = one_line(statusline(stdin=with_rate_limits(23.5, 41.2)), token)
    assert first.startswith("5h 23% 2h14m · 7d 41% 4d6h")  # floored, as Claude Code prints them
    settle(home)
    assert len(api.log) == 1  # the binding limit needs the endpoint, once
    second = one_line(statusline(stdin=with_rate_limits(30, 42)), token)
    assert second.startswith("5h 30% ") and "⚠ Opus weekly 100%" in second
    for _ in range(3):
        one_line(statusline(stdin=with_rate_limits(30, 42)), token)
    settle(home)
    assert len(api.log) == 1, "a fresh cache must not be refetched"


def test_without_rate_limits_a_cold_render_waits_briefly_for_the_api(
    api: HTTPServer, logged_in: Path, token: str
) -> None:
    support.serve(api, support.load_body("published_domain_2026_07.json"))
    line = one_line(statusline(stdin=STDIN), token)
    # resets_at of that capture is in the past: shown as "now".
    assert line == "5h 53% now · 7d 8% now"


@pytest.mark.parametrize(
    "stdin",
    [
        "",
        "{}",
        "not json at all",
        "[1, 2]",
        '{"rate_limits": "weird"}',
        '{"rate_limits": {"five_hour": {"used_percentage": "x"}}}',
    ],
)
def test_odd_stdin_still_renders(api: HTTPServer, logged_in: Path, token: str, stdin: str) -> None:
    support.serve(api, support.load_body("variant_new_keys_over_100.json"))
    line = one_line(statusline(stdin=stdin), token)
    assert line.startswith("5h 104% ")
    assert "7d 91%" in line


def test_binding_limit_only_when_another_limit_binds(api: HTTPServer, logged_in: Path, home: Path) -> None:
    support.serve(api, support.load_body("published_domain_2026_07.json"))  # the session limit is the active one
    one_line(statusline(stdin=STDIN))
    line = one_line(statusline(stdin=with_rate_limits(53, 8)))
    assert "⚠" not in line


def test_format_fields_and_rows(api: HTTPServer, logged_in: Path, home: Path) -> None:
    support.serve(api, support.load_body("variant_new_keys_over_100.json"))
    one_line(statusline(stdin=STDIN))  # fills the cache
    line = one_line(
        statusline(
            "--format",
            "{five_hour}|{five_hour_reset}|{seven_day}|{binding}|{binding_percent}|{stale}|{model}|{context}|{cost}",
            stdin=with_rate_limits(10, 20),
        )
    )
    assert line == "10%|2h14m|20%|Opus weekly 100%|100%||Opus|8%|$0.01"
    rows = statusline("--format", "5h {five_hour}\\n7d {seven_day}", stdin=with_rate_limits(10, 20))
    assert rows.returncode == 0 and rows.stdout == "5h 10%\n7d 20%\n"


def test_spend_limit_is_part_of_the_default_row(api: HTTPServer, logged_in: Path) -> None:
    payload = with_rate_limits(10, 20)
    payload["rate_limits"]["spend_limit"] = {
        "used_percentage": 45.9,
        "resets_at": int(time.time() + 86400 * 3 + 60),
        "used_usd": 45.9,
        "limit_usd": 100,
    }
    line = one_line(statusline("--no-fetch", stdin=payload))
    assert "spend 45% $45.90/$100.00 3d" in line


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--format", "{nonsense}"), "bad --format"),
        (("--frobnicate",), "unknown option"),
        (("--color", "red"), "--color"),
    ],
)
def test_bad_options_are_said_in_the_row_and_exit_0(args: tuple[str, ...], said: str) -> None:
    result = statusline(*args, "--no-fetch")
    line = one_line(result)
    assert said in line and line.startswith("claude-usage statusline: ")


def test_no_fetch_never_calls_the_api(api: HTTPServer, logged_in: Path) -> None:
    line = one_line(statusline("--no-fetch", stdin=STDIN))
    assert line == "claude-usage: no usage data yet"
    line = one_line(statusline("--no-fetch", stdin=with_rate_limits(5, 6)))
    assert line.startswith("5h 5% ")
    assert len(api.log) == 0


def test_no_login_says_why_unless_claude_codes_own_login_works(api: HTTPServer, token: str, home: Path) -> None:
    line = one_line(statusline(stdin=STDIN), token)
    assert line == "claude-usage: not logged in (run claude)"
    # rate_limits on stdin: Claude Code's own login works (e.g. CLAUDE_CODE_OAUTH_TOKEN,
    # which it keeps from this command): the windows, and no error text.
    line = one_line(statusline(stdin=with_rate_limits(12, 34)), token)
    assert line == "5h 12% 2h14m · 7d 34% 4d6h"
    assert len(api.log) == 0


def test_api_key_users_see_the_model_and_context_and_no_advice(api: HTTPServer, home: Path) -> None:
    env = {**os.environ, "ANTHROPIC_API_KEY": "sk-ant-api03-" + "k" * 40}
    result = support.run_cli("statusline", input=json.dumps(STDIN), env=env)
    assert one_line(result) == "Opus · ctx 8%"


@pytest.mark.parametrize(
    ("status", "payload", "reason"),
    [
        (
            401,
            {"type": "error", "error": {"type": "authentication_error", "message": "Invalid bearer token"}},
            "token rejected",
        ),
        (
            403,
            {
                "type": "error",
                "error": {
                    "type": "permission_error",
                    "message": "OAuth token does not meet scope requirement user:profile",
                },
            },
            "lacks user:profile",
        ),
        (429, {"error": {"type": "rate_limit_error"}}, "rate limited"),
        (500, "boom", "API error"),
        (200, "<html>portal</html>", "unexpected API answer"),
    ],
)
def test_api_errors_say_why_and_exit_0(
    api: HTTPServer, logged_in: Path, token: str, status: int, payload: Any, reason: str
) -> None:
    support.serve(api, payload, status=status)
    line = one_line(statusline(stdin=STDIN), token)
    assert reason in line


def test_expired_token_says_run_claude(api: HTTPServer, home: Path, token: str) -> None:
    support.write_credentials(home / ".claude", support.credentials_blob(token, expires_at_ms=support.PAST_MS))
    assert one_line(statusline(stdin=STDIN), token) == "claude-usage: token expired (run claude)"
    assert len(api.log) == 0


def test_429_serves_stale_and_sends_nothing_during_retry_after(
    api: HTTPServer, logged_in: Path, token: str, home: Path
) -> None:
    body = support.load_body("variant_new_keys_over_100.json")
    support.serve_once(api, body)
    support.serve_once(api, {"error": {"type": "rate_limit_error"}}, status=429, headers={"Retry-After": "600"})
    one_line(statusline(stdin=STDIN))
    one_line(statusline("--max-age", "0", stdin=STDIN))  # starts the refresh that meets the 429
    settle(home)
    line = one_line(statusline("--max-age", "0", stdin=STDIN), token)
    assert line.startswith("5h 104")
    assert "(stale" in line and "rate limited, retry in" in line
    for _ in range(3):
        again = one_line(statusline("--max-age", "0", stdin=STDIN), token)
        assert "(stale" in again
    settle(home)
    assert len(api.log) == 2, "no request during the server's Retry-After"


def hanging(stop: threading.Event, arrived: list[float]) -> Any:
    """A handler that never answers (until ``stop``); it notes each request
    as it arrives: the server's own log only has answered ones."""

    def handler(request: Request) -> Response:
        arrived.append(time.monotonic())
        stop.wait(20)
        return Response("{}", status=503)

    return handler


def test_a_render_with_data_never_waits_on_a_hanging_api(api: HTTPServer, logged_in: Path) -> None:
    stop = threading.Event()
    arrived: list[float] = []
    api.expect_request("/api/oauth/usage").respond_with_handler(hanging(stop, arrived))
    try:
        for _ in range(3):
            started = time.monotonic()
            line = one_line(statusline(stdin=with_rate_limits(7, 8)))
            elapsed = time.monotonic() - started
            assert line.startswith("5h 7% ")
            assert elapsed < 1.0, f"a render with data took {elapsed:.2f} s"
        assert len(arrived) <= 1
    finally:
        stop.set()


def render_killed_after(seconds: float, stdin: Any) -> None:
    """One render as Claude Code runs it, in a process group of its own,
    stopped as Claude Code stops it: SIGTERM to the group."""
    process = subprocess.Popen(
        [*support.cli_command(), "statusline"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps(stdin).encode() + b"\n")
    process.stdin.close()
    time.sleep(seconds)
    with contextlib.suppress(ProcessLookupError):  # it may have finished
        os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=10)


def test_renders_killed_as_claude_code_kills_them_send_one_request(
    api: HTTPServer, logged_in: Path, home: Path, record_figure: Any
) -> None:
    """12 renders 350 ms apart, each killed (SIGTERM to its process group)
    300 ms after it started, against an endpoint that hangs."""
    stop = threading.Event()
    arrived: list[float] = []
    api.expect_request("/api/oauth/usage").respond_with_handler(hanging(stop, arrived))
    try:
        for _ in range(12):
            render_killed_after(0.3, STDIN)
            time.sleep(0.05)
        requests = len(arrived)
    finally:
        stop.set()
    record_figure(f"statusline: 12 renders killed after 300 ms against a hanging endpoint -> {requests} request(s)")
    # One: the refresh outlived the kill of the render that started it, and
    # every later render saw it in flight, then backed off.
    assert requests == 1


def test_herd_of_statuslines_sends_one_request(api: HTTPServer, logged_in: Path, token: str, home: Path) -> None:
    """Fifty sessions render at once on a cold cache: one request."""

    def slowish(request: Request) -> Response:
        time.sleep(0.4)  # long enough for every process to find the cache cold
        return Response(
            json.dumps(support.load_body("variant_new_keys_over_100.json")), content_type="application/json"
        )

    api.expect_request("/api/oauth/usage").respond_with_handler(slowish)
    # Without colour: on a loaded machine a late render finds the fetched
    # body, whose severities colour the row.
    command = [*support.cli_command(), "statusline", "--color", "never"]
    processes = [
        subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for _ in range(50)
    ]
    outputs = [process.communicate(json.dumps(with_rate_limits(10, 20)), timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0] * 50
    for stdout, stderr in outputs:
        # A session that starts once the one request has landed (a slower
        # interpreter, a busy runner) also shows the cached rows, in colour.
        assert ANSI.sub("", stdout).startswith("5h 10% "), stdout
        assert "Traceback" not in stderr
        support.assert_no_token(stdout + stderr, token)
    settle(home)
    assert len(api.log) == 1, f"{len(api.log)} requests for 50 renders"


def test_colours_come_from_the_servers_severity(api: HTTPServer, logged_in: Path, home: Path) -> None:
    body = support.load_body("client_credits_and_surfaces.json", future=True)
    support.serve(api, body)
    one_line(statusline(stdin=STDIN))
    coloured = one_line(statusline("--color", "always", stdin=with_rate_limits(10, 20)), raw=True)
    assert "\x1b[31m⚠ Fable" in coloured  # the binding row is critical
    auto = one_line(statusline(stdin=with_rate_limits(10, 20)), raw=True)
    assert "\x1b[31m" in auto  # auto means colour: the output goes to Claude Code
    env = {**os.environ, "NO_COLOR": "1"}
    plain = support.run_cli("statusline", input=json.dumps(with_rate_limits(10, 20)), env=env)
    assert "\x1b[" not in one_line(plain, raw=True)
    assert "\x1b[" not in one_line(statusline("--color", "never", stdin=with_rate_limits(10, 20)), raw=True)


def test_the_row_fits_columns_dropping_reset_times_first(api: HTTPServer, logged_in: Path, home: Path) -> None:
    support.serve(api, support.load_body("variant_new_keys_over_100.json"))
    one_line(statusline(stdin=STDIN))
    wide = one_line(statusline(stdin=with_rate_limits(10, 20)))
    assert "2h14m" in wide and "⚠ Opus weekly 100%" in wide
    narrow_env = {**os.environ, "COLUMNS": "40"}
    narrow = one_line(support.run_cli("statusline", input=json.dumps(with_rate_limits(10, 20)), env=narrow_env))
    assert len(narrow) <= 38, narrow
    assert "2h14m" not in narrow and narrow.startswith("5h 10% · 7d 20%")
    tiny = one_line(
        support.run_cli("statusline", input=json.dumps(with_rate_limits(10, 20)), env={**narrow_env, "COLUMNS": "12"})
    )
    assert tiny == "5h 10%"  # whole parts go, numbers are never cut


def test_help() -> None:
    result = support.run_cli("statusline", "--help")
    assert result.returncode == 0
    assert "{five_hour}" in result.stdout and "--no-fetch" in result.stdout


def test_options_before_the_command_are_honoured(api: HTTPServer, home: Path, tmp_path: Path) -> None:
    work = support.make_token()
    support.write_credentials(home / ".claude", support.credentials_blob(support.make_token()))
    support.write_credentials(tmp_path / "work", support.credentials_blob(work))
    support.serve(api, support.load_body("published_domain_2026_07.json"))
    result = support.run_cli("--config-dir", str(tmp_path / "work"), "statusline", input="{}")
    assert result.returncode == 0, result.stderr
    ((request, _),) = api.log
    assert request.headers["Authorization"] == f"Bearer {work}"
    unknown = support.run_cli("--backend", "nope", "statusline", input="{}")
    assert unknown.returncode == 0
    assert "no credential backend" in unknown.stdout


def test_renders_with_max_age_0_do_not_ask_a_failing_store_again(api: HTTPServer, home: Path) -> None:
    """`--max-age 0` on a statusline must not lift the credential back-off at
    every render: with a locked Keychain that would be a dialog per render."""
    for _ in range(4):
        one_line(statusline("--max-age", "0", stdin=STDIN))
        settle(home)
    (entry,) = cache_entries(home)
    assert entry["error"]["type"] == "CredentialsNotFoundError"
    assert entry["failures"] == 1, "the store was asked again despite its back-off"


def test_the_refresh_outlives_the_kill_of_its_render(api: HTTPServer, logged_in: Path, home: Path) -> None:
    """Claude Code kills the render's process group; the refresh it started
    runs in a session of its own, so its answer still reaches the cache."""

    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response(json.dumps(support.load_body("published_domain_2026_07.json")), content_type="application/json")

    api.expect_request("/api/oauth/usage").respond_with_handler(slow)
    render_killed_after(0.3, with_rate_limits(5, 6))
    settle(home)
    (entry,) = cache_entries(home)
    assert entry["body"] is not None and entry["error"] is None, entry
    assert len(api.log) == 1
