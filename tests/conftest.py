"""Fixtures for every suite: an isolated environment, a token, a server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import support

ISOLATED_VARIABLES = (
    "CLAUDE_CONFIG_DIR",
    "CLAUDE_SECURESTORAGE_CONFIG_DIR",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "CLAUDE_USAGE_BACKEND",
    "CLAUDE_USAGE_BASE_URL",
    "CLAUDE_USAGE_TIMEOUT",
    "CLAUDE_USAGE_USER_AGENT",
    "CLAUDE_USAGE_CA_BUNDLE",
    "CLAUDE_USAGE_CACHE_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NO_COLOR",
    "PYTHON_KEYRING_BACKEND",
    "CLAUDE_USAGE_TOKEN_COMMAND",
    "CLAUDE_USAGE_DEBUG",
    "CLAUDE_USAGE_KEYCHAIN_READER",
    "CLAUDE_CODE_CUSTOM_OAUTH_URL",
    "ANTHROPIC_API_KEY",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
    "CLAUDE_CODE_USE_FOUNDRY",
    "COLUMNS",
)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own HOME and none of the user's settings."""
    for name in ISOLATED_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USER", "tester")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return home


@pytest.fixture
def home(isolated_env: Path) -> Path:
    return isolated_env


@pytest.fixture
def token() -> str:
    return support.make_token()


@pytest.fixture
def body() -> dict[str, Any]:
    return support.load_body("published_domain_2026_07.json")


@pytest.fixture
def api(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServer]:
    """The loopback server, with CLAUDE_USAGE_BASE_URL pointing at it."""
    monkeypatch.setenv("CLAUDE_USAGE_BASE_URL", httpserver.url_for("/").rstrip("/"))
    yield httpserver
    httpserver.clear()


_FIGURES: list[str] = []


@pytest.fixture
def record_figure() -> Callable[[str], None]:
    """Tests report what they tried (cases, processes, faults) here; the run
    prints every figure at the end, so a reader can quote it."""
    return _FIGURES.append


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _FIGURES:
        terminalreporter.section("figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
