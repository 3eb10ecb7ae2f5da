"""``claude-usage notify``: tell the user before they hit the wall.

Reads through the shared cache (no extra API calls) and sends through
apprise (desktop notifications, ntfy, Slack, Discord, Telegram, email,
webhooks). Each notification goes once per window, per threshold, per reset
cycle: what was sent is remembered in ``notify-state.json`` in the cache
directory (mode 0600), under a lock, so cron running it every minute, or two
runs at once, send one message, not sixty. A delivery that fails is not
remembered, so the next run tries again.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import attrs

from claude_usage._files import write_private
from claude_usage._lock import FileLock
from claude_usage.cli import _exit
from claude_usage.cli._render import describe_pace, describe_reset, format_percent
from claude_usage.cli._usage import Measure, fetch, open_client, select, warn_if_stale
from claude_usage.cli._usage import history as load_history
from claude_usage.errors import ConfigurationError

if TYPE_CHECKING:
    from claude_usage.cache import CachedUsage
    from claude_usage.history import History

STATE_FILE = "notify-state.json"
STATE_VERSION = 1
#: A reset time is the cycle's name, rounded: the API's resets_at moves by
#: fractions of a second between answers, and cycles are hours apart.
CYCLE_ROUNDING = 300
#: The shortest --watch interval that may ask the API (the cache's floor).
REFRESH_FLOOR = 15.0
TITLE = "Claude usage"


def desktop_urls() -> list[str]:
    """apprise's URLs for this platform's desktop notifications, best first."""
    if sys.platform == "darwin":
        return ["macosx://"]
    if sys.platform == "win32":
        return ["windows://"]
    return ["dbus://", "glib://"]  # dbus-python, else PyGObject


def cycle_of(measure: Measure) -> str:
    """The reset cycle a measure is in: its reset time, rounded."""
    if measure.resets_at is None:
        return "none"
    return str(round(measure.resets_at.timestamp() / CYCLE_ROUNDING) * CYCLE_ROUNDING)


def state_key(measure: Measure) -> str:
    """The name a measure goes by in the state file."""
    return f"{measure.type}:{measure.name}:{measure.label}"


@attrs.frozen
class Event:
    """One notification to send, the state key that marks it sent, and (for
    a reset) the "over" mark that delivering it clears."""

    key: str
    cycle: str
    body: str
    clears: str | None = None


def events(
    measures: Sequence[Measure],
    state: dict[str, Any],
    *,
    above: float,
    forecast: bool,
    on_reset: bool,
    now: datetime,
    time_style: str = "relative",
    history: History | None = None,
) -> list[Event]:
    """What to send now, given what was sent (``state["sent"]``) and which
    windows were over the threshold in which cycle (``state["over"]``)."""
    sent: dict[str, str] = state.get("sent", {})
    over: dict[str, str] = state.get("over", {})
    found: list[Event] = []
    seen: set[tuple[str, str]] = set()
    for measure in measures:
        cycle = cycle_of(measure)
        # five_hour and the session row are one limit: told once.
        if (measure.label, cycle) in seen:
            continue
        seen.add((measure.label, cycle))
        reset = describe_reset(measure.resets_at, now, time_style)
        key = state_key(measure)
        if measure.percent >= above and sent.get(f"{key}|above|{above:g}") != cycle:
            body = f"{measure.label} is at {format_percent(measure.percent)} (over {above:g}%); {reset}"
            found.append(Event(f"{key}|above|{above:g}", cycle, body))
        if forecast:
            pace = measure.forecast(now, history)
            if pace.runs_out and sent.get(f"{key}|forecast") != cycle:
                said = describe_pace(pace, now, time_style)
                found.append(
                    Event(f"{key}|forecast", cycle, f"{measure.label} {format_percent(measure.percent)} is {said}")
                )
        if on_reset:
            previous = over.get(key)
            if previous is not None and previous != cycle and measure.percent < above:
                body = f"{measure.label} has reset: {format_percent(measure.percent)} used"
                found.append(Event(f"{key}|reset|{previous}", cycle, body, clears=key))
    return found


def _state_path(directory: str) -> str:
    return os.path.join(directory, STATE_FILE)


def read_state(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError):
        return {"version": STATE_VERSION, "sent": {}, "over": {}}
    if not isinstance(document, dict) or document.get("version") != STATE_VERSION:
        return {"version": STATE_VERSION, "sent": {}, "over": {}}
    for name in ("sent", "over"):
        if not isinstance(document.get(name), dict):
            document[name] = {}
    return document


def _remember_over(state: dict[str, Any], measures: Sequence[Measure], above: float) -> None:
    """Which windows are over the threshold now, and in which cycle (what
    ``--on-reset`` compares with); a window under it keeps its old mark until
    the reset is told."""
    over: dict[str, str] = state["over"]
    for measure in measures:
        if measure.percent >= above:
            over[state_key(measure)] = cycle_of(measure)


class Notifier:
    """The apprise targets, checked before anything is fetched."""

    def __init__(self, urls: Sequence[str]) -> None:
        try:
            import apprise
        except ImportError:
            raise ConfigurationError(
                "notify needs apprise: pip install 'claude-usage-core[notify]' (the claude-usage package includes it)"
            ) from None
        self._apprise = apprise.Apprise()
        if not urls:
            if not any(self._apprise.add(url) for url in desktop_urls()):
                raise ConfigurationError(
                    "notify: no desktop notification here (apprise needs dbus-python or PyGObject on Linux); "
                    "pass --to URL, e.g. --to ntfy://my-topic"
                )
            return
        for url in urls:
            if not self._apprise.add(url):
                raise ConfigurationError(f"notify cannot use {_redact(url)!r}; see apprise's URL formats")

    def send(self, body: str) -> bool:
        return bool(self._apprise.notify(body=body, title=TITLE))


def _redact(url: str) -> str:
    """The URL without what may be a secret (a token in the path or query):
    scheme and host only."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}" + ("/..." if "/" in rest or "@" in rest else "")


def run_once(
    args: argparse.Namespace, notifier: Notifier, cached: CachedUsage, directory: str, history: History | None = None
) -> int:
    measures, _note = select(cached.data, args.window)
    now = datetime.now(timezone.utc)
    path = _state_path(directory)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    lock = FileLock(path + ".lock", 30.0)
    if not lock.acquire():
        sys.stderr.write("claude-usage: notify: another notify holds the state file; nothing sent this time\n")
        return _exit.OK
    try:
        state = read_state(path)
        todo = events(
            measures,
            state,
            above=args.above,
            forecast=args.forecast,
            on_reset=args.on_reset,
            now=now,
            time_style=args.time,
            history=history,
        )
        failed = 0
        for event in todo:
            if notifier.send(event.body):
                state["sent"][event.key] = event.cycle
                if event.clears is not None:
                    state["over"].pop(event.clears, None)
                sys.stdout.write(f"sent: {event.body}\n")
            else:
                failed += 1
                sys.stderr.write(f"claude-usage: notify: not delivered (tried again next run): {event.body}\n")
        _remember_over(state, measures, args.above)
        write_private(path, json.dumps(state, sort_keys=True))
    finally:
        lock.release()
    sys.stdout.flush()
    return _exit.NOT_DELIVERED if failed else _exit.OK


def cmd_notify(args: argparse.Namespace) -> int:
    from claude_usage.cache import UsageCache

    notifier = Notifier(args.to)
    directory = str(UsageCache().directory)
    max_age = args.max_age
    while True:
        with open_client(args) as client:
            cached = fetch(args, client, max_age=max_age)
            recent = load_history(args, client) if args.forecast else None
        warn_if_stale(cached, "using")
        code = run_once(args, notifier, cached, directory, recent)
        if not args.watch:
            return code
        max_age = max(args.interval, REFRESH_FLOOR)
        deadline = time.monotonic() + args.interval
        try:
            while time.monotonic() < deadline and not _exit.STOP_REQUESTED:
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        except KeyboardInterrupt:
            return _exit.OK  # Ctrl-C or SIGTERM between checks: a clean stop, as watch
        if _exit.STOP_REQUESTED:
            return _exit.OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from claude_usage.cli import _usage

    group = parser.add_argument_group("notify options")
    group.add_argument(
        "--above",
        metavar="PERCENT",
        type=_usage.percent_value,
        required=True,
        help="notify once per reset cycle when a window is at or over this (75 or 75%%)",
    )
    group.add_argument(
        "--window", metavar="NAME", default=_usage.ANY, help="what to watch, as for check (default: any)"
    )
    group.add_argument(
        "--forecast",
        action="store_true",
        default=False,
        help="also notify once per cycle when a window is on pace to run out before it resets",
    )
    group.add_argument(
        "--on-reset",
        action="store_true",
        default=False,
        help="also notify when a window that was over --above has reset",
    )
    group.add_argument(
        "--to",
        metavar="URL",
        action="append",
        default=[],
        help="an apprise URL (ntfy://, slack://, discord://, tgram://, mailto://, json://, ...); repeat for "
        "several. Default: this platform's desktop notification",
    )
    group.add_argument(
        "--watch", action="store_true", default=False, help="keep running, checking every --interval seconds"
    )
    group.add_argument(
        "--interval",
        metavar="SECONDS",
        type=_usage.interval_value,
        default=60.0,
        help="with --watch: seconds between checks (default 60); the API is asked at most every 15 s",
    )
