"""Helpers shared by the test suites (imported as ``support``)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer

from claude_usage import CredentialBackend, Credentials

DATA = Path(__file__).parent / "data"
FAR_FUTURE_MS = 4_102_444_800_000  # 2100-01-01
PAST_MS = 1_600_000_000_000  # 2020-09-13

#: What Python 3.10's ``datetime.fromisoformat`` reads: exactly what
#: ``isoformat()`` writes (3.11 reads far more, so running on 3.11 alone
#: would hide a 3.10 failure).
PY310_ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([Tt ][0-9]{2}(:[0-9]{2}(:[0-9]{2}(\.([0-9]{3}|[0-9]{6}))?)?)?([+-][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{6})?)?)?)?"
)


def make_token() -> str:
    """A fresh token of the real shape: unique per test, so a leak scan
    cannot be fooled by a constant that happens to appear elsewhere."""
    return "sk-ant-oat01-" + secrets.token_urlsafe(72)


def load_body(name: str, *, future: bool = False) -> dict[str, Any]:
    """A stored body; ``future=True`` moves every 2026 date to 2099, so that
    tests about resets still in the future do not expire with the calendar."""
    text = (DATA / name).read_text()
    if future:
        text = text.replace('"2026-', '"2099-')
    body: dict[str, Any] = json.loads(text)
    return body


def body_names() -> list[str]:
    return sorted(path.name for path in DATA.glob("*.json"))


def credentials_blob(
    token: str | None,
    *,
    expires_at_ms: int | None = FAR_FUTURE_MS,
    refresh_token: str | None = "sk-ant-ort01-" + "r" * 40,
    scopes: list[str] | None = None,
    mcp: bool = True,
) -> dict[str, Any]:
    """Claude Code's stored JSON, as domain.md describes it."""
    blob: dict[str, Any] = {}
    if token is not None:
        oauth: dict[str, Any] = {"accessToken": token}
        if refresh_token is not None:
            oauth["refreshToken"] = refresh_token
        if expires_at_ms is not None:
            oauth["expiresAt"] = expires_at_ms
        oauth["scopes"] = (
            scopes if scopes is not None else ["user:inference", "user:profile", "user:sessions:claude_code"]
        )
        oauth["subscriptionType"] = "max"
        oauth["rateLimitTier"] = "default_claude_max_20x"
        blob["claudeAiOauth"] = oauth
    if mcp:
        blob["mcpOAuth"] = {"server|abc123": {"accessToken": "mcp-token", "expiresAt": FAR_FUTURE_MS}}
    return blob


def write_credentials(directory: Path, blob: dict[str, Any] | str | bytes, mode: int = 0o600) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ".credentials.json"
    data = blob if isinstance(blob, (str, bytes)) else json.dumps(blob)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    path.chmod(mode)
    return path


def cli_command() -> list[str]:
    """The installed ``claude-usage`` console script of this interpreter."""
    script = Path(sys.executable).parent / "claude-usage"
    if script.exists():
        return [str(script)]
    found = shutil.which("claude-usage")
    return [found] if found else [sys.executable, "-m", "claude_usage"]


def start_exporter(*args: str) -> tuple[subprocess.Popen[str], str]:
    """``claude-usage serve --port 0`` as a subprocess, and its metrics URL
    once it listens."""
    process = subprocess.Popen(
        [*cli_command(), "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    if "metrics on http://" not in line:
        process.kill()
        raise AssertionError(line)
    return process, line.split("metrics on ")[1].strip()


@contextlib.contextmanager
def exporter_running(*args: str) -> Iterator[str]:
    """:func:`start_exporter`, stopped afterwards."""
    process, url = start_exporter(*args)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def run_cli(
    *args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cli_command(), *args],
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        env=dict(os.environ) if env is None else env,
        timeout=timeout,
        check=False,
    )


def token_fragments(token: str, width: int = 8) -> list[str]:
    """Every ``width``-character slice of the token's secret part.

    The ``sk-ant-oat01-`` prefix is public and is skipped: only slices that
    include secret characters count as a leak.
    """
    secret_start = len("sk-ant-oat01-") if token.startswith("sk-ant-oat01-") else 0
    return [token[i : i + width] for i in range(max(0, secret_start - width + 1), len(token) - width + 1)]


def assert_no_token(text: str | bytes, token: str) -> None:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    for fragment in token_fragments(token):
        assert fragment not in text, f"a slice of the token appears: ...{fragment[:2]}..."


def serve(server: HTTPServer, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
    """Answer the usage path once with ``payload`` (JSON unless str/bytes)."""
    data = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    content_type = "application/json" if not isinstance(payload, (str, bytes)) else "text/plain"
    all_headers = {"Content-Type": content_type, **(headers or {})}
    server.expect_request("/api/oauth/usage", method="GET").respond_with_data(
        data, status=status, headers=all_headers, content_type=all_headers["Content-Type"]
    )


def serve_once(server: HTTPServer, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
    """Answer the next usage request (only) with ``payload``; one-shot
    answers are used in the order they were added, before permanent ones."""
    data = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    content_type = "application/json" if not isinstance(payload, (str, bytes)) else "text/plain"
    all_headers = {"Content-Type": content_type, **(headers or {})}
    server.expect_oneshot_request("/api/oauth/usage", method="GET").respond_with_data(
        data, status=status, headers=all_headers, content_type=all_headers["Content-Type"]
    )


class StaticBackend(CredentialBackend):
    """A backend that hands out fixed credentials and counts its reads."""

    name = "static-test"

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()
        self._credentials = credentials
        self.reads = 0

    def priority(self) -> float:
        return 0.0

    def read_credentials(self) -> Credentials:
        self.reads += 1
        return self._credentials
