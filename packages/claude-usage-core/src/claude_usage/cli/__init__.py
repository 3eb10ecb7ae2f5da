"""The ``claude-usage`` command.

Kept tiny: the console script imports this package on every run, so the
parser and everything heavier are imported only by :func:`main`.
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    from claude_usage.cli._main import run

    return run(argv)
