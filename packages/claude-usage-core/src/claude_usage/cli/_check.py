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
from typing import TYPE_CHECKING

from claude_usage.cli import _exit
from claude_usage.cli._render import format_duration
from claude_usage.cli._usage import (
    PROG,
    Verdict,
    backoff_remaining,
    fetch,
    history,
    iso,
    judge,
    local_time,
    open_client,
    warn_if_stale,
)
from claude_usage.errors import ConfigurationError

if TYPE_CHECKING:
    from claude_usage.client import UsageClient

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
        _print(verdict.line(getattr(args, "time", "relative")))


def cmd_check(args: argparse.Namespace) -> int:
    if args.max is None and not args.forecast:
        raise ConfigurationError("check needs --max PERCENT, --forecast or both (see `claude-usage check --help`)")
    with open_client(args) as client:
        cached = fetch(args, client, max_age=args.max_age)
        recent = history(args, client) if args.forecast else None
    verdict = judge(cached.data, args.window, args.max, forecast=args.forecast, history=recent)
    _emit(args, verdict, cached.fetched_at, cached.stale)
    warn_if_stale(cached, "using")
    return _exit.OVER if verdict.over else _exit.OK


def next_wake(verdict: Verdict, now: float, *, backoff: float, fetched_at: float, stale: bool) -> tuple[float, str]:
    """When to look again, and why (``reset``, ``predates`` or ``recheck``).

    After the latest reset among the measures at or over the threshold (plus a
    margin). At once when that reset has passed and the data (fresh, from the
    cache) predates it. A minute from now when a reset time is missing, or
    passed and the data still says at or over. Never before a back-off the
    server asked for has ended.
    """
    resets = [m.resets_at.timestamp() if m.resets_at is not None else None for m in verdict.over_items]
    known = [when for when in resets if when is not None]
    if resets and len(known) == len(resets) and max(known) > now:
        wake, why = max(known) + RESET_MARGIN, "reset"
    elif resets and len(known) == len(resets) and fetched_at < max(known) and not stale:
        wake, why = now, "predates"
    else:
        wake, why = now + RECHECK_SECONDS, "recheck"
    if now + backoff > wake:
        return now + backoff, "recheck"
    return wake, why


def _close_quietly(client: UsageClient) -> None:
    """Close the client with Ctrl-C and SIGTERM held back: closing runs
    urllib3's pool finalisers, and Python swallows (and prints) an exception
    raised inside one, so a stop arriving then would be lost. A signal held
    back is delivered as the mask is lifted, in ordinary code."""
    import signal

    stops = {signal.SIGINT, signal.SIGTERM}
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:  # pragma: no cover - Windows
        client.close()
        return
    mask(signal.SIG_BLOCK, stops)
    try:
        client.close()
    finally:
        mask(signal.SIG_UNBLOCK, stops)


def sleep_until(wall: float) -> None:
    from claude_usage.cli import _exit

    while (remaining := wall - time.time()) > 0:
        if _exit.STOP_REQUESTED:
            raise KeyboardInterrupt  # a stop whose exception a finaliser swallowed
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
            wake, why = next_wake(verdict, now, backoff=backoff, fetched_at=cached.fetched_at, stale=cached.stale)
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
            if why == "predates":
                message = f"{verdict.line()}, but the reset has passed since that data was fetched; checking again"
            else:
                purpose = "after the reset" if why == "reset" else "to check again"
                message = (
                    f"{verdict.line()}; waking at {local_time(wake, now)} (in {format_duration(wake - now)}) {purpose}"
                )
            sys.stderr.write(f"{PROG}: {message}\n")
            sys.stderr.flush()
            _close_quietly(client)  # no idle connection held open for hours; the next fetch opens one
            sleep_until(wake)
            cached = fetch(args, client, max_age=0)
