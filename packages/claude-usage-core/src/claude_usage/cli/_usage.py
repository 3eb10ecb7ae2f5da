"""What the commands that fetch share: option parsing, the trip through the
shared cache, the stale-data warning, and the windows and limits a threshold
is compared with (``check`` and ``wait``).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import attrs

from claude_usage.cli._render import format_age, format_percent, limit_label, window_label
from claude_usage.errors import ConfigurationError
from claude_usage.models import KNOWN_WINDOWS

if TYPE_CHECKING:
    from claude_usage import CachedUsage, UsageClient, UsageData

PROG = "claude-usage"

#: ``--window`` values that are not window keys.
ANY = "any"
BINDING = "binding"

_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([smhd]?)\s*")


# -- option values ---------------------------------------------------------------


#: The longest duration an option accepts (a year): longer would overflow
#: time.sleep and datetime, and means "never" anyway.
MAX_SECONDS = 366 * 86400.0


def seconds_value(text: str) -> float:
    """A duration: seconds, or a number with ``s``, ``m``, ``h`` or ``d``."""
    match = _DURATION.fullmatch(text)
    value = float(match.group(1)) * _UNITS[match.group(2)] if match else math.nan
    if not math.isfinite(value) or value < 0 or value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"expected seconds up to a year (e.g. 90, 15m, 2h), not {text!r}")
    return value


def interval_value(text: str) -> float:
    value = seconds_value(text)
    if value < 0.1:
        raise argparse.ArgumentTypeError(f"the interval must be at least 0.1 seconds, not {text!r}")
    return value


def percent_value(text: str) -> float:
    """A percentage: ``80`` or ``80%``; any finite number from 0 up."""
    try:
        value = float(text.strip().removesuffix("%"))
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a percentage such as 80 or 80%, not {text!r}")
    return value


def count_value(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


# -- fetching ------------------------------------------------------------------


def open_client(args: argparse.Namespace) -> UsageClient:
    """One client (one connection) for the whole command."""
    from claude_usage import UsageClient

    return UsageClient(timeout=args.timeout)


def fetch(args: argparse.Namespace, client: UsageClient, *, max_age: float) -> CachedUsage:
    """Usage through the shared cache: data at most ``max_age`` seconds old,
    or older data marked stale when a back-off forbids asking."""
    from claude_usage import UsageCache

    return UsageCache().get(args.backend, config_dir=args.config_dir, max_age=max_age, client=client)


def backoff_remaining(args: argparse.Namespace, client: UsageClient) -> float:
    """Seconds of back-off the shared cache holds for this account (0 if none)."""
    from claude_usage import UsageCache

    entry = UsageCache().peek(args.backend, config_dir=args.config_dir, base_url=client.config.base_url)
    return 0.0 if entry is None else entry.backoff_remaining(time.time())


def one_line(text: str) -> str:
    return " ".join(text.split()) or "unknown error"


def stale_reason(cached: CachedUsage) -> str:
    return one_line(str(cached.error)) if cached.error is not None else "it could not be refreshed"


def warn_if_stale(cached: CachedUsage, verb: str = "showing") -> None:
    """One line on stderr when the cache could only serve older data."""
    if cached.stale:
        sys.stderr.write(f"{PROG}: warning: {verb} data from {format_age(cached.age())} ago: {stale_reason(cached)}\n")


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()


def iso_or_none(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(timezone.utc).isoformat()


def local_time(epoch: float, now: float | None = None) -> str:
    """``14:05:03``, with the date when it is not within the next 20 hours."""
    try:
        when = datetime.fromtimestamp(epoch).astimezone()
    except (OverflowError, OSError, ValueError):
        return "an invalid time"
    if abs(epoch - (time.time() if now is None else now)) > 20 * 3600:
        return when.strftime("%Y-%m-%d %H:%M %Z").strip()
    return when.strftime("%H:%M:%S")


# -- thresholds ----------------------------------------------------------------


@attrs.frozen
class Measure:
    """One thing a threshold is compared with: a window or a limit."""

    name: str
    label: str
    percent: float
    resets_at: datetime | None
    type: str  # "window" or "limit"
    model: str | None = None

    def text(self) -> str:
        return f"{self.label} {format_percent(self.percent)}"

    def document(self, maximum: float) -> dict[str, Any]:
        document: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "label": self.label,
            "percent": self.percent,
            "resets_at": iso_or_none(self.resets_at),
            "over": self.percent >= maximum,
        }
        if self.type == "limit":
            document["model"] = self.model
        return document


def _windows(usage: UsageData) -> list[Measure]:
    return [
        Measure(key, window_label(key, window.label), window.utilization, window.resets_at, "window")
        for key, window in usage.windows.items()
    ]


def _limits(usage: UsageData) -> list[Measure]:
    return [
        Measure(limit.kind, limit_label(limit), limit.percent, limit.resets_at, "limit", limit.model)
        for limit in usage.limits
    ]


def available_names(usage: UsageData) -> list[str]:
    return [*usage.windows, ANY, BINDING]


def select(usage: UsageData, window: str) -> tuple[list[Measure], str | None]:
    """The measures ``--window`` names, and a note when the choice fell back.

    Raises ConfigurationError (exit 2) for a name the API did not report.
    """
    if window == ANY:
        return [*_windows(usage), *_limits(usage)], None
    if window == BINDING:
        active = usage.active_limit
        if active is None:
            return [*_windows(usage), *_limits(usage)], "no binding limit reported: checked every window and limit"
        return [
            Measure(active.kind, limit_label(active), active.percent, active.resets_at, "limit", active.model)
        ], None
    found = usage.windows.get(window)
    if found is None:
        said = f"the API reports no {window!r} window now" if window in KNOWN_WINDOWS else f"unknown window {window!r}"
        raise ConfigurationError(f"{said}; available: {', '.join(available_names(usage))}")
    return [Measure(window, window_label(window, found.label), found.utilization, found.resets_at, "window")], None


@attrs.frozen
class Verdict:
    """The measures compared with a threshold: under, or at or over."""

    window: str
    maximum: float
    checked: Sequence[Measure]
    note: str | None = None

    @property
    def over_items(self) -> list[Measure]:
        return sorted((m for m in self.checked if m.percent >= self.maximum), key=lambda m: -m.percent)

    @property
    def over(self) -> bool:
        return bool(self.over_items)

    def line(self) -> str:
        limit = f"{self.maximum:g}%"  # the threshold as the user wrote it
        over = self.over_items
        if not self.checked:
            text = f"no windows or limits reported: nothing is at or over {limit}"
        elif len(self.checked) == 1:
            only = self.checked[0]
            text = f"{only.text()} is {'at or over' if over else 'under'} {limit}"
        elif over:
            text = f"{over[0].text()} is at or over {limit}"
            if len(over) > 1:
                text += f" (also at or over: {'; '.join(m.text() for m in over[1:])})"
        else:
            highest = max(self.checked, key=lambda m: m.percent)
            text = f"all {len(self.checked)} windows and limits are under {limit} (highest: {highest.text()})"
        return f"{text} ({self.note})" if self.note else text

    def document(self) -> dict[str, Any]:
        return {
            "over": self.over,
            "checked": [m.document(self.maximum) for m in self.checked],
            "max": self.maximum,
            "window": self.window,
        }


def judge(usage: UsageData, window: str, maximum: float) -> Verdict:
    measures, note = select(usage, window)
    return Verdict(window, maximum, measures, note)
