"""``claude-usage statusline`` under the real Claude Code (pinned in conftest).

Claude Code runs offline in tmux against :mod:`fake_anthropic`, with
``claude-usage statusline`` as its ``statusLine`` command, as domain.md
("Running the real client offline") describes; the assertions read the
screen with ``tmux capture-pane``. Claude Code hands the command its own
environment, so ``CLAUDE_USAGE_BASE_URL`` and the cache directory reach it.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import support
from claude_code_e2e.fake_anthropic import FakeAnthropic

#: The command docs/statusline.md puts in Claude Code's settings.
STATUSLINE = str(Path(support.cli_command()[0]).with_name("claude-usage-statusline"))


class Session:
    """One Claude Code in a tmux server of its own (its own socket)."""

    def __init__(self, claude: Path, home: Path, project: Path, env: dict[str, str]) -> None:
        self.socket = f"claude-usage-e2e-{home.parent.name}"
        environment = " ".join(f"{name}={value}" for name, value in env.items())
        command = f"env -i HOME={home} {environment} {claude}"
        self.tmux("new-session", "-d", "-s", "cc", "-x", "150", "-y", "30", "-c", str(project), command)

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "cc")

    def wait_for(self, seen: Callable[[str], bool], what: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if seen(screen):
                return screen
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {timeout:.0f} s; the screen:\n{screen}")
            time.sleep(0.25)

    def send(self, text: str) -> None:
        self.tmux("send-keys", "-t", "cc", "-l", text)
        time.sleep(0.3)
        self.tmux("send-keys", "-t", "cc", "Enter")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30, check=False)


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic(five_hour=0.235, seven_day=0.41).start()
    body = support.load_body("client_credits_and_surfaces.json", future=True)
    # The endpoint disagrees with the headers on purpose: the row must show
    # what Claude Code handed it (23%, 41%), and the per-model limit that
    # only the endpoint knows.
    body["five_hour"]["utilization"] = 60.0
    body["seven_day"]["utilization"] = 70.0
    server.usage_body = body
    yield server
    server.stop()


def start_claude(
    claude: Path, tmp_path: Path, fake: FakeAnthropic, token: str, status_line: dict[str, Any]
) -> tuple[Session, Path]:
    home = tmp_path / "cc-home"
    project = tmp_path / "project"
    project.mkdir()
    support.write_credentials(home / ".claude", support.credentials_blob(token))
    (home / ".claude.json").write_text(
        json.dumps({"hasCompletedOnboarding": True, "projects": {str(project): {"hasTrustDialogAccepted": True}}})
    )
    (home / ".claude" / "settings.json").write_text(json.dumps({"statusLine": status_line}))
    cache = tmp_path / "usage-cache"
    env = {
        "PATH": "/usr/bin:/bin",
        "TERM": "xterm-256color",
        "ANTHROPIC_BASE_URL": fake.url,
        "CLAUDE_USAGE_BASE_URL": fake.url,
        "CLAUDE_USAGE_CACHE_DIR": str(cache),
        "NO_PROXY": "127.0.0.1,localhost",
        # Nothing but the loopback fake: no updater, telemetry or error reports.
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
    }
    return Session(claude, home, project, env), cache


def has_prompt(screen: str) -> bool:
    """Claude Code is ready for input (its prompt is drawn)."""
    return "\u276f" in screen


def status_row(screen: str) -> str:
    rows = [row.strip() for row in screen.splitlines() if row.strip().startswith("5h ")]
    return rows[-1] if rows else ""


def test_the_row_shows_claude_codes_percentages_and_the_binding_limit(
    claude_code: Path, tmp_path: Path, fake: FakeAnthropic, token: str
) -> None:
    session, _ = start_claude(claude_code, tmp_path, fake, token, {"type": "command", "command": STATUSLINE})
    try:
        session.wait_for(has_prompt, "prompt")
        session.send("say hi")
        screen = session.wait_for(
            lambda screen: "Hello from the fake." in screen and "5h 23%" in screen and "Fable weekly 99%" in screen,
            "row with Claude Code's 23% and the endpoint's Fable limit",
        )
        row = status_row(screen)
        assert "7d 41%" in row, row
        assert "60%" not in row and "70%" not in row, row  # the endpoint's 5h/7d lost to stdin's
        assert "claude-usage:" not in row, row  # no error or advice
        support.assert_no_token(screen, token)
        assert len(fake.requests("/api/oauth/usage")) == 1
    finally:
        session.close()


def test_renders_against_a_hanging_endpoint_send_at_most_one_request(
    claude_code: Path, tmp_path: Path, fake: FakeAnthropic, token: str
) -> None:
    fake.usage_hangs = True
    renders = tmp_path / "renders.log"
    # refreshInterval re-runs the command every second, each new run killing
    # the one before it: the runner's behaviour that used to storm.
    command = f"echo render >> {renders}; exec {STATUSLINE} --timeout 30"
    session, _ = start_claude(
        claude_code, tmp_path, fake, token, {"type": "command", "command": command, "refreshInterval": 1}
    )
    try:
        session.wait_for(has_prompt, "prompt")
        session.send("say hi")
        session.wait_for(lambda screen: "5h 23%" in screen, "row with Claude Code's percentages")
        deadline = time.monotonic() + 60
        while renders.read_text().count("render") < 8 and time.monotonic() < deadline:
            time.sleep(0.25)
        count = renders.read_text().count("render")
        assert count >= 8, f"only {count} renders in 60 s"
        row = status_row(session.screen())
        assert row.startswith("5h 23%"), row
        assert len(fake.requests("/api/oauth/usage")) <= 1, f"{fake.requests('/api/oauth/usage')} for {count} renders"
    finally:
        session.close()


def test_remaining_shows_the_share_left_of_what_claude_code_handed_it(
    claude_code: Path, tmp_path: Path, fake: FakeAnthropic, token: str
) -> None:
    command = f"{STATUSLINE} --remaining"
    session, _ = start_claude(claude_code, tmp_path, fake, token, {"type": "command", "command": command})
    try:
        session.wait_for(has_prompt, "prompt")
        session.send("say hi")
        # 23.5% and 41% used (stdin) leave 76% and 59%; the endpoint's Fable row, 99.6% used, 0%.
        screen = session.wait_for(
            lambda screen: "5h 76% left" in screen and "Fable weekly 0% left" in screen,
            "row with the share left",
        )
        row = status_row(screen)
        assert "7d 59% left" in row, row
        assert "claude-usage:" not in row, row
        support.assert_no_token(screen, token)
    finally:
        session.close()
