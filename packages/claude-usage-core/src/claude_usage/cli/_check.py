"""``claude-usage check`` and ``claude-usage wait``: a threshold, for scripts.

``check`` answers at once (exit 0 under, 1 at or over). ``wait`` sleeps until
the window resets instead of polling: one request to learn when, one after
the reset to confirm, and a back-off (the next reset, or a minute) while the
data still says at or over.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from claude_usage.cli import _exit
from claude_usage.cli._render import format_duration
from claude_usage.cli._usage import (
    PROG,
    Verdict,
    backoff_remaining,
    fetch,
    iso,
    judge,
    local_time,
    open_client,
    warn_if_stale,
)

#: How long ``wait`` sleeps when the data gives no usable reset time.
RECHECK_SECONDS = 60.0
#: Woken this long after a reset, so the server has certainly moved on.
RESET_MARGIN = 1.0
#: Sleep in slices no longer than this, re-reading the wall clock, so that a
#: machine that was suspended wakes on time (no request is sent per slice).
SLEEP_SLICE = 30.0


def _print(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _emit(args: argparse.Namespace, verdict: Verdict, fetched_at: float, stale: bool, **extra: object) -> None:
    if args.json:
        document = {**verdict.document(), "fetched_at": iso(fetched_at), "stale": stale, **extra}
        _print(json.dumps(document, indent=2))
    else:
        _print(verdict.line())


def cmd_check(args: argparse.Namespace) -> int:
    with open_client(args) as client:
        cached = fetch(args, client, max_age=args.max_age)
    verdict = judge(cached.data, args.window, args.max)
    _emit(args, verdict, cached.fetched_at, cached.stale)
    warn_if_stale(cached, "using")
    return _exit.OVER if verdict.over else _exit.OK


def next_wake(verdict: Verdict, now: float, backoff: float) -> tuple[float, bool]:
    """When to look again, and whether that is because of a reset.

    After the latest reset among the measures at or over the threshold (plus a
    margin); a minute from now when one of them has no reset time in the
    future; never before a back-off the server asked for has ended.
    """
    resets = [m.resets_at.timestamp() if m.resets_at is not None else None for m in verdict.over_items]
    future = [when for when in resets if when is not None and when > now]
    if resets and len(future) == len(resets):
        wake, at_reset = max(future) + RESET_MARGIN, True
    else:
        wake, at_reset = now + RECHECK_SECONDS, False
    if now + backoff > wake:
        return now + backoff, False
    return wake, at_reset


def sleep_until(wall: float) -> None:
    while (remaining := wall - time.time()) > 0:
        time.sleep(min(remaining, SLEEP_SLICE))


def _seconds_text(seconds: float) -> str:
    return f"{seconds:g}s" if seconds < 60 else format_duration(seconds)


def cmd_wait(args: argparse.Namespace) -> int:
    started = time.time()
    deadline = None if args.max_wait is None else started + args.max_wait
    with open_client(args) as client:
        cached = fetch(args, client, max_age=args.max_age)
        while True:
            verdict = judge(cached.data, args.window, args.below)
            waited = round(time.time() - started, 3)
            if not verdict.over:
                _emit(args, verdict, cached.fetched_at, cached.stale, waited=waited, gave_up=False)
                warn_if_stale(cached, "using")
                return _exit.OK
            now = time.time()
            backoff = backoff_remaining(args, client) if cached.stale else 0.0
            wake, at_reset = next_wake(verdict, now, backoff)
            warn_if_stale(cached, "using")
            if deadline is not None and wake > deadline:
                if args.json:
                    _emit(args, verdict, cached.fetched_at, cached.stale, waited=waited, gave_up=True)
                else:
                    _print(
                        f"gave up: {verdict.line()}, and the next check (in {format_duration(wake - now)}) "
                        f"would come after --max-wait {_seconds_text(args.max_wait)}"
                    )
                return _exit.OVER
            purpose = "after the reset" if at_reset else "to check again"
            sys.stderr.write(
                f"{PROG}: {verdict.line()}; waking at {local_time(wake, now)} "
                f"(in {format_duration(wake - now)}) {purpose}\n"
            )
            sys.stderr.flush()
            client.close()  # no idle connection held open for hours; the next fetch opens one
            sleep_until(wake)
            cached = fetch(args, client, max_age=0)
