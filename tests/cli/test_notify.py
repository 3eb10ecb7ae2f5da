"""``claude-usage notify`` as a subprocess, delivering through apprise's
``json://`` URLs to a real webhook receiver on 127.0.0.1."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import support

pytest.importorskip("apprise", reason="notify delivers through apprise (claude-usage-core[notify])")


@pytest.fixture
def logged_in(home: Path, token: str) -> Path:
    return support.write_credentials(home / ".claude", support.credentials_blob(token))


@pytest.fixture
def receiver() -> Iterator[HTTPServer]:
    """A webhook receiver of its own (the api fixture is the usage endpoint)."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/hook", method="POST").respond_with_data("ok")
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def hook(server: HTTPServer) -> str:
    return f"json://127.0.0.1:{server.port}/hook"


def messages(server: HTTPServer) -> list[str]:
    found = []
    for request, _ in server.log:
        if request.path == "/hook":
            document: dict[str, Any] = json.loads(request.get_data())
            found.append(document["message"])
    return found


def at(seconds_from_now: float) -> str:
    return datetime.fromtimestamp(time.time() + seconds_from_now, timezone.utc).isoformat()


def body(five: float, five_reset: float = 2.5 * 3600) -> dict[str, Any]:
    return {
        "five_hour": {"utilization": five, "resets_at": at(five_reset)},
        "seven_day": {"utilization": 10.0, "resets_at": at(3.5 * 86400)},
        "limits": [
            {"kind": "session", "group": "session", "percent": five, "resets_at": at(five_reset), "is_active": True}
        ],
    }


def notify(*args: str) -> subprocess.CompletedProcess[str]:
    # --max-age 0: each run reads what the endpoint says now.
    return support.run_cli("notify", "--max-age", "0", *args)


def test_above_run_twice_sends_once_then_again_after_the_reset(
    api: HTTPServer, receiver: HTTPServer, logged_in: Path, home: Path, token: str
) -> None:
    support.serve_once(api, body(80.0))
    support.serve_once(api, body(82.0))
    first = notify("--above", "75", "--to", hook(receiver))
    assert first.returncode == 0, first.stderr
    second = notify("--above", "75", "--to", hook(receiver))
    assert second.returncode == 0, second.stderr
    sent = messages(receiver)
    assert len(sent) == 1, sent
    assert sent[0].startswith("Current session is at 80% (over 75%); resets in 2h"), sent
    assert first.stdout.startswith("sent: Current session is at 80%") and second.stdout == ""
    # The window resets (a new cycle, 5 h later) and crosses 75% anew.
    support.serve_once(api, body(10.0, five_reset=4.9 * 3600))
    support.serve_once(api, body(76.0, five_reset=4.0 * 3600))
    assert notify("--above", "75", "--to", hook(receiver)).returncode == 0
    assert len(messages(receiver)) == 1  # under the threshold: nothing
    assert notify("--above", "75", "--to", hook(receiver)).returncode == 0
    sent = messages(receiver)
    assert len(sent) == 2 and sent[1].startswith("Current session is at 76%"), sent
    state = next((home / ".cache").rglob("notify-state.json"))
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    support.assert_no_token(state.read_text(), token)


def test_runs_at_once_send_one_notification(api: HTTPServer, receiver: HTTPServer, logged_in: Path) -> None:
    support.serve(api, body(90.0))
    receiver.clear()

    def slow(request: Request) -> Response:
        time.sleep(0.5)  # a slow webhook: runs that did not wait for each other would all send
        return Response("ok")

    receiver.expect_request("/hook", method="POST").respond_with_handler(slow)
    processes = [
        subprocess.Popen(
            [*support.cli_command(), "notify", "--above", "75", "--to", hook(receiver)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for _ in range(6)
    ]
    for process in processes:
        process.communicate(timeout=60)
        assert process.returncode == 0
    assert len(messages(receiver)) == 1


def test_forecast_and_on_reset(api: HTTPServer, receiver: HTTPServer, logged_in: Path) -> None:
    # 60% half-way: under 75%, but on pace for 120%.
    support.serve_once(api, body(60.0))
    support.serve_once(api, body(62.0))
    for _ in range(2):
        assert notify("--above", "75", "--forecast", "--on-reset", "--to", hook(receiver)).returncode == 0
    sent = messages(receiver)
    assert len(sent) == 1 and "on pace for 120%: runs out in" in sent[0], sent
    # Over the threshold, then reset: --on-reset says so once.
    support.serve_once(api, body(80.0))
    support.serve_once(api, body(3.0, five_reset=4.95 * 3600))
    support.serve_once(api, body(4.0, five_reset=4.9 * 3600))
    for _ in range(3):
        assert notify("--above", "75", "--on-reset", "--to", hook(receiver)).returncode == 0
    sent = messages(receiver)
    assert [message.split(" ")[0:4] for message in sent[1:]] == [
        ["Current", "session", "is", "at"],
        ["Current", "session", "has", "reset:"],
    ], sent


def test_a_failed_delivery_exits_7_and_is_sent_again_next_run(
    api: HTTPServer, receiver: HTTPServer, logged_in: Path
) -> None:
    support.serve(api, body(80.0))
    receiver.clear()
    receiver.expect_oneshot_request("/hook", method="POST").respond_with_data("down", status=503)
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    failed = notify("--above", "75", "--to", hook(receiver))
    assert failed.returncode == 7, failed.stderr
    assert "not delivered" in failed.stderr and failed.stderr.count("\n") == 1
    again = notify("--above", "75", "--to", hook(receiver))
    assert again.returncode == 0, again.stderr
    assert len(messages(receiver)) == 2  # the failed one and its retry
    assert notify("--above", "75", "--to", hook(receiver)).returncode == 0
    assert len(messages(receiver)) == 2


def test_an_unusable_url_exits_2_naming_it_before_any_request(api: HTTPServer, logged_in: Path) -> None:
    result = notify("--above", "75", "--to", "nosuchscheme://host/secret-token-123")
    assert result.returncode == 2
    assert "nosuchscheme://host" in result.stderr and "secret-token-123" not in result.stderr
    assert result.stderr.count("\n") == 1 and len(api.log) == 0


def test_forecast_at_the_recent_rate_from_the_observation_log(
    api: HTTPServer, receiver: HTTPServer, logged_in: Path
) -> None:
    from claude_usage.cache import UsageCache

    # 50% half-way is on pace for 100% on average: nothing to tell ...
    support.serve(api, body(50.0))
    assert notify("--above", "75", "--forecast", "--to", hook(receiver)).returncode == 0
    assert messages(receiver) == []
    # ... but a render saw 30% half an hour ago: 150% at the last hour's rate.
    now = time.time()
    limits = {"five_hour": {"used_percentage": 30.0, "resets_at": int(now + 2.5 * 3600)}}
    UsageCache().observe_rate_limits(limits, now=now - 1800)
    for _ in range(2):
        assert notify("--above", "75", "--forecast", "--to", hook(receiver)).returncode == 0
    sent = messages(receiver)
    assert len(sent) == 1 and "on pace for 150% at the last hour's rate: runs out in 1h 1" in sent[0], sent
