"""``CLAUDE_USAGE_ERRORS=json``: every error as one JSON line on stderr, so a
wrapper in another language (the npm package) reads the type, the exit code
and the retry time without parsing prose."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import support

RATE_LIMITED = {"type": "error", "error": {"type": "rate_limit_error", "message": "Rate limited"}}
UNAUTHORIZED = {"type": "error", "error": {"type": "authentication_error", "message": "Invalid bearer token"}}


def json_error(*args: str, code: int, token: str) -> dict[str, Any]:
    """Run the command with JSON errors; its stderr must be exactly one JSON line."""
    env = {**os.environ, "CLAUDE_USAGE_ERRORS": "json"}
    result = support.run_cli(*args, env=env)
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    support.assert_no_token(result.stdout + result.stderr, token)
    document = json.loads(lines[0])
    assert set(document) == {"error"}
    error: dict[str, Any] = document["error"]
    assert set(error) == {"type", "exit_code", "message", "retry_after"}
    assert error["exit_code"] == code
    assert isinstance(error["message"], str) and error["message"] and "\n" not in error["message"]
    assert not error["message"].startswith("claude-usage: error:")
    return error


@pytest.mark.usefixtures("logged_in")
def test_a_rate_limit_carries_its_retry_time(api: HTTPServer, token: str) -> None:
    support.serve(api, RATE_LIMITED, status=429, headers={"Retry-After": "120"})
    error = json_error("--json", code=5, token=token)
    assert error["type"] == "RateLimitError"
    assert "429" in error["message"]
    assert 100 < error["retry_after"] <= 120


@pytest.mark.usefixtures("logged_in")
def test_a_held_back_rate_limit_carries_the_time_left(api: HTTPServer, token: str) -> None:
    support.serve(api, RATE_LIMITED, status=429, headers={"Retry-After": "600"})
    json_error("--json", code=5, token=token)
    error = json_error("--json", "--max-age", "0", code=5, token=token)
    assert error["type"] == "RateLimitError"
    assert 500 < error["retry_after"] <= 600
    assert len(api.log) == 1


@pytest.mark.usefixtures("logged_in")
def test_a_rejected_token(api: HTTPServer, token: str) -> None:
    support.serve(api, UNAUTHORIZED, status=401)
    error = json_error("--json", code=4, token=token)
    assert error["type"] == "AuthenticationError"
    assert error["retry_after"] is None


def test_no_credentials(home: Path, token: str) -> None:
    error = json_error("--json", "--backend", "file", code=3, token=token)
    assert error["type"] == "CredentialsNotFoundError"
    assert ".credentials.json" in error["message"]


def test_an_option_argparse_refuses(token: str) -> None:
    error = json_error("--max-age", "soon", code=2, token=token)
    assert error["type"] == "UsageError"
    assert "--max-age" in error["message"]


@pytest.mark.usefixtures("logged_in")
def test_a_value_the_command_refuses(api: HTTPServer, token: str) -> None:
    error = json_error("--json", "--timeout", "0", code=2, token=token)
    assert "timeout must be a positive number" in error["message"]
    assert len(api.log) == 0


@pytest.mark.usefixtures("logged_in")
def test_waybar_says_its_error_in_json_too(api: HTTPServer, token: str) -> None:
    support.serve(api, "<html>bad gateway</html>", status=502)
    env = {**os.environ, "CLAUDE_USAGE_ERRORS": "json"}
    result = support.run_cli("--waybar", env=env)
    assert result.returncode == 0, result.stderr  # Waybar hides a module whose command fails
    assert json.loads(result.stdout)["class"] == "error"
    assert json.loads(result.stderr)["error"]["exit_code"] == 6


@pytest.mark.usefixtures("logged_in")
def test_without_the_variable_errors_stay_prose(api: HTTPServer, token: str) -> None:
    support.serve(api, RATE_LIMITED, status=429)
    env = {k: v for k, v in os.environ.items() if k != "CLAUDE_USAGE_ERRORS"}
    result = support.run_cli("--json", env=env)
    assert result.returncode == 5
    assert result.stderr.startswith("claude-usage: error: ") and result.stderr.count("\n") == 1
