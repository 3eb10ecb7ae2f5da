"""The ``claude-usage`` command.

Kept tiny: the console script imports this package on every run. The
statusline, which runs on every render of Claude Code's status bar, is
dispatched before argparse or anything heavier is imported.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["statusline"]:
        from claude_usage.cli._statusline import main as statusline

        return statusline(args[1:])
    from claude_usage.cli._main import run

    return run(args)
