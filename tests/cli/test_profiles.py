"""Several Claude Code profiles: each reads its own account."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import support


def serve_per_token(api: HTTPServer, percents: dict[str, float]) -> None:
    """Answer with a five-hour utilization that depends on the token sent."""

    def handler(request: Request) -> Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        body = support.load_body("published_domain_2026_07.json")
        body["five_hour"] = {"utilization": percents[token], "resets_at": None}
        return Response(json.dumps(body), content_type="application/json")

    api.expect_request("/api/oauth/usage").respond_with_handler(handler)


def test_all_profiles_lists_every_profile_found(
    api: HTTPServer, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default, work, elsewhere = support.make_token(), support.make_token(), support.make_token()
    support.write_credentials(home / ".claude", support.credentials_blob(default))
    support.write_credentials(home / ".claude-work", support.credentials_blob(work))
    (home / ".claude-empty").mkdir()  # no credentials: not a profile
    support.write_credentials(tmp_path / "elsewhere", support.credentials_blob(elsewhere))
    monkeypatch.setenv("CLAUDE_USAGE_PROFILES", str(tmp_path / "elsewhere"))
    serve_per_token(api, {default: 11.0, work: 22.0, elsewhere: 33.0})

    result = support.run_cli("--all-profiles", "--json")
    assert result.returncode == 0, result.stderr
    profiles = json.loads(result.stdout)["profiles"]
    seen = {entry["profile"]: entry["usage"]["five_hour"]["utilization"] for entry in profiles}
    assert seen == {None: 11.0, str(tmp_path / "elsewhere"): 33.0, str(home / ".claude-work"): 22.0}

    text = support.run_cli("show", "--all-profiles", "--color", "never")
    assert text.returncode == 0, text.stderr
    assert "default profile" in text.stdout and str(home / ".claude-work") in text.stdout
    for token in (default, work, elsewhere):
        support.assert_no_token(result.stdout + text.stdout + text.stderr, token)


def test_a_failing_profile_does_not_hide_the_others(api: HTTPServer, home: Path) -> None:
    default = support.make_token()
    support.write_credentials(home / ".claude", support.credentials_blob(default))
    support.write_credentials(
        home / ".claude-old", support.credentials_blob(support.make_token(), expires_at_ms=support.PAST_MS)
    )
    serve_per_token(api, {default: 44.0})
    result = support.run_cli("--all-profiles", "--json")
    assert result.returncode == 3
    profiles = {entry["profile"]: entry for entry in json.loads(result.stdout)["profiles"]}
    assert profiles[None]["usage"]["five_hour"]["utilization"] == 44.0
    assert "expired" in profiles[str(home / ".claude-old")]["error"]


def test_config_dir_is_used_literally_by_the_cli(api: HTTPServer, home: Path, tmp_path: Path) -> None:
    """`--config-dir` reads that profile only, exactly as CLAUDE_CONFIG_DIR would."""
    work = support.make_token()
    support.write_credentials(home / ".claude", support.credentials_blob(support.make_token()))
    support.write_credentials(tmp_path / "w", support.credentials_blob(work))
    serve_per_token(api, {work: 55.0})
    result = support.run_cli("--config-dir", str(tmp_path / "w"), "--json", env={**os.environ})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["five_hour"]["utilization"] == 55.0


def test_default_profile_is_read_even_when_claude_config_dir_is_set(
    api: HTTPServer, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default, work = support.make_token(), support.make_token()
    support.write_credentials(home / ".claude", support.credentials_blob(default))
    support.write_credentials(tmp_path / "work", support.credentials_blob(work))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "work"))
    serve_per_token(api, {default: 1.0, work: 2.0})
    result = support.run_cli("--all-profiles", "--json")
    assert result.returncode == 0, result.stderr
    seen = {
        entry["profile"]: entry["usage"]["five_hour"]["utilization"] for entry in json.loads(result.stdout)["profiles"]
    }
    assert seen == {None: 1.0, str(tmp_path / "work"): 2.0}


def test_decomposed_config_dir_finds_the_nfc_profile(
    api: HTTPServer, home: Path, token: str, body: dict[str, Any]
) -> None:
    """Claude Code NFC-normalises the directory string: the file backend and
    --all-profiles do too."""
    support.write_credentials(home / ".claude-jos\u00e9", support.credentials_blob(token))
    support.write_credentials(home / ".claude", support.credentials_blob(support.make_token()))
    support.serve(api, body)
    env = {**os.environ, "CLAUDE_CONFIG_DIR": str(home / ".claude-jose\u0301")}
    result = support.run_cli("show", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["five_hour"]["utilization"] == 53.0
    profiles = support.run_cli("--all-profiles", "--json", env=env)
    assert profiles.returncode == 0, profiles.stderr
    names = [entry["profile"] for entry in json.loads(profiles.stdout)["profiles"]]
    # The variable's spelling and the directory found on disk are one profile.
    assert names == [None, str(home / ".claude-jos\u00e9")]
