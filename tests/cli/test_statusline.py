"""``claude-usage statusline`` as Claude Code runs it: a subprocess per render."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import support

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


@pytest.fixture
def logged_in(home: Path, token: str) -> Path:
    return support.write_credentials(home / ".claude", support.credentials_blob(token))


def statusline(*args: str, stdin: Any = None) -> subprocess.CompletedProcess[str]:
    text = stdin if isinstance(stdin, str) else json.dumps(stdin if stdin is not None else {})
    return support.run_cli("statusline", *args, input=text)


def one_line(result: subprocess.CompletedProcess[str], token: str | None = None) -> str:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    if token is not None:
        support.assert_no_token(result.stdout + result.stderr, token)
    line: str = lines[0]
    return line


def test_stdin_rate_limits_and_cache_render_without_fetching(api: HTTPServer, logged_in: Path, token: str) -> None:
    support.serve(api, support.load_body("variant_new_keys_over_100.json"))
    first = one_line(statusline(stdin=with_rate_limits(23.5, 41.2)), token)
    assert len(api.log) == 1  # the binding limit needs the endpoint, once
    assert first.startswith("5h 24% 2h14m · 7d 41% 4d6h")
    assert "⚠ Opus weekly 100%" in first
    for _ in range(3):
        again = one_line(statusline(stdin=with_rate_limits(30, 42)), token)
        assert again.startswith("5h 30% ")
    assert len(api.log) == 1, "a fresh cache must not be refetched"


def test_without_rate_limits_uses_the_api(api: HTTPServer, logged_in: Path, token: str) -> None:
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
    assert line.startswith("5h 104% ") or line.startswith("5h 105% ")
    assert "7d 91%" in line


def test_binding_limit_only_when_another_limit_binds(api: HTTPServer, logged_in: Path) -> None:
    body = support.load_body("published_domain_2026_07.json")  # the session limit is the active one
    support.serve(api, body)
    line = one_line(statusline(stdin=with_rate_limits(53, 8)))
    assert "⚠" not in line


def test_format_fields(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, support.load_body("variant_new_keys_over_100.json"))
    line = one_line(
        statusline(
            "--format",
            "{five_hour}|{five_hour_reset}|{seven_day}|{binding}|{binding_percent}|{stale}|",
            stdin=with_rate_limits(10, 20),
        )
    )
    assert line == "10%|2h14m|20%|Opus weekly 100%|100%||"


def test_bad_format_is_a_usage_error() -> None:
    result = statusline("--format", "{nonsense}", "--no-fetch")
    assert result.returncode == 2
    assert "bad --format" in result.stdout and "five_hour" in result.stdout
    assert "Traceback" not in result.stderr


def test_no_fetch_never_calls_the_api(api: HTTPServer, logged_in: Path) -> None:
    line = one_line(statusline("--no-fetch", stdin=STDIN))
    assert line == "claude-usage: no usage data yet"
    line = one_line(statusline("--no-fetch", stdin=with_rate_limits(5, 6)))
    assert line.startswith("5h 5% ")
    assert len(api.log) == 0


def test_no_credentials_says_why_and_exits_0(api: HTTPServer, token: str) -> None:
    line = one_line(statusline(stdin=STDIN), token)
    assert line == "claude-usage: not logged in (run claude)"
    line = one_line(statusline(stdin=with_rate_limits(12, 34)), token)
    assert line.startswith("5h 12% ") and line.endswith("not logged in (run claude)")


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
        (200, "<html>portal</html>", "usage unavailable"),
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


def test_429_serves_stale_and_sends_nothing_during_retry_after(api: HTTPServer, logged_in: Path, token: str) -> None:
    body = support.load_body("variant_new_keys_over_100.json")
    support.serve_once(api, body)
    support.serve_once(api, {"error": {"type": "rate_limit_error"}}, status=429, headers={"Retry-After": "600"})
    one_line(statusline(stdin=STDIN))
    line = one_line(statusline("--max-age", "0", stdin=STDIN), token)
    assert line.startswith("5h 104") or line.startswith("5h 105")
    assert "(stale" in line and "rate limited, retry in" in line
    for _ in range(3):
        again = one_line(statusline("--max-age", "0", stdin=STDIN), token)
        assert "(stale" in again
    assert len(api.log) == 2, "no request during the server's Retry-After"


def test_slow_api_does_not_block_the_render(api: HTTPServer, logged_in: Path) -> None:
    def slow(request: Request) -> Response:
        time.sleep(3)
        return Response(json.dumps(support.load_body("published_domain_2026_07.json")), content_type="application/json")

    api.expect_request("/api/oauth/usage").respond_with_handler(slow)
    started = time.monotonic()
    line = one_line(statusline("--timeout", "0.5", stdin=with_rate_limits(7, 8)))
    elapsed = time.monotonic() - started
    assert elapsed < 2.8, f"a render waited {elapsed:.1f} s for a slow API"
    assert line.startswith("5h 7% ") and "API timed out" in line
    # Let the server finish the abandoned answer before the next test starts.
    deadline = time.monotonic() + 10
    while not api.log and time.monotonic() < deadline:
        time.sleep(0.05)


def test_herd_of_statuslines_sends_one_request(api: HTTPServer, logged_in: Path, token: str) -> None:
    """Twenty sessions render at once on a cold cache: one request."""

    def slowish(request: Request) -> Response:
        time.sleep(0.4)  # long enough for every process to find the cache cold
        return Response(
            json.dumps(support.load_body("variant_new_keys_over_100.json")), content_type="application/json"
        )

    api.expect_request("/api/oauth/usage").respond_with_handler(slowish)
    command = [*support.cli_command(), "statusline", "--timeout", "5"]
    processes = [
        subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for _ in range(20)
    ]
    outputs = [process.communicate(json.dumps(STDIN), timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0] * 20
    for stdout, stderr in outputs:
        assert stdout.startswith("5h 10"), stdout  # 104.5% rounds either way
        assert "Traceback" not in stderr
        support.assert_no_token(stdout + stderr, token)
    assert len(api.log) == 1, f"{len(api.log)} requests for 20 renders"


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
