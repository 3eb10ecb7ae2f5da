"""Every command and flag, on every kind of answer: the token never shows.

A hostile server echoes the Authorization header back in its error bodies.
After each run: no slice of the token in stdout, stderr, the cache files or
the textfile; no traceback; and the credentials file has the same bytes,
mode and mtime as before (it is never written).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import support

COMMANDS: list[list[str]] = [
    [],
    ["--json"],
    ["-v"],
    ["show", "-vv", "--json"],
    ["--max-age", "0", "-v"],
    ["backends", "-v"],
    ["backends", "--json"],
    ["check", "--max", "50", "-v"],
    ["check", "--max", "50", "--window", "binding", "--json"],
    ["wait", "--below", "100", "--max-wait", "1", "-v"],
    ["watch", "--count", "1", "--interval", "0.1", "-v"],
    ["doctor", "-v"],
    ["doctor", "--json", "-vv"],
    ["statusline"],
    ["statusline", "--format", "{five_hour} {binding} {stale}"],
    ["serve", "--textfile", "{textfile}", "-v"],
]


def _echo(status: int, headers: dict[str, str] | None = None) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        echoed = request.headers.get("Authorization", "")
        body = {"type": "error", "error": {"type": "x_error", "message": f"bad {echoed}"}, "request_id": echoed}
        return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")

    return handler


def _ok(request: Request) -> Response:
    return Response(json.dumps(support.load_body("variant_new_keys_over_100.json")), content_type="application/json")


def _html(request: Request) -> Response:
    echoed = request.headers.get("Authorization", "")
    return Response(f"<html>{echoed}</html>", content_type="text/html")


SCENARIOS: dict[str, Callable[[Request], Response]] = {
    "ok": _ok,
    "401": _echo(401),
    "403": _echo(403),
    "429": _echo(429, {"Retry-After": "60"}),
    "500": _echo(500),
    "html": _html,
}


def snapshot(path: Path) -> tuple[bytes, int, int]:
    info = path.stat()
    return path.read_bytes(), info.st_mode, info.st_mtime_ns


@pytest.mark.parametrize("scenario", [*SCENARIOS, "expired"])
def test_no_command_shows_the_token(
    scenario: str,
    api: HTTPServer,
    home: Path,
    token: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    record_figure: Callable[[str], None],
) -> None:
    expires = support.PAST_MS if scenario == "expired" else support.FAR_FUTURE_MS
    store = support.write_credentials(home / ".claude", support.credentials_blob(token, expires_at_ms=expires))
    before = snapshot(store)
    if scenario in SCENARIOS:
        api.expect_request("/api/oauth/usage").respond_with_handler(SCENARIOS[scenario])
    runs = 0
    for index, command in enumerate(COMMANDS):
        cache = tmp_path / f"cache-{index}"
        textfile = tmp_path / f"metrics-{index}.prom"
        monkeypatch.setenv("CLAUDE_USAGE_CACHE_DIR", str(cache))
        args = [arg.replace("{textfile}", str(textfile)) for arg in command]
        result = support.run_cli(*args, input="{}", env=dict(os.environ))
        runs += 1
        where = f"`claude-usage {' '.join(command)}` on {scenario}"
        assert "Traceback" not in result.stderr, where
        assert result.returncode in (0, 1, 2, 3, 4, 5, 6), (where, result.returncode, result.stderr)
        support.assert_no_token(result.stdout, token)
        support.assert_no_token(result.stderr, token)
        written = [*cache.rglob("*"), textfile] if cache.exists() else [textfile]
        for path in written:
            if path.is_file():
                support.assert_no_token(path.read_bytes(), token)
        assert snapshot(store) == before, f"{where} changed the credentials file"
    record_figure(f"leaks: {runs} command lines on the {scenario!r} answer, token in none of their output or files")
