"""Every hold-back is visible and explained: ``-v`` logs each cache decision,
``doctor`` says when nothing was sent and when something will be, and
``doctor --retry-now`` sends one request despite a local back-off (never a
429's). All run as subprocesses against a loopback server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import support

RATE_LIMITED = {"error": {"message": "Rate limited. Please try again later.", "type": "rate_limit_error"}}
UNAUTHORIZED = {
    "type": "error",
    "error": {"type": "authentication_error", "message": "Invalid bearer token"},
    "request_id": "req_1",
}
CACHE_LOG = "claude-usage: DEBUG claude_usage.cache: "


def cache_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.removeprefix(CACHE_LOG) for line in result.stderr.splitlines() if line.startswith(CACHE_LOG)]


def test_verbose_says_what_the_cache_decided(api: HTTPServer, logged_in: Path, token: str) -> None:
    support.serve_once(api, support.load_body("published_domain_2026_07.json"))
    support.serve(api, RATE_LIMITED, status=429, headers={"Retry-After": "600"})

    first = support.run_cli("-v")
    assert first.returncode == 0, first.stderr
    assert cache_lines(first) == [
        "sending a request: no cached data yet",
        "request answered: usage stored in the cache",
    ]

    hit = support.run_cli("show", "-v")
    assert hit.returncode == 0
    (line,) = cache_lines(hit)
    assert re.fullmatch(r"cache hit: data from \d+s ago \(max age 60s\), no request sent", line), line

    refused = support.run_cli("show", "-v", "--max-age", "0")
    assert refused.returncode == 0  # the last good data, marked stale
    sent, failed = cache_lines(refused)
    assert re.fullmatch(r"sending a request: cached data from \d+s ago is older than the max age 0s", sent), sent
    assert re.fullmatch(r"request failed \(RateLimitError\): no request until \d\d:\d\d:\d\d UTC \(10m00s\)", failed), (
        failed
    )

    held = support.run_cli("show", "-v", "--max-age", "0")
    assert held.returncode == 0
    (line,) = cache_lines(held)
    assert re.fullmatch(
        r"no request sent: back-off after a rate limit from the server \(429\) until \d\d:\d\d:\d\d UTC "
        r"\((?:9m\d\ds|10m00s) left\); serving data from \d+s ago",
        line,
    ), line
    assert len(api.log) == 2
    for result in (first, hit, refused, held):
        support.assert_no_token(result.stdout + result.stderr, token)


def test_quiet_without_verbose(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, support.load_body("published_domain_2026_07.json"))
    assert support.run_cli("show").stderr == ""
    assert support.run_cli("show").stderr == ""


def test_a_server_error_back_off_is_explained_and_retry_now_sends_one(
    api: HTTPServer, logged_in: Path, token: str
) -> None:
    support.serve_once(api, "<html>502 Bad Gateway</html>", status=502)
    support.serve(api, support.load_body("published_domain_2026_07.json"))
    assert support.run_cli("show").returncode == 6
    again = support.run_cli("show")
    assert again.returncode == 6
    assert re.search(r"not retried for another \d+ s; `claude-usage doctor --retry-now` tries once now", again.stderr)
    assert len(api.log) == 1

    doctor = support.run_cli("doctor")
    assert doctor.returncode == 6
    assert "result:           no request sent: claude-usage is holding back until " in doctor.stdout
    assert "next request:     after " in doctor.stdout
    assert "advice: Once you have fixed the cause, `claude-usage doctor --retry-now` sends one request now." in (
        doctor.stdout
    )
    assert "About the last failure: The server (or a gateway in front of it) failed." in doctor.stdout
    document = json.loads(support.run_cli("doctor", "--json").stdout)
    assert document["live"]["sent"] is False
    assert document["live"]["retry_now_possible"] is True
    next_request = datetime.fromisoformat(document["live"]["next_request_at"])
    assert abs((next_request - datetime.fromisoformat(document["cache"]["backoff_until"])).total_seconds()) < 1
    assert len(api.log) == 1, "doctor must not send while the back-off holds"

    retried = support.run_cli("doctor", "--retry-now", "-v")
    assert retried.returncode == 0, retried.stdout
    assert "result:           OK (" in retried.stdout
    assert any(
        line.startswith("retry now: ignoring the back-off after a server error (HTTP 502)")
        for line in cache_lines(retried)
    )
    assert len(api.log) == 2, "exactly one request"
    support.assert_no_token(doctor.stdout + retried.stdout + retried.stderr, token)


def test_retry_now_lifts_a_401_block_once(api: HTTPServer, logged_in: Path) -> None:
    support.serve_once(api, UNAUTHORIZED, status=401)
    support.serve_once(api, UNAUTHORIZED, status=401)
    support.serve(api, support.load_body("published_domain_2026_07.json"))
    assert support.run_cli("show").returncode == 4
    blocked = support.run_cli("show", "-v")
    assert blocked.returncode == 4
    assert "no request sent: a 401 (token rejected); blocked until " in blocked.stderr
    assert len(api.log) == 1
    doctor = support.run_cli("doctor")
    assert "next request:     after " in doctor.stdout and "or as soon as the credentials change" in doctor.stdout
    assert len(api.log) == 1
    # Still rejected: one request, then blocked again.
    assert support.run_cli("doctor", "--retry-now").returncode == 4
    assert len(api.log) == 2
    assert support.run_cli("show").returncode == 4
    assert len(api.log) == 2
    assert support.run_cli("doctor", "--retry-now").returncode == 0
    assert len(api.log) == 3


def test_retry_now_never_overrides_the_servers_retry_after(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, RATE_LIMITED, status=429, headers={"Retry-After": "600"})
    assert support.run_cli("show").returncode == 5
    retried = support.run_cli("doctor", "--retry-now")
    assert retried.returncode == 5
    assert "result:           no request sent" in retried.stdout
    assert "nothing overrides it, not even --retry-now" in retried.stdout
    assert len(api.log) == 1


def _entry(home: Path) -> dict[str, Any]:
    (path,) = (home / ".cache").rglob("usage-*.json")
    document: dict[str, Any] = json.loads(path.read_text())
    return document


@pytest.mark.parametrize("store_failed_meanwhile", [False, True], ids=["rewritten", "unreadable-then-restored"])
def test_a_401_block_starts_one_background_check_per_change_of_the_credentials_file(
    api: HTTPServer, logged_in: Path, home: Path, store_failed_meanwhile: bool
) -> None:
    """A credentials file rewritten with the login the API rejected (Claude
    Code writes it for other reasons too) is checked once in the background,
    not at every render for the rest of the block."""
    from claude_usage.cache import UsageCache

    support.serve(api, UNAUTHORIZED, status=401)
    assert support.run_cli("show").returncode == 4
    cache = UsageCache()
    assert not cache.refresh_in_background(None), "blocked, the file unchanged: nothing to check"
    content = logged_in.read_bytes()
    if store_failed_meanwhile:
        logged_in.write_text("{not json")  # the store fails during the block
        assert support.run_cli("show").returncode == 3
        assert _entry(home)["held_block"] is not None
        doctor = support.run_cli("doctor", "--json")
        held = json.loads(doctor.stdout)["cache"]["held_block_until"]
        assert held is not None and datetime.fromisoformat(held).timestamp() > time.time() + 3000
        assert "held block:" in support.run_cli("doctor").stdout
    logged_in.write_bytes(content)  # the same login again
    os.utime(logged_in, ns=(time.time_ns(), logged_in.stat().st_mtime_ns + 2_000_000_000))
    assert cache.refresh_in_background(None), "a changed file is worth one check"
    deadline = time.monotonic() + 15
    while _entry(home)["attempt"] is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    entry = _entry(home)
    assert entry["attempt"] is None, "the check did not record its outcome"
    assert entry["blocked_stamp"] is not None and entry["error"]["type"] == "AuthenticationError"
    for _ in range(3):
        assert not cache.refresh_in_background(None), "a check started again for an unchanged file"
    assert len(api.log) == 1, "the rejected token was sent again"
