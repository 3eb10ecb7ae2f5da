"""Where the shared cache lives: standard library only.

This runs on every statusline render, so it does not import platformdirs
(tens of milliseconds): it applies the same rules platformdirs'
``user_cache_dir("claude-usage", appauthor=False)`` applies, and a test
checks the two agree on the platform it runs on.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["APP_NAME", "ENV_CACHE_DIR", "cache_dir"]

APP_NAME = "claude-usage"
ENV_CACHE_DIR = "CLAUDE_USAGE_CACHE_DIR"


def cache_dir() -> Path:
    """``$CLAUDE_USAGE_CACHE_DIR``, else the user's cache directory."""
    override = os.environ.get(ENV_CACHE_DIR)
    if override:
        return Path(override)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / APP_NAME
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / APP_NAME / "Cache"
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return Path(xdg if xdg else Path.home() / ".cache") / APP_NAME
