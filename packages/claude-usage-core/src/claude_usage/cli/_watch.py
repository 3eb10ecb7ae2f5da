"""``claude-usage watch``: the table, re-rendered every interval.

Every refresh goes through the shared cache with ``max_age`` = the interval,
but never less than :data:`REFRESH_FLOOR`: the endpoint throttles after about
three requests in 30 s, so a faster ``--interval`` re-renders from the cache
(the ages and countdowns move) without asking again. A watch, statuslines and
scripts together send one request per interval, and a back-off the server
asked for silences the watch too (it keeps showing the last data, marked
stale). One :class:`UsageClient` serves every refresh.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from typing import TYPE_CHECKING

from claude_usage.cli import _exit
from claude_usage.cli._render import Style, format_age, format_duration, render_usage
from claude_usage.cli._usage import fetch, iso, one_line, open_client, stale_reason
from claude_usage.cli._usage import history as load_history
from claude_usage.errors import ClaudeUsageError

if TYPE_CHECKING:
    from claude_usage import CachedUsage
    from claude_usage.history import History

CLEAR = "\033[H\033[2J"
#: The shortest max age of a refresh after the first render, whatever
#: ``--interval`` says (documented in ``watch --help`` and docs/cli.md).
REFRESH_FLOOR = 15.0


def _seconds(seconds: float) -> str:
    return f"{seconds:.1f}s" if seconds < 10 and seconds != int(seconds) else format_duration(seconds)


def footer(cached: CachedUsage, problem: str | None, interval: float, now: float) -> str:
    """``updated 12s ago · next refresh in 60s`` (`` · stale: why`` when stale);
    below the floor, ``next render in 0.5s · refresh at most every 15s``."""
    if interval >= REFRESH_FLOOR:
        text = f"updated {format_age(cached.age(now))} ago · next refresh in {_seconds(interval)}"
    else:
        text = (
            f"updated {format_age(cached.age(now))} ago · next render in {_seconds(interval)}"
            f" · refresh at most every {_seconds(REFRESH_FLOOR)}"
        )
    if problem is not None:
        text += f" · stale: {problem}"
    return text


def frame(
    cached: CachedUsage,
    problem: str | None,
    interval: float,
    style: Style,
    time_style: str = "relative",
    remaining: bool = False,
    history: History | None = None,
) -> str:
    width = shutil.get_terminal_size((80, 24)).columns
    now = time.time()
    table = render_usage(
        cached.data, style=style, width=width, time_style=time_style, remaining=remaining, history=history
    )
    return f"{table}\n\n{style.dim(footer(cached, problem, interval, now))}"


def document(cached: CachedUsage, problem: str | None, history: History | None = None) -> str:
    from claude_usage import unstructure_usage

    data = {
        **unstructure_usage(cached.data, history=history),
        "fetched_at": iso(cached.fetched_at),
        "stale": problem is not None,
        "error": problem,
    }
    return json.dumps(data, separators=(",", ":"))


def cmd_watch(args: argparse.Namespace, style: Style) -> int:
    terminal = sys.stdout.isatty() and not args.json
    renders = 0
    last: CachedUsage | None = None
    # The first render honours --max-age; after that the interval is the max age.
    max_age = args.max_age
    try:
        with open_client(args) as client:
            while True:
                problem: str | None = None
                try:
                    last = fetch(args, client, max_age=max_age)
                    if last.stale:
                        problem = stale_reason(last)
                except ClaudeUsageError as error:
                    if last is None:
                        raise  # nothing to show at all: the error and its exit code
                    problem = one_line(str(error))
                # Read each round: the statusline adds to it between refreshes.
                history = load_history(args, client)
                if args.json:
                    output = document(last, problem, history) + "\n"
                elif terminal:
                    output = (
                        CLEAR + frame(last, problem, args.interval, style, args.time, args.remaining, history) + "\n"
                    )
                else:
                    output = (
                        ("\n" if renders else "")
                        + frame(last, problem, args.interval, style, args.time, args.remaining, history)
                        + "\n"
                    )
                sys.stdout.write(output)
                sys.stdout.flush()
                renders += 1
                if args.count is not None and renders >= args.count:
                    return _exit.OK
                max_age = max(args.interval, REFRESH_FLOOR)
                time.sleep(args.interval)
    except KeyboardInterrupt:
        return _exit.OK
