"""Private files in the cache directory: standard library only (the
statusline render path writes through it)."""

from __future__ import annotations

import os
import time

__all__ = ["write_private"]


def write_private(path: str | os.PathLike[str], text: str) -> bool:
    """Replace the file at ``path`` with ``text`` atomically, mode 0600 in a
    0700 directory; False (never an exception) when it cannot be written."""
    # A unique name made here rather than by tempfile, whose import (random,
    # shutil, ...) a statusline render asking for a refresh would pay.
    directory = os.path.dirname(os.fspath(path))
    temporary = os.path.join(directory, f".tmp-{os.getpid()}-{time.time_ns()}")
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except (OSError, TypeError, ValueError):
        try:  # noqa: SIM105 - contextlib is not worth its import on the render path
            os.unlink(temporary)
        except OSError:
            pass
        return False
    return True
