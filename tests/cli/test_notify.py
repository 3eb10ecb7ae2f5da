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
def receiver() -> Iterator[HTTPServer]:
    """A webhook receiver of its own (the api fixture is the usage endpoint)."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/hook", method="POST").respond_with_data("ok")
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def cache(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache directory, where notify keeps its state: made, 0700."""
    directory = home / "cache"
    monkeypatch.setenv("CLAUDE_USAGE_CACHE_DIR", str(directory))
    directory.mkdir(mode=0o700)
    return directory


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
    # An unknown scheme may hold a secret where the host goes: its scheme and position only.
    assert "--to #1 (nosuchscheme://...)" in result.stderr and "secret-token-123" not in result.stderr
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


# -- one state per account, one mark per target -----------------------------------------------------------


def aligned_reset(seconds_from_now: float = 2.5 * 3600) -> float:
    """A reset time in the middle of its rounding bucket: the same cycle on
    every answer, however long the test takes."""
    step = 300
    return float(round((time.time() + seconds_from_now) / step) * step)


def usage_at(five: float, reset: float) -> dict[str, Any]:
    when = datetime.fromtimestamp(reset, timezone.utc).isoformat()
    return {
        "five_hour": {"utilization": five, "resets_at": when},
        "seven_day": {"utilization": 10.0, "resets_at": at(3.5 * 86400)},
        "limits": [{"kind": "session", "group": "session", "percent": five, "resets_at": when, "is_active": True}],
    }


def serve_per_token(api: HTTPServer, levels: dict[str, float], reset: float) -> None:
    """Each account's usage, told apart by the token it was asked with."""

    def answer(request: Request) -> Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in levels:
            return Response("{}", status=401, content_type="application/json")
        return Response(json.dumps(usage_at(levels[token], reset)), content_type="application/json")

    api.expect_request("/api/oauth/usage", method="GET").respond_with_handler(answer)


@pytest.mark.parametrize("second", ["config-dir", "env-token"])
def test_each_account_is_told_once_and_on_its_own(
    api: HTTPServer, receiver: HTTPServer, home: Path, token: str, second: str
) -> None:
    other = support.make_token()
    base = ["notify", "--max-age", "0", "--above", "75", "--to", hook(receiver)]
    env_a, env_b = dict(os.environ), dict(os.environ)
    if second == "config-dir":  # two profiles, each with its own login
        support.write_credentials(home / ".claude-a", support.credentials_blob(token))
        support.write_credentials(home / ".claude-b", support.credentials_blob(other))
        run_a = [*base, "--config-dir", str(home / ".claude-a")]
        run_b = [*base, "--config-dir", str(home / ".claude-b")]
        name_a, name_b = "~/.claude-a: ", "~/.claude-b: "
    else:  # the default login, and CLAUDE_CODE_OAUTH_TOKEN
        support.write_credentials(home / ".claude", support.credentials_blob(token))
        env_b.update(CLAUDE_CODE_OAUTH_TOKEN=other, CLAUDE_CODE_OAUTH_SCOPES="user:inference user:profile")
        run_a = run_b = base
        name_a, name_b = "", "CLAUDE_CODE_OAUTH_TOKEN: "
    levels = {token: 80.0, other: 50.0}
    serve_per_token(api, levels, aligned_reset())

    def rounds() -> None:
        for _ in range(3):
            for command, env in ((run_a, env_a), (run_b, env_b)):
                result = support.run_cli(*command, env=env)
                assert result.returncode == 0, result.stderr
                support.assert_no_token(result.stdout + result.stderr, token)
                support.assert_no_token(result.stdout + result.stderr, other)

    rounds()
    sent = messages(receiver)
    assert len(sent) == 1 and sent[0].startswith(f"{name_a}Current session is at 80% (over 75%)"), sent
    # B crosses the threshold in the same reset cycle: told, on its own, once.
    levels[other] = 85.0
    rounds()
    sent = messages(receiver)
    assert len(sent) == 2 and sent[1].startswith(f"{name_b}Current session is at 85% (over 75%)"), sent
    # One section per account, named as the shared cache names its files; no token anywhere.
    cache = next((home / ".cache").rglob("notify-state.json")).parent
    state = json.loads((cache / "notify-state.json").read_text())
    cache_keys = {path.name.removeprefix("usage-").removesuffix(".json") for path in cache.glob("usage-*.json")}
    assert set(state["accounts"]) == cache_keys and len(cache_keys) == 2, (state, cache_keys)
    for secret in (token, other):
        support.assert_no_token((cache / "notify-state.json").read_text(), secret)


def test_a_failing_target_does_not_resend_to_the_working_one(
    api: HTTPServer, receiver: HTTPServer, logged_in: Path
) -> None:
    support.serve(api, usage_at(80.0, aligned_reset()))
    receiver.expect_request("/b", method="POST").respond_with_data("ok")
    down = "json://127.0.0.1:1/down"
    for _ in range(3):
        result = notify("--above", "75", "--to", hook(receiver), "--to", down)
        assert result.returncode == 7, result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert "not delivered to --to #2 (json://127.0.0.1:1/...)" in result.stderr, result.stderr
        assert "delivered to 1 of 2 targets" in result.stderr, result.stderr
        assert "--to #1" not in result.stderr
    assert len(messages(receiver)) == 1
    # A target added later gets what it has not had; the first one still once.
    added = f"json://127.0.0.1:{receiver.port}/b"
    result = notify("--above", "75", "--to", hook(receiver), "--to", added)
    assert result.returncode == 0, result.stderr
    assert len(messages(receiver)) == 1
    assert [request.path for request, _ in receiver.log].count("/b") == 1
    assert notify("--above", "75", "--to", hook(receiver), "--to", added).returncode == 0
    assert len(receiver.log) == 2


def test_a_state_file_that_cannot_be_written_sends_nothing_and_exits_2(
    api: HTTPServer, receiver: HTTPServer, logged_in: Path, cache: Path
) -> None:
    (cache / "notify-state.json").mkdir()
    support.serve(api, body(80.0))
    for _ in range(2):
        result = notify("--above", "75", "--to", hook(receiver))
        assert result.returncode == 2, result.stderr
        assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
        assert str(cache / "notify-state.json") in result.stderr and "is a directory" in result.stderr
        assert "Traceback" not in result.stderr
    assert messages(receiver) == []


def test_no_secret_of_a_target_url_is_printed(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, body(80.0))
    urls = [
        "slack://T1SECRET1/B2SECRET2/SECRETxxxxxxxxxxxxxxxxxx",
        "tgram://123456789:AAsecretBOTtokenSECRET/987654321",
        "discord://4174216298SECRET/JHMHI71SECRETz7k_ZNKuCMNbSw-9-jKdhUt4h",
        "json://user:SECRETpass@127.0.0.1:1/SECRETpath?token=SECRETquery",
        "ntfy://SECRETtopic",
        "json://admin:4242/SECRETpw@127.0.0.1:1/hook",  # a password with a / in it
    ]
    # Slack, Telegram, Discord and ntfy.sh are reached only through a proxy that refuses.
    env = dict(os.environ, HTTPS_PROXY="http://127.0.0.1:1", HTTP_PROXY="http://127.0.0.1:1")
    to = [part for url in urls for part in ("--to", url)]
    result = support.run_cli("notify", "--max-age", "0", "--above", "75", *to, env=env)
    assert result.returncode == 7, result.stderr
    said = result.stdout + result.stderr
    assert "secret" not in said.lower() and "user" not in said and "admin" not in said, said
    assert (
        "not delivered to --to #1 (slack://...), --to #2 (tgram://...), --to #3 (discord://...), "
        "--to #4 (json://127.0.0.1:1/...), --to #5 (ntfy://...), --to #6 (json://...) (delivered to 0 of 6 targets"
        in result.stderr
    ), result.stderr
    as_json = support.run_cli("notify", "--max-age", "0", "--above", "75", "--json", *to, env=env)
    assert as_json.returncode == 7 and "secret" not in (as_json.stdout + as_json.stderr).lower()
    failed = json.loads(as_json.stdout)["failed"][0]["failed_to"]
    assert [target["url"] for target in failed][3] == "json://127.0.0.1:1/..."
    # An unusable URL is named the same way.
    unusable = notify("--above", "75", "--to", "json://127.0.0.1/ok", "--to", "slack://SECRETonly")
    assert unusable.returncode == 2 and "--to #2 (slack://...)" in unusable.stderr, unusable.stderr
    assert "secret" not in unusable.stderr.lower()


EVENT_KEYS = {
    "kind",
    "window",
    "type",
    "label",
    "threshold",
    "percent",
    "resets_at",
    "message",
    "delivered_to",
    "failed_to",
    "already_sent_to",
}


def test_json_reports_what_was_sent_failed_and_already_sent(
    api: HTTPServer, receiver: HTTPServer, logged_in: Path
) -> None:
    support.serve(api, usage_at(80.0, aligned_reset()))
    working = {"to": 1, "url": f"json://127.0.0.1:{receiver.port}/..."}

    def run(*to: str) -> tuple[int, dict[str, Any]]:
        result = notify("--above", "75", "--json", *[part for url in to for part in ("--to", url)])
        assert result.stdout.count("\n") == 1, result.stdout  # one JSON document, nothing else
        document: dict[str, Any] = json.loads(result.stdout)
        assert set(document) == {"profile", "busy", "sent", "failed", "already_sent"}
        assert document["profile"] is None and document["busy"] is False
        for event in document["sent"] + document["failed"] + document["already_sent"]:
            assert set(event) == EVENT_KEYS, event
            assert event["kind"] == "above" and event["threshold"] == 75 and event["percent"] == 80.0
            assert event["window"] == "five_hour" and event["type"] == "window"
            assert event["label"] == "Current session"
            assert event["message"].startswith("Current session is at 80% (over 75%)")
            assert datetime.fromisoformat(event["resets_at"]) > datetime.now(timezone.utc)
        return result.returncode, document

    code, document = run(hook(receiver))
    assert code == 0 and document["failed"] == [] and document["already_sent"] == []
    [event] = document["sent"]
    assert event["delivered_to"] == [working] and event["failed_to"] == event["already_sent_to"] == []
    code, document = run(hook(receiver), "json://127.0.0.1:1/down")
    assert code == 7 and document["sent"] == [] and document["already_sent"] == []
    [event] = document["failed"]
    assert event["failed_to"] == [{"to": 2, "url": "json://127.0.0.1:1/..."}]
    assert event["already_sent_to"] == [working] and event["delivered_to"] == []
    code, document = run(hook(receiver))
    assert code == 0 and document["sent"] == [] and document["failed"] == []
    [event] = document["already_sent"]
    assert event["already_sent_to"] == [working] and event["delivered_to"] == event["failed_to"] == []
    assert len(messages(receiver)) == 1


def test_a_version_1_state_is_taken_over_without_sending_again(
    api: HTTPServer, receiver: HTTPServer, logged_in: Path, cache: Path
) -> None:
    reset = aligned_reset()
    cycle = str(int(reset))
    old = {"version": 1, "sent": {"window:five_hour:Current session|above|75": cycle}, "over": {}}
    (cache / "notify-state.json").write_text(json.dumps(old))
    support.serve(api, usage_at(80.0, reset))
    result = notify("--above", "75", "--to", hook(receiver))
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr
    assert messages(receiver) == []
    assert json.loads((cache / "notify-state.json").read_text())["version"] == 2


def test_marks_of_cycles_long_reset_are_forgotten(
    api: HTTPServer, receiver: HTTPServer, logged_in: Path, cache: Path
) -> None:
    reset = aligned_reset()
    support.serve(api, usage_at(80.0, reset))
    assert notify("--above", "75", "--to", hook(receiver)).returncode == 0
    state = json.loads((cache / "notify-state.json").read_text())
    (section,) = state["accounts"].values()
    nine_days_ago = str(int(reset - 9 * 86400))
    section["sent"]["window:five_hour:Current session|above|75|0123456789abcdef"] = nine_days_ago
    section["over"]["window:seven_day:Current week (all models)"] = nine_days_ago
    section["sent"]["limit:spend:Spend|above|75|0123456789abcdef"] = "none"
    (cache / "notify-state.json").write_text(json.dumps(state))
    assert notify("--above", "75", "--to", hook(receiver), "--max-age", "600").returncode == 0
    (section,) = json.loads((cache / "notify-state.json").read_text())["accounts"].values()
    assert nine_days_ago not in section["sent"].values() and nine_days_ago not in section["over"].values()
    assert str(int(reset)) in section["sent"].values()  # this cycle's mark stays
    assert "none" in section["sent"].values()  # a mark without a reset time is not guessed at
    assert len(messages(receiver)) == 1


@pytest.mark.parametrize("verbosity", ["-v", "-vv"])
def test_no_secret_of_a_target_url_is_logged_at_any_verbosity(
    api: HTTPServer, receiver: HTTPServer, logged_in: Path, verbosity: str
) -> None:
    support.serve(api, body(80.0))
    # A webhook whose path is its secret (as Telegram's, Discord's, Slack's),
    # delivered; and one whose odd userinfo apprise reads as the host.
    secret_path = hook(receiver).replace("/hook", "/hookSECRET")
    receiver.expect_request("/hookSECRET", method="POST").respond_with_data("ok")
    odd = "json://us%40erSECRET:p%2Fw@SECRET@127.0.0.1:1/x"
    result = notify(verbosity, "--above", "75", "--to", secret_path, "--to", odd)
    assert result.returncode == 7, result.stderr
    assert "DEBUG claude_usage" in result.stderr  # the verbosity is on
    assert "secret" not in (result.stdout + result.stderr).lower(), result.stderr


def test_a_state_from_a_newer_version_is_refused_not_overwritten(
    api: HTTPServer, receiver: HTTPServer, logged_in: Path, cache: Path
) -> None:
    newer = json.dumps({"version": 99, "whatever": {"kept": True}})
    (cache / "notify-state.json").write_text(newer)
    support.serve(api, body(80.0))
    result = notify("--above", "75", "--to", hook(receiver))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "newer claude-usage" in result.stderr and result.stderr.count("\n") == 1
    assert messages(receiver) == []
    assert (cache / "notify-state.json").read_text() == newer
