"""Fixtures for the command's tests: a logged-in default profile, the exporter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

import support


@pytest.fixture
def logged_in(home: Path, token: str) -> Path:
    """The default profile holds a valid token."""
    return support.write_credentials(home / ".claude", support.credentials_blob(token))


@pytest.fixture
def exporter(api: HTTPServer, logged_in: Path) -> Iterator[str]:
    """``claude-usage serve`` on a free port, for the default profile: its metrics URL."""
    with support.exporter_running() as url:
        yield url
