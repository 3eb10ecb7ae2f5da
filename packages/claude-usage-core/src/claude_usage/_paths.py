"""Where the shared cache lives: standard library only.

This runs on every statusline render, so it does not import platformdirs
(tens of milliseconds): it applies the same rules platformdirs'
``user_cache_dir("claude-usage", appauthor=False)`` applies, and a test
checks the two agree on the platform it runs on.
"""

from __future__ import annotations

import os
import sys

__all__ = ["APP_NAME", "ENV_CACHE_DIR", "cache_dir"]

APP_NAME = "claude-usage"
ENV_CACHE_DIR = "CLAUDE_USAGE_CACHE_DIR"


def cache_dir() -> str:
    """``$CLAUDE_USAGE_CACHE_DIR``, else the user's cache directory.

    A string, not a Path: pathlib is not imported on the statusline path.
    """
    override = os.environ.get(ENV_CACHE_DIR)
    if override:
        return override
    home = os.path.expanduser("~")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", APP_NAME)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(base, APP_NAME, "Cache")
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return os.path.join(xdg or os.path.join(home, ".cache"), APP_NAME)
