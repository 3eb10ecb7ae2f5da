"""``claude-usage doctor``, run as a subprocess: every advice path, and never
the token, with or without ``-v``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import support

UNAUTHORIZED = {"type": "error", "error": {"type": "authentication_error", "message": "Invalid bearer token"}}
NO_SCOPE = {
    "type": "error",
    "error": {"type": "permission_error", "message": "OAuth token does not meet scope requirement user:profile"},
}
RATE_LIMITED = {"error": {"message": "Rate limited. Please try again later.", "type": "rate_limit_error"}}


class Scenario:
    """One situation doctor diagnoses: how to set it up, what it must say."""

    def __init__(
        self,
        setup: Callable[[HTTPServer, Path, str, pytest.MonkeyPatch], None],
        code: int,
        phrases: list[str],
        requests: int,
    ) -> None:
        self.setup = setup
        self.code = code
        self.phrases = phrases
        self.requests = requests


def logged_in(home: Path, token: str, **kwargs: Any) -> None:
    support.write_credentials(home / ".claude", support.credentials_blob(token, **kwargs))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def healthy(api: HTTPServer, home: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    logged_in(home, token)
    support.serve(api, support.load_body("variant_new_keys_over_100.json"))


def expired(api: HTTPServer, home: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    logged_in(home, token, expires_at_ms=support.PAST_MS)


def unauthorized(api: HTTPServer, home: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    logged_in(home, token)
    support.serve(api, UNAUTHORIZED, status=401)


def setup_token(api: HTTPServer, home: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    logged_in(home, support.make_token())  # a good login exists, but the variable wins
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", token)
    support.serve(api, NO_SCOPE, status=403)


def scope_refused(api: HTTPServer, home: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The variable claims the profile scope; the server says otherwise."""
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", token)
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_SCOPES", "user:inference user:profile")
    support.serve(api, NO_SCOPE, status=403)


def scope_missing(api: HTTPServer, home: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    logged_in(home, token, scopes=["user:inference"])
    support.serve(api, NO_SCOPE, status=403)


def rate_limited(api: HTTPServer, home: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    logged_in(home, token)
    support.serve(api, RATE_LIMITED, status=429, headers={"Retry-After": "120"})


def offline(api: HTTPServer, home: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    logged_in(home, token)
    monkeypatch.setenv("CLAUDE_USAGE_BASE_URL", f"http://127.0.0.1:{closed_port()}")


def no_credentials(api: HTTPServer, home: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pass


def bad_config(api: HTTPServer, home: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    logged_in(home, token)
    monkeypatch.setenv("CLAUDE_USAGE_BASE_URL", "http://api.example.com")


SCENARIOS = {
    "healthy": Scenario(
        healthy,
        0,
        [
            "Live check",
            "result:           OK",
            "usage:            Current session 104%, Current week (all models) 91%, Current week (Cowork) 17%",
            "binding:          Current week (Opus) 100%",
            "scopes:           user:inference user:profile",
            "subscription:     max",
            "rate-limit tier:  default_claude_max_20x",
            "expires:          2100-01-01 00:00 UTC (in ",
            "chosen:           file (highest priority)",
        ],
        1,
    ),
    "expired": Scenario(
        expired,
        3,
        ["expires:          2020-09-13 12:26 UTC: EXPIRED ", "advice: The stored token has expired. Run `claude` once"],
        0,
    ),
    "401": Scenario(
        unauthorized,
        4,
        [
            "result:           FAILED: the API rejected the token (401",
            "advice: The API rejected the token (401). Log in again with `claude`",
            "Do not retry in a loop",
        ],
        1,
    ),
    "env token without scopes": Scenario(
        setup_token,
        3,
        [
            "backend:          env",
            "scopes:           user:inference (from CLAUDE_CODE_OAUTH_SCOPES, or its default)",
            "warning: user:profile is MISSING: no request will be sent",
            "FAILED: not sent: this token lacks the user:profile scope",
            "set CLAUDE_CODE_OAUTH_SCOPES='user:inference user:profile'",
            "Otherwise unset CLAUDE_CODE_OAUTH_TOKEN",
            "chosen:           env (highest priority)",
        ],
        0,
    ),
    "stored login without the scope": Scenario(
        scope_missing,
        3,
        [
            "scopes:           user:inference\n",
            "warning: user:profile is MISSING",
            "advice: The stored login lacks the user:profile scope, so nothing was sent",
            "/login",
        ],
        0,
    ),
    "403 scope refused": Scenario(
        scope_refused,
        4,
        [
            "scopes:           user:inference user:profile (from CLAUDE_CODE_OAUTH_SCOPES",
            "advice: The token lacks the user:profile scope (403)",
            "`claude setup-token`",
            "Unset CLAUDE_CODE_OAUTH_TOKEN",
        ],
        1,
    ),
    "429": Scenario(
        rate_limited,
        5,
        [
            "FAILED: rate limited by the usage endpoint (429); retry in 2 min",
            "advice: The usage endpoint is limiting requests (429; not your usage limit). Retry after ",
            "(in 2m)",
            "advice: Poll less often",
        ],
        1,
    ),
    "network": Scenario(
        offline,
        6,
        [
            "FAILED: ",
            "connection refused",
            "advice: The request did not complete",
            "set HTTPS_PROXY",
            "CLAUDE_USAGE_CA_BUNDLE=/path/to/ca.pem (not set now)",
        ],
        0,
    ),
    "no credentials": Scenario(
        no_credentials,
        3,
        [
            "problem:          no credentials file at ",
            "advice: No Claude credentials were found.",
            "Looked in: Claude Code's credentials file (",
            "/home/.claude/.credentials.json)",
            "Run `claude` and log in",
            "result:           skipped: no credentials",
        ],
        0,
    ),
    "bad configuration": Scenario(
        bad_config,
        2,
        [
            "problem:          refusing plain http:// to api.example.com",
            "advice: Fix the value named above",
            "result:           skipped: no usable configuration",
        ],
        0,
    ),
}


def run_doctor(*args: str) -> subprocess.CompletedProcess[str]:
    return support.run_cli("doctor", *args)


def assert_secret_free(result: subprocess.CompletedProcess[str], *tokens: str) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    for token in tokens:
        support.assert_no_token(output, token)
    assert "sk-ant-oat" not in result.stdout, "not even the token's prefix"


@pytest.mark.parametrize("verbosity", [[], ["-v"], ["-vv"]], ids=["quiet", "-v", "-vv"])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_diagnosis(
    api: HTTPServer,
    home: Path,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    verbosity: list[str],
) -> None:
    scenario = SCENARIOS[name]
    scenario.setup(api, home, token, monkeypatch)
    result = run_doctor(*verbosity)
    assert result.returncode == scenario.code, (result.stdout, result.stderr)
    for phrase in scenario.phrases:
        assert phrase in result.stdout, (phrase, result.stdout)
    assert ("advice:" in result.stdout) == (scenario.code != 0)
    for section in ("claude-usage ", "Configuration", "Backends", "Credentials", "Cache", "Live check"):
        assert f"\n{section}" in "\n" + result.stdout
    if not verbosity:
        assert result.stderr == ""
    assert len(api.log) == scenario.requests
    assert_secret_free(result, token)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_diagnosis_as_json(
    api: HTTPServer, home: Path, token: str, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    scenario = SCENARIOS[name]
    scenario.setup(api, home, token, monkeypatch)
    result = run_doctor("--json", "-v")
    assert result.returncode == scenario.code, result.stderr
    document = json.loads(result.stdout)
    assert document["exit_code"] == scenario.code
    assert bool(document["advice"]) == (scenario.code != 0)
    assert {"version", "python", "config", "backends", "selected", "credentials", "cache", "live"} <= set(document)
    live = document["live"]
    if scenario.code == 0:
        assert live["ok"] is True and live["error"] is None
    elif live is not None:
        assert live["ok"] is False and live["error"]["exit_code"] == scenario.code
    assert_secret_free(result, token)


def test_credentials_document(api: HTTPServer, home: Path, token: str) -> None:
    logged_in(home, token, scopes=["user:inference"])
    support.serve(api, NO_SCOPE, status=403)
    document = json.loads(run_doctor("--json").stdout)
    assert len(api.log) == 0, "a token without user:profile was sent"
    credentials = document["credentials"]
    assert credentials["backend"] == "file"
    assert credentials["scopes"] == ["user:inference"]
    assert credentials["has_profile_scope"] is False
    assert credentials["expires_at"] == "2100-01-01T00:00:00+00:00"
    assert credentials["expired"] is False
    assert set(credentials) == {
        "backend",
        "source",
        "subscription_type",
        "rate_limit_tier",
        "scopes",
        "has_profile_scope",
        "expires_at",
        "expired",
    }
    assert document["live"]["error"]["type"] == "InsufficientScopeError"
    assert document["live"]["error"]["exit_code"] == 3
    assert document["live"]["sent"] is False


def test_a_back_off_in_force_is_respected(api: HTTPServer, home: Path, token: str) -> None:
    logged_in(home, token)
    support.serve_once(api, support.load_body("published_domain_2026_07.json"))
    support.serve(api, RATE_LIMITED, status=429, headers={"Retry-After": "600"})
    assert run_doctor().returncode == 0
    first = run_doctor()
    assert first.returncode == 5
    assert "result:           FAILED: rate limited" in first.stdout
    again = run_doctor()
    assert again.returncode == 5
    assert len(api.log) == 2, "doctor must not send a request while a back-off is in force"
    assert "back-off:         until " in again.stdout and "(in 10m)" in again.stdout
    assert "because:          rate limited by the usage endpoint (429)" in again.stdout
    assert "result:           not sent, a back-off is in force: rate limited" in again.stdout
    assert (
        "cached data:      from " in again.stdout
        and "Current session 53%, Current week (all models) 8%" in again.stdout
    )
    document = json.loads(run_doctor("--json").stdout)
    assert document["live"]["sent"] is False and document["live"]["stale"] is True
    assert document["cache"]["backoff_remaining"] > 590
    assert len(api.log) == 2
    assert_secret_free(again, token)


def test_max_age_lets_doctor_use_the_cache(api: HTTPServer, home: Path, token: str) -> None:
    logged_in(home, token)
    support.serve(api, support.load_body("published_domain_2026_07.json"))
    assert run_doctor().returncode == 0
    assert run_doctor().returncode == 0
    assert len(api.log) == 2, "doctor's live call asks for fresh data by default"
    cached = run_doctor("--max-age", "60")
    assert cached.returncode == 0
    assert "result:           OK, from the cache (" in cached.stdout and "no request" in cached.stdout
    assert json.loads(run_doctor("--max-age", "60", "--json").stdout)["live"]["sent"] is False
    assert len(api.log) == 2


def test_cache_section(api: HTTPServer, home: Path, token: str) -> None:
    logged_in(home, token)
    support.serve(api, support.load_body("published_domain_2026_07.json"))
    before = run_doctor("--json", "--backend", "file")
    cache = json.loads(before.stdout)["cache"]
    assert cache["entry"] is False  # the section describes the cache before the live call
    assert cache["directory"] == str(home / ".cache" / "claude-usage")
    after = run_doctor("--backend", "file")
    assert "data:             from " in after.stdout
    assert "back-off:         none" in after.stdout
    assert "chosen:           file (explicitly, by --backend)" in after.stdout


def test_backend_chosen_by_environment(
    api: HTTPServer, home: Path, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    logged_in(home, token)
    support.serve(api, support.load_body("published_domain_2026_07.json"))
    monkeypatch.setenv("CLAUDE_USAGE_BACKEND", "file")
    result = run_doctor()
    assert result.returncode == 0
    assert "chosen:           file (explicitly, by CLAUDE_USAGE_BACKEND)" in result.stdout
    unknown = run_doctor("--backend", "vault")
    assert unknown.returncode == 3
    assert "chosen:           none ('vault' was asked for and cannot be used)" in unknown.stdout
    assert "unknown credential backend 'vault'" in unknown.stdout
    assert_secret_free(unknown, token)


def test_proxy_passwords_are_not_shown(
    api: HTTPServer, home: Path, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    logged_in(home, token)
    monkeypatch.setenv("CLAUDE_USAGE_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("HTTPS_PROXY", "http://alice:hunter2secret@proxy.internal:3128")
    result = run_doctor()
    assert result.returncode == 6
    assert "hunter2secret" not in result.stdout
    assert "HTTPS_PROXY=http://<redacted>@proxy.internal:3128" in result.stdout
    assert "now set: HTTPS_PROXY=http://<redacted>@proxy.internal:3128" in result.stdout


def test_help() -> None:
    result = support.run_cli("doctor", "--help")
    assert result.returncode == 0
    assert "--max-age SECONDS" in result.stdout and "--json" in result.stdout
    assert "exit codes" in result.stdout and "the live call succeeded" in result.stdout


def test_garbage_option_exit_2() -> None:
    result = run_doctor("--frobnicate")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_doctor_warns_about_a_foreign_claude_usage_package(tmp_path: Path, home: Path) -> None:
    """claude-usage-limits (on the package index) installs the same `claude_usage` package."""
    site = tmp_path / "site"
    info = site / "claude_usage_limits-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: claude-usage-limits\nVersion: 0.1.0\n")
    (info / "top_level.txt").write_text("claude_usage\n")
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = support.run_cli("doctor", "--json", env=env)
    document = json.loads(result.stdout)
    assert document["foreign_distributions"] == ["claude-usage-limits 0.1.0"]
    text = support.run_cli("doctor", env=env).stdout
    assert "warning: claude-usage-limits 0.1.0 is installed too" in text
    clean = json.loads(support.run_cli("doctor", "--json").stdout)
    assert clean["foreign_distributions"] == []
