"""The ``claude-usage`` command, run as a subprocess against a loopback server."""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import support

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def assert_clean_failure(result: Any, code: int, token: str) -> str:
    """One line on stderr, the documented code, no traceback, no token."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("claude-usage: error: ")
    support.assert_no_token(result.stdout + result.stderr, token)
    line: str = lines[0]
    return line


def test_table_shows_every_window_limit_and_extra_usage(api: HTTPServer, logged_in: Path, token: str) -> None:
    body = support.load_body("variant_new_keys_over_100.json")
    support.serve(api, body)
    result = support.run_cli()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert not ANSI.search(out), "piped output must not be coloured"
    assert re.search(r"Current session .*104\.5%", out) or re.search(r"Current session .*104%", out)
    assert re.search(r"Current week \(all models\) .*91%", out)
    assert "Current week (Cowork)" in out  # a window the API added recently still shows
    assert re.search(r"Current week \(Opus\) +100% \[critical\]", out)
    binding = [line for line in out.splitlines() if "binding" in line]
    assert len(binding) == 1 and "Opus" in binding[0]
    assert re.search(r"Monthly +12%", out)
    assert "Extra usage: on, unlimited, €0 spent" in out
    support.assert_no_token(out + result.stderr, token)


def test_json_output_has_the_documented_keys(api: HTTPServer, logged_in: Path, body: dict[str, Any]) -> None:
    support.serve(api, body)
    result = support.run_cli("--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {
        "five_hour",
        "seven_day",
        "windows",
        "limits",
        "extra_usage",
        "promo_credits",
        "fetched_at",
        "stale",
    }
    assert document["stale"] is False
    fetched_at = datetime.fromisoformat(document["fetched_at"])
    assert fetched_at.utcoffset() == timedelta(0)
    assert abs((datetime.now(timezone.utc) - fetched_at).total_seconds()) < 30
    assert document["five_hour"] == {
        "utilization": 53.0,
        "resets_at": "2026-07-08T00:49:59.940321+00:00",
        "label": "Current session",
        "projected_percent": None,
        "runs_out_at": None,
        "forecast_basis": "reset_due",  # a July body, printed later
    }
    assert set(document["windows"]) == {"five_hour", "seven_day"}
    assert [limit["kind"] for limit in document["limits"]] == ["session", "weekly_all", "weekly_scoped"]
    assert document["limits"][2]["model"] == "Fable"
    assert document["limits"][0]["is_active"] is True
    assert document["extra_usage"]["is_enabled"] is False


def test_colour_only_when_asked_or_on_a_terminal(api: HTTPServer, logged_in: Path, body: dict[str, Any]) -> None:
    support.serve(api, body)
    support.serve(api, body)
    coloured = support.run_cli("--color", "always")
    assert ANSI.search(coloured.stdout)
    plain = support.run_cli("--color", "never")
    assert not ANSI.search(plain.stdout)
    assert ANSI.sub("", coloured.stdout).split() == plain.stdout.split()


def test_show_subcommand_and_options_after_it(api: HTTPServer, logged_in: Path, body: dict[str, Any]) -> None:
    support.serve(api, body)
    result = support.run_cli("show", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["seven_day"]["utilization"] == 8.0


def test_config_dir_reads_another_profile(api: HTTPServer, home: Path, tmp_path: Path, token: str) -> None:
    other = support.make_token()
    support.write_credentials(home / ".claude", support.credentials_blob(token))
    work = tmp_path / "work-profile"
    support.write_credentials(work, support.credentials_blob(other))
    support.serve(api, support.load_body("published_domain_2026_07.json"))
    result = support.run_cli("--config-dir", str(work), "--json")
    assert result.returncode == 0, result.stderr
    ((request, _),) = api.log
    assert request.headers["Authorization"] == f"Bearer {other}"


@pytest.mark.parametrize(
    ("status", "payload", "headers", "code", "phrase"),
    [
        (
            401,
            {"type": "error", "error": {"type": "authentication_error", "message": "Invalid bearer token"}},
            {},
            4,
            "log in again",
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
            {},
            4,
            "setup-token",
        ),
        (
            429,
            {"error": {"message": "Rate limited. Please try again later.", "type": "rate_limit_error"}},
            {"Retry-After": "120"},
            5,
            "retry in 2 min",
        ),
        (500, "upstream failure", {}, 6, "server failed (500"),
        (503, "<html>bad gateway</html>", {"Content-Type": "text/html"}, 6, "server failed (503"),
        (200, "<!doctype html><html>portal</html>", {"Content-Type": "text/html"}, 6, "HTML"),
        (200, '{"five_hour": {"utilization": 4', {}, 6, "not valid JSON"),
        (200, "", {}, 6, "empty body"),
        (302, "", {"Location": "https://example.invalid/"}, 6, "redirect"),
    ],
)
def test_api_failures_map_to_exit_codes(
    api: HTTPServer,
    logged_in: Path,
    token: str,
    status: int,
    payload: Any,
    headers: dict[str, str],
    code: int,
    phrase: str,
) -> None:
    support.serve(api, payload, status=status, headers=headers)
    line = assert_clean_failure(support.run_cli(), code, token)
    assert phrase in line


def test_no_credentials_exit_3(api: HTTPServer, home: Path, token: str) -> None:
    line = assert_clean_failure(support.run_cli(), 3, token)
    assert str(home / ".claude" / ".credentials.json") in line
    assert len(api.log) == 0


def test_expired_token_exit_3_without_request(api: HTTPServer, home: Path, token: str) -> None:
    support.write_credentials(home / ".claude", support.credentials_blob(token, expires_at_ms=support.PAST_MS))
    line = assert_clean_failure(support.run_cli(), 3, token)
    assert "expired" in line and "run `claude`" in line
    assert len(api.log) == 0


def test_corrupt_credentials_exit_3_without_echo(api: HTTPServer, home: Path, token: str) -> None:
    support.write_credentials(home / ".claude", '{"claudeAiOauth": {"accessToken": "' + token + '"')
    line = assert_clean_failure(support.run_cli(), 3, token)
    assert "not valid JSON" in line


def test_unknown_backend_exit_3_naming_installed(api: HTTPServer, logged_in: Path, token: str) -> None:
    line = assert_clean_failure(support.run_cli("--backend", "vault"), 3, token)
    assert "'vault'" in line and "file" in line and "env" in line


def test_network_failure_exit_6(logged_in: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("CLAUDE_USAGE_BASE_URL", f"http://127.0.0.1:{port}")
    line = assert_clean_failure(support.run_cli(), 6, token)
    assert "connection refused" in line


def test_plain_http_to_a_remote_host_is_a_usage_error(
    logged_in: Path, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_USAGE_BASE_URL", "http://api.example.com")
    line = assert_clean_failure(support.run_cli(), 2, token)
    assert "refusing plain http://" in line


def test_bad_timeout_is_a_usage_error(logged_in: Path, token: str) -> None:
    assert_clean_failure(support.run_cli("--timeout", "0"), 2, token)


def test_unknown_option_exit_2() -> None:
    result = support.run_cli("--frobnicate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_verbose_logs_to_stderr_without_token(api: HTTPServer, logged_in: Path, token: str) -> None:
    support.serve(api, support.load_body("published_domain_2026_07.json"))
    result = support.run_cli("-vv", "--json")
    assert result.returncode == 0
    assert "GET http://" in result.stderr
    assert "credentials read by the 'file' backend" in result.stderr
    support.assert_no_token(result.stdout + result.stderr, token)
    json.loads(result.stdout)


def test_backends_lists_and_marks_the_choice(logged_in: Path, token: str) -> None:
    result = support.run_cli("backends")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("* file") for line in lines)
    assert any("env" in line and "CLAUDE_CODE_OAUTH_TOKEN is not set" in line for line in lines)
    # Off macOS the Keychain says so (keyring is not configured here).
    keychain = "unavailable: macOS only" if sys.platform != "darwin" else "priority 20"
    assert any("keychain" in line and keychain in line for line in lines), lines
    assert "would be used: file" in result.stdout
    support.assert_no_token(result.stdout + result.stderr, token)


def test_backends_json_with_env_token(logged_in: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env_token = support.make_token()
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", env_token)
    result = support.run_cli("backends", "--json")
    document = json.loads(result.stdout)
    assert document["selected"] == "env"
    names = {entry["name"]: entry for entry in document["backends"]}
    assert names["env"]["priority"] > names["file"]["priority"]
    assert names["keychain"]["automatic"] is False
    support.assert_no_token(result.stdout, env_token)
    support.assert_no_token(result.stdout, token)


@pytest.mark.parametrize("command", [[], ["show"], ["backends"], ["check"], ["wait"], ["watch"], ["doctor"]])
def test_help_for_each_command(command: list[str]) -> None:
    result = support.run_cli(*command, "--help")
    assert result.returncode == 0
    assert "usage: claude-usage" in result.stdout
    assert "exit codes" in result.stdout


def test_version() -> None:
    result = support.run_cli("--version")
    assert result.returncode == 0
    assert re.fullmatch(r"claude-usage \d+\.\d+\.\d+\S*\n", result.stdout)


def test_show_goes_through_the_shared_cache(api: HTTPServer, logged_in: Path, body: dict[str, Any]) -> None:
    support.serve(api, body)
    for _ in range(3):
        assert support.run_cli("--json").returncode == 0
    assert len(api.log) == 1
    assert support.run_cli("show", "--max-age", "0").returncode == 0
    assert support.run_cli("--max-age", "0", "show").returncode == 0
    assert len(api.log) == 3


def test_show_stale_data_with_one_warning(api: HTTPServer, logged_in: Path, token: str, body: dict[str, Any]) -> None:
    support.serve_once(api, body)
    support.serve(
        api,
        {"error": {"message": "Rate limited.", "type": "rate_limit_error"}},
        status=429,
        headers={"Retry-After": "90"},
    )
    first = json.loads(support.run_cli("--json").stdout)
    result = support.run_cli("--max-age", "0")
    assert result.returncode == 0
    assert "Current session" in result.stdout
    warning = result.stderr.splitlines()
    assert len(warning) == 1
    assert re.fullmatch(
        r"claude-usage: warning: showing data from \d+s ago: rate limited by the usage endpoint \(429\); "
        r"retry in 90 s, and poll less often",
        warning[0],
    ), warning
    stale = support.run_cli("--json", "--max-age", "0")
    assert stale.returncode == 0
    document = json.loads(stale.stdout)
    assert document["stale"] is True
    assert document["fetched_at"] == first["fetched_at"]
    assert "shared back-off" in stale.stderr and stale.stderr.count("\n") == 1
    assert len(api.log) == 2, "the back-off holds even with --max-age 0"
    support.assert_no_token(result.stdout + result.stderr + stale.stdout + stale.stderr, token)


def test_narrow_terminal_drops_the_bars(api: HTTPServer, logged_in: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    support.serve(api, support.load_body("variant_new_keys_over_100.json"))
    monkeypatch.setenv("COLUMNS", "20")
    result = support.run_cli("--color", "never")
    assert result.returncode == 0, result.stderr
    assert "█" not in result.stdout and "░" not in result.stdout
    assert "Current session" in result.stdout and "104" in result.stdout and "reset due now" in result.stdout
    monkeypatch.setenv("COLUMNS", "120")
    wide = support.run_cli("--color", "never")
    assert "█" in wide.stdout


@pytest.mark.skipif(sys.platform == "darwin", reason="on macOS the Keychain is available")
def test_keychain_is_macos_only_elsewhere_and_advice_names_nothing_installed(logged_in: Path) -> None:
    listing = json.loads(support.run_cli("backends", "--json").stdout)
    keychain = next(b for b in listing["backends"] if b["name"] == "keychain")
    assert keychain["available"] is False and keychain["reason"].startswith("macOS only"), keychain
    doctor = support.run_cli("doctor", "--backend", "keychain")
    assert doctor.returncode == 3
    assert "keychain  unavailable: macOS only" in doctor.stdout
    assert "cannot be used here: macOS only" in doctor.stdout
    # Both of this project's backends are installed here: the advice says to
    # choose one, and names no package to install.
    assert "advice: Choose a backend that can be used here with --backend or CLAUDE_USAGE_BACKEND." in doctor.stdout
    assert "pip install" not in doctor.stdout and "install claude-usage-creds" not in doctor.stdout.lower()
