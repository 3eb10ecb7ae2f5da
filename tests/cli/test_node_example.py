"""``examples/node``: a Node.js program consuming ``claude-usage --json``,
run with the machine's ``node`` against the loopback server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

import support

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "node"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

UNAUTHORIZED = {"type": "error", "error": {"type": "authentication_error", "message": "Invalid bearer token"}}


@pytest.fixture
def logged_in(home: Path, token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    support.write_credentials(home / ".claude", support.credentials_blob(token))
    monkeypatch.setenv("CLAUDE_USAGE_BACKEND", "file")
    monkeypatch.setenv("CLAUDE_USAGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CLAUDE_USAGE_COMMAND", " ".join(support.cli_command()))


def run_example() -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run(
        [NODE, str(EXAMPLE / "index.mjs")],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )


@pytest.mark.usefixtures("logged_in")
def test_prints_the_active_scoped_limit(api: HTTPServer, token: str) -> None:
    support.serve(api, support.load_body("variant_new_keys_over_100.json"))
    result = run_example()
    assert result.returncode == 0, result.stderr
    assert result.stdout == "binding: weekly_scoped (Opus) 100% — resets 2026-09-04T00:00:00+00:00\n"
    assert result.stderr == ""
    support.assert_no_token(result.stdout + result.stderr, token)


@pytest.mark.usefixtures("logged_in")
def test_prints_an_active_limit_without_a_model(api: HTTPServer) -> None:
    support.serve(api, support.load_body("published_domain_2026_07.json"))
    result = run_example()
    assert result.returncode == 0, result.stderr
    assert result.stdout == "binding: session 53% — resets 2026-07-08T00:49:59.940321+00:00\n"


@pytest.mark.usefixtures("logged_in")
def test_no_binding_limit(api: HTTPServer) -> None:
    support.serve(api, support.load_body("published_epic_2026_01.json"))
    result = run_example()
    assert result.returncode == 0, result.stderr
    assert result.stdout == "no binding limit\n"


@pytest.mark.usefixtures("logged_in")
def test_rejected_token_exit_code_and_error_line_are_passed_on(api: HTTPServer, token: str) -> None:
    support.serve(api, UNAUTHORIZED, status=401)
    result = run_example()
    assert result.returncode == 4, (result.returncode, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("claude-usage: error: "), result.stderr
    support.assert_no_token(result.stderr, token)


def test_missing_credentials_exit_3(api: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_USAGE_BACKEND", "file")
    monkeypatch.setenv("CLAUDE_USAGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CLAUDE_USAGE_COMMAND", " ".join(support.cli_command()))
    result = run_example()
    assert result.returncode == 3, (result.returncode, result.stderr)
    assert result.stderr.startswith("claude-usage: error: ")
    assert api.log == []


def test_command_that_cannot_start_exit_127(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_USAGE_COMMAND", str(tmp_path / "no-such-program"))
    result = run_example()
    assert result.returncode == 127
    assert result.stdout == ""
    assert "no-such-program" in result.stderr


def test_package_has_no_dependencies() -> None:
    package = json.loads((EXAMPLE / "package.json").read_text(encoding="utf-8"))
    for key in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
        assert not package.get(key), key
    assert package["type"] == "module"
    assert package["bin"]["claude-usage-binding"] == "index.mjs"
