"""What the commands that fetch share: option parsing, the trip through the
shared cache, the stale-data warning, and the windows and limits a threshold
is compared with (``check`` and ``wait``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import attrs

from claude_usage.cli import _exit
from claude_usage.cli._render import describe_pace, format_age, format_percent, limit_label, window_label
from claude_usage.errors import ClaudeUsageError, ConfigurationError
from claude_usage.forecast import Forecast, limit_length, project, recent_point, window_length
from claude_usage.history import History, limit_key
from claude_usage.models import KNOWN_WINDOWS
from claude_usage.names import limit_group, window_name

if TYPE_CHECKING:
    from claude_usage import CachedUsage, UsageClient, UsageData
    from claude_usage.models import Limit, UsageWindow

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


def fetch(args: argparse.Namespace, client: UsageClient, *, max_age: float, retry_now: bool = False) -> CachedUsage:
    """Usage through the shared cache: data at most ``max_age`` seconds old,
    or older data marked stale when a back-off forbids asking (``retry_now``:
    only a 429's back-off)."""
    from claude_usage import UsageCache

    return UsageCache().get(
        args.backend, config_dir=args.config_dir, max_age=max_age, client=client, retry_now=retry_now
    )


def history(args: argparse.Namespace, client: UsageClient) -> History:
    """The account's observation log, for forecasts at the recent rate."""
    from claude_usage import UsageCache

    return UsageCache().history(args.backend, config_dir=args.config_dir, base_url=client.config.base_url)


def backoff_remaining(args: argparse.Namespace, client: UsageClient) -> float:
    """Seconds of back-off the shared cache holds for this account (0 if none)."""
    from claude_usage import UsageCache

    entry = UsageCache().peek(args.backend, config_dir=args.config_dir, base_url=client.config.base_url)
    return 0.0 if entry is None else entry.backoff_remaining(time.time())


def error_line(
    kind: str, code: int, message: str, retry_after: float | None = None, *, plain: str | None = None
) -> str:
    """The one line an error is said in: ``claude-usage: error: ...``, or
    with ``CLAUDE_USAGE_ERRORS=json`` a JSON object that a wrapper (the npm
    package) reads without parsing prose."""
    if os.environ.get("CLAUDE_USAGE_ERRORS", "").strip().lower() == "json":
        document = {"type": kind, "exit_code": code, "message": message, "retry_after": retry_after}
        return json.dumps({"error": document}) + "\n"
    return plain if plain is not None else f"{PROG}: error: {message}\n"


def say_error(error: ClaudeUsageError) -> int:
    """Write ``error``'s one line on stderr (see :func:`error_line`); its
    documented exit code."""
    code = _exit.exit_code_for(error)
    retry_after = getattr(error, "retry_after", None)
    sys.stderr.write(error_line(type(error).__name__, code, one_line(str(error)), retry_after))
    return code


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
    group: str | None = None
    surface: str | None = None
    length: timedelta | None = None

    def text(self) -> str:
        return f"{self.label} {format_percent(self.percent)}"

    def forecast(self, now: datetime, history: History | None = None) -> Forecast:
        """The pace, at the recent rate where ``history`` has one."""
        key = self.name if self.type == "window" else limit_key(self.name, self.model, self.surface)
        recent = recent_point(history, key, self.resets_at, now)
        return project(self.percent, self.resets_at, self.length, now, recent)

    def document(self, maximum: float | None, now: datetime, history: History | None = None) -> dict[str, Any]:
        forecast = self.forecast(now, history)
        document: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "label": self.label,
            "percent": self.percent,
            "resets_at": iso_or_none(self.resets_at),
            "over": maximum is not None and self.percent >= maximum,
        }
        document.update(
            projected_percent=forecast.projected_percent,
            runs_out_at=iso_or_none(forecast.runs_out_at),
            forecast_basis=forecast.basis,
            runs_out=forecast.runs_out,
        )
        if self.type == "limit":
            document.update(model=self.model, group=self.group, surface=self.surface)
        return document


def _window(key: str, window: UsageWindow) -> Measure:
    return Measure(
        key, window_label(key, window.label), window.utilization, window.resets_at, "window", length=window_length(key)
    )


def _limit(limit: Limit) -> Measure:
    return Measure(
        limit.kind,
        limit_label(limit),
        limit.percent,
        limit.resets_at,
        "limit",
        limit.model,
        limit_group(limit.kind, limit.group),
        limit.surface,
        limit_length(limit),
    )


def _windows(usage: UsageData) -> list[Measure]:
    return [_window(key, window) for key, window in usage.windows.items()]


def _limits(usage: UsageData) -> list[Measure]:
    return [_limit(limit) for limit in usage.limits]


def _normal(name: str) -> str:
    """Names compare case-insensitively, with runs of spaces as one."""
    return " ".join(name.split()).casefold()


def _scope_names(limit: Limit) -> list[str]:
    """The model and surface a limit applies to (``Opus``, ``Claude Code``)."""
    return [name for name in (limit.model, limit.surface) if name]


def _limit_names(limit: Limit) -> list[str]:
    """Every name ``--window`` may give a limit: its kind, its group (as
    sent, or the one its kind implies), and the model or surface it is
    scoped to (a model's first word too: ``opus`` for ``Opus 4.5``)."""
    names = [limit.kind, limit_group(limit.kind, limit.group), *_scope_names(limit)]
    names += [scope.split()[0] for scope in _scope_names(limit)]
    return names


def available_names(usage: UsageData) -> list[str]:
    """What ``--window`` accepts now, in the order an error message lists them."""
    names: list[str] = [*usage.windows]
    for limit in usage.limits:
        for name in _limit_names(limit):
            if _normal(name) not in map(_normal, names):
                names.append(name)
    return [*names, ANY, BINDING]


_SCOPED_WEEK = re.compile(r"Current week \((.+?)(?: only)?\)")


def _window_scope(key: str, window: UsageWindow) -> str | None:
    """The model a per-model window is for, from its name (``Current week
    (Opus only)`` -> ``opus``; ``seven_day_overage_included`` -> ``fable``)."""
    found = _SCOPED_WEEK.fullmatch(window_name(key, window.label))
    scope = _normal(found.group(1)) if found else None
    return None if scope == "all models" else scope


def _general(usage: UsageData) -> list[Measure]:
    """What applies to every model: the limits not scoped to a model or
    surface, else (a server from before ``limits``) the 5-hour and 7-day
    windows."""
    limits = [_limit(limit) for limit in usage.limits if not _scope_names(limit)]
    if limits:
        return limits
    return [_window(key, window) for key, window in usage.windows.items() if key in ("five_hour", "seven_day")]


def select(usage: UsageData, window: str) -> tuple[list[Measure], str | None]:
    """The measures ``--window`` names, and a note when the choice fell back.

    A name is a window key, a limit's ``kind`` or ``group``, or the model or
    surface a limit is scoped to (``opus``, ``claude code``), in any case;
    ``any`` is everything, ``binding`` the limit the server marks active.
    Raises ConfigurationError (exit 2) for a name the API did not report.
    """
    wanted = _normal(window)
    if wanted == ANY:
        return [*_windows(usage), *_limits(usage)], None
    if wanted == BINDING:
        active = usage.active_limit
        if active is None:
            return _general(usage), "no binding limit reported: checked what applies to all models"
        return [_limit(active)], None
    windows = [_window(key, found) for key, found in usage.windows.items() if _normal(key) == wanted]
    limits = [_limit(limit) for limit in usage.limits if wanted in map(_normal, _limit_names(limit))]
    if not limits and not windows:
        # A model with no row in `limits` (a server from before it): its
        # per-model weekly window, e.g. seven_day_opus for "opus".
        windows = [_window(key, found) for key, found in usage.windows.items() if _window_scope(key, found) == wanted]
    if windows or limits:
        return [*windows, *limits], None
    known = window in KNOWN_WINDOWS or wanted in ("five_hour", "seven_day")
    said = f"the API reports no {window!r} window now" if known else f"unknown window or limit {window!r}"
    raise ConfigurationError(f"{said}; available: {', '.join(available_names(usage))}")


@attrs.frozen
class Verdict:
    """The measures compared with a threshold (under, or at or over) and,
    with ``forecast``, with their pace (on pace to run out before the
    reset, or not)."""

    window: str
    maximum: float | None
    checked: Sequence[Measure]
    note: str | None = None
    forecast: bool = False
    now: datetime = attrs.field(factory=lambda: datetime.now(timezone.utc))
    history: History | None = None

    @property
    def over_items(self) -> list[Measure]:
        maximum = self.maximum
        if maximum is None:
            return []
        return sorted((m for m in self.checked if m.percent >= maximum), key=lambda m: -m.percent)

    @property
    def running_out(self) -> list[tuple[Measure, Forecast]]:
        """The measures on pace to run out before their reset, soonest first."""
        if not self.forecast:
            return []
        found = [(m, m.forecast(self.now, self.history)) for m in self.checked]
        paced: dict[tuple[str, float], tuple[Measure, Forecast]] = {}
        for measure, forecast in found:
            # five_hour and the session row are one limit: said once.
            if forecast.runs_out_at is not None:
                paced.setdefault((measure.label, measure.percent), (measure, forecast))
        return sorted(paced.values(), key=lambda item: item[1].runs_out_at or self.now)

    @property
    def over(self) -> bool:
        return bool(self.over_items) or bool(self.running_out)

    def _threshold_text(self, maximum: float) -> str:
        limit = f"{maximum:g}%"  # the threshold as the user wrote it
        over = self.over_items
        if not self.checked:
            return f"no windows or limits reported: nothing is at or over {limit}"
        if len(self.checked) == 1:
            only = self.checked[0]
            return f"{only.text()} is {'at or over' if over else 'under'} {limit}"
        if over:
            text = f"{over[0].text()} is at or over {limit}"
            if len(over) > 1:
                text += f" (also at or over: {'; '.join(m.text() for m in over[1:])})"
            return text
        highest = max(self.checked, key=lambda m: m.percent)
        return f"all {len(self.checked)} windows and limits are under {limit} (highest: {highest.text()})"

    def _forecast_text(self, time_style: str) -> str:
        running = self.running_out
        if running:
            measure, forecast = running[0]
            text = f"{measure.text()} is {describe_pace(forecast, self.now, time_style)}"
            if len(running) > 1:
                text += f" (also on pace to run out: {'; '.join(m.text() for m, _ in running[1:])})"
            return text
        paced = [(m, m.forecast(self.now, self.history)) for m in self.checked]
        known = [(m, f) for m, f in paced if f.projected_percent is not None]
        if not known:
            return "no window can be projected yet (too early in each, or of unknown length)"
        measure, forecast = max(known, key=lambda item: item[1].projected_percent or 0.0)
        return (
            f"nothing is on pace to run out before it resets (highest pace: {measure.text()}, "
            f"{describe_pace(forecast, self.now, time_style)})"
        )

    def line(self, time_style: str = "relative") -> str:
        parts = []
        if self.maximum is not None:
            parts.append(self._threshold_text(self.maximum))
        if self.forecast:
            parts.append(self._forecast_text(time_style))
        text = "; ".join(parts)
        return f"{text} ({self.note})" if self.note else text

    def document(self) -> dict[str, Any]:
        return {
            "over": self.over,
            "checked": [m.document(self.maximum, self.now, self.history) for m in self.checked],
            "max": self.maximum,
            "forecast": self.forecast,
            "runs_out": bool(self.running_out),
            "window": self.window,
        }


def judge(
    usage: UsageData,
    window: str,
    maximum: float | None,
    *,
    forecast: bool = False,
    now: datetime | None = None,
    history: History | None = None,
) -> Verdict:
    measures, note = select(usage, window)
    return Verdict(window, maximum, measures, note, forecast, now or datetime.now(timezone.utc), history)
