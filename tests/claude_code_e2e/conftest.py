"""The real Claude Code, installed from the npm registry at a pinned version.

The install goes to ``$CLAUDE_CODE_E2E_DIR`` (tox keeps it in the env's own
directory, so a second run reuses it) or to a temporary directory.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

VERSION = "2.1.332"
PACKAGE = f"@anthropic-ai/claude-code@{VERSION}"


def _platform_package() -> str:
    system = {"linux": "linux", "darwin": "darwin"}.get(os.uname().sysname.lower(), "unsupported")
    machine = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), "unsupported"
    )
    return f"@anthropic-ai/claude-code-{system}-{machine}"


def _missing_tools() -> str | None:
    missing = [tool for tool in ("node", "npm", "tmux") if shutil.which(tool) is None]
    return f"needs {', '.join(missing)} (the real Claude Code runs in tmux, installed with npm)" if missing else None


@pytest.fixture(scope="session")
def claude_code() -> Path:
    """The path of the real ``claude`` executable."""
    problem = _missing_tools()
    if problem is not None:
        pytest.skip(problem)
    root = Path(os.environ.get("CLAUDE_CODE_E2E_DIR") or tempfile.mkdtemp(prefix="claude-code-e2e-"))
    binary = root / "node_modules" / _platform_package() / "claude"
    if not binary.exists():
        root.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["npm", "install", "--prefix", str(root), "--no-audit", "--no-fund", "--loglevel=error", PACKAGE],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert done.returncode == 0, f"npm install {PACKAGE} failed:\n{done.stderr[-2000:]}"
    assert binary.exists(), f"{PACKAGE} installed no {binary}"
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60, check=True)
    assert VERSION in version.stdout, version.stdout
    return binary
