"""Starting the background refresh: a Python process in a session of its own.

Claude Code stops a statusline render by sending SIGTERM to the render's
whole process group; a refresh started in a new session is outside that
group and finishes its request. Its standard streams are /dev/null, so the
caller's pipes (which Claude Code reads to the end) close when the caller
exits. ``os.posix_spawn`` costs the caller far less than ``subprocess``
would to import, which matters on the render path.
"""

from __future__ import annotations

import os
import sys

__all__ = ["REFRESHER", "spawn_detached"]

#: Run with ``-c`` rather than ``-m``: both put the working directory (a
#: statusline runs in the user's project) first on ``sys.path``; this drops
#: it before anything of ours is imported, so a project's own
#: ``claude_usage`` folder can never be run in its place.
REFRESHER = (
    "import sys\n"
    "if sys.path and sys.path[0] in ('', '.'): del sys.path[0]\n"
    "from claude_usage._refresher import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def spawn_detached(arguments: list[str]) -> bool:
    """Start ``claude_usage._refresher`` with ``arguments``; False if it
    could not be started. Never waits for it."""
    argv = [sys.executable, "-c", REFRESHER, *arguments]
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import subprocess

        flags = getattr(subprocess, "DETACHED_PROCESS", 0) | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
        try:
            subprocess.Popen(  # noqa: S603 - our own interpreter and module
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                creationflags=flags,
                close_fds=True,
            )
        except OSError:
            return False
        return True
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    try:
        os.posix_spawn(sys.executable, argv, os.environ, file_actions=actions, setsid=True)
    except OSError:
        return False
    return True
