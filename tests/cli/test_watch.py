"""``claude-usage watch``, run as a subprocess against a loopback server."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import support

CLEAR = "\033[H\033[2J"
FOOTER = re.compile(
    r"^updated (\d+)s ago · next render in 0\.2s · refresh at most every 15s(?: · stale: (.*))?$", re.MULTILINE
)
RATE_LIMITED = {"error": {"message": "Rate limited. Please try again later.", "type": "rate_limit_error"}}


def body(five: float) -> dict[str, Any]:
    reset = datetime.fromtimestamp(time.time() + 2 * 3600 + 630, timezone.utc).isoformat()
    return {
        "five_hour": {"utilization": five, "resets_at": reset},
        "seven_day": {"utilization": 8.0, "resets_at": reset},
        "seven_day_cowork": {"utilization": 17.0, "resets_at": None},
    }


def age_cache(home: Path, seconds: float) -> None:
    """Make the cached data ``seconds`` older, as if fetched that long ago
    (the refresh floor would otherwise keep a test waiting 15 s)."""
    (path,) = (home / ".cache" / "claude-usage").glob("usage-*.json")
    entry = json.loads(path.read_text())
    entry["fetched_at"] -= seconds
    path.write_text(json.dumps(entry))


def renders(stdout: str) -> list[str]:
    """The renders of a piped watch: separated by one blank line each."""
    chunks = stdout.split("\n\nCurrent session")
    return [chunks[0], *("Current session" + chunk for chunk in chunks[1:])]


def test_piped_renders_and_the_refresh_floor(api: HTTPServer, logged_in: Path, token: str) -> None:
    support.serve(api, body(53.0))
    result = support.run_cli("watch", "--interval", "0.2", "--count", "3", "--max-age", "0")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert CLEAR not in result.stdout, "no screen clearing when piped"
    frames = renders(result.stdout)
    assert len(frames) == 3
    for frame in frames:
        assert re.search(r"^Current session +█+░+ +53%  resets in 2h 10m$", frame, re.MULTILINE), frame
        assert re.search(r"^Current week \(Cowork\) +█+░+ +17%  no reset scheduled$", frame, re.MULTILINE), frame
        footer = FOOTER.findall(frame)
        assert len(footer) == 1 and footer[0][1] == "", frame
        assert int(footer[0][0]) <= 1
    # --max-age 0 for the first render; after that an interval under the
    # 15 s floor re-renders from the cache.
    assert len(api.log) == 1
    support.assert_no_token(result.stdout, token)


def test_a_fast_interval_sends_at_most_one_request(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, body(53.0))
    process = subprocess.Popen(
        [*support.cli_command(), "watch", "--interval", "0.1", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(3)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    assert stderr == ""
    assert len(stdout.splitlines()) >= 5, "it kept re-rendering from the cache"
    assert len(api.log) == 1


def test_refreshes_once_the_data_is_older_than_the_floor(api: HTTPServer, logged_in: Path, home: Path) -> None:
    support.serve(api, body(53.0))
    assert support.run_cli("show").returncode == 0
    assert len(api.log) == 1
    age_cache(home, 20)
    result = support.run_cli("watch", "--interval", "0.2", "--count", "3")
    assert result.returncode == 0, result.stderr
    assert len(renders(result.stdout)) == 3
    # The default --max-age (60) served the first render from the cache; the
    # second found it older than the 15 s floor and refreshed; the third did not.
    assert len(api.log) == 2


def test_a_429_keeps_the_data_and_stops_the_requests(api: HTTPServer, logged_in: Path, home: Path, token: str) -> None:
    support.serve_once(api, body(53.0))
    support.serve(api, RATE_LIMITED, status=429, headers={"Retry-After": "60"})
    assert support.run_cli("show").returncode == 0
    age_cache(home, 20)
    result = support.run_cli("watch", "--interval", "0.2", "--count", "4", "--max-age", "0")
    assert result.returncode == 0, result.stderr
    frames = renders(result.stdout)
    assert len(frames) == 4
    stale = [FOOTER.findall(frame)[0][1] for frame in frames]
    assert all("rate limited" in reason and "429" in reason for reason in stale), stale
    assert all(re.search(r"^Current session .* 53%", frame, re.MULTILINE) for frame in frames)
    assert len(api.log) == 2, "the Retry-After back-off must hold for the renders after the 429"
    support.assert_no_token(result.stdout + result.stderr, token)


def test_json_lines(api: HTTPServer, logged_in: Path, home: Path) -> None:
    support.serve_once(api, body(53.0))
    support.serve(api, RATE_LIMITED, status=429, headers={"Retry-After": "60"})
    result = support.run_cli("watch", "--interval", "0.2", "--count", "3", "--max-age", "0", "--json")
    assert result.returncode == 0, result.stderr
    age_cache(home, 20)
    # The first render takes the 20 s old data (--max-age 60); the next finds
    # it older than the floor, is answered 429, and shows it marked stale.
    again = support.run_cli("watch", "--interval", "0.2", "--count", "3", "--json")
    assert again.returncode == 0, again.stderr
    documents = [json.loads(line) for line in (result.stdout + again.stdout).splitlines()]
    assert len(documents) == 6
    assert [document["stale"] for document in documents] == [False, False, False, False, True, True]
    assert documents[0]["error"] is None and "429" in documents[4]["error"]
    assert len({document["fetched_at"] for document in documents[:3]}) == 1
    assert documents[5]["five_hour"]["utilization"] == 53.0
    assert len(api.log) == 2


def test_terminal_clears_between_renders(api: HTTPServer, logged_in: Path, token: str) -> None:
    support.serve(api, body(53.0))
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [*support.cli_command(), "watch", "--interval", "0.2", "--count", "2", "--color", "never"],
            stdout=terminal,
            stderr=subprocess.PIPE,
            env={**os.environ, "COLUMNS": "80", "LINES": "24"},
        )
        os.close(terminal)
        output = b""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
            elif process.poll() is not None:
                break
        assert process.wait(timeout=10) == 0
    finally:
        os.close(controller)
    text = output.decode("utf-8", "replace")
    assert text.count(CLEAR) == 2
    assert text.count("updated ") == 2
    assert "Current session" in text
    support.assert_no_token(text, token)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_and_sigterm_exit_0_quietly(api: HTTPServer, logged_in: Path, stop: signal.Signals) -> None:
    support.serve(api, body(53.0))
    process = subprocess.Popen(
        [*support.cli_command(), "watch", "--interval", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        while "updated " not in process.stdout.readline():
            pass
        process.send_signal(stop)
        _, stderr = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0
    assert stderr == ""
    assert len(api.log) == 1


def test_first_fetch_failing_is_the_error_and_its_code(api: HTTPServer, home: Path, token: str) -> None:
    result = support.run_cli("watch", "--interval", "0.2", "--count", "2")
    assert result.returncode == 3
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("claude-usage: error: ")
    assert len(api.log) == 0


@pytest.mark.parametrize(
    "args",
    [["--interval", "0.05"], ["--interval", "-1"], ["--interval", "x"], ["--count", "0"], ["--count", "two"]],
)
def test_bad_options_exit_2(api: HTTPServer, logged_in: Path, args: list[str]) -> None:
    result = support.run_cli("watch", *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert len(api.log) == 0


def test_help() -> None:
    result = support.run_cli("watch", "--help")
    assert result.returncode == 0
    assert "--interval SECONDS" in result.stdout and "--count N" in result.stdout
    assert "--max-age" in result.stdout and "exit codes" in result.stdout
