"""Turning :class:`UsageData` into text for people (the presenter)."""

from __future__ import annotations

import math
from datetime import datetime, timezone

from claude_usage.models import ExtraUsage, Limit, UsageData

WINDOW_LABELS = {
    "five_hour": "5-hour",
    "seven_day": "7-day",
    "seven_day_opus": "7-day Opus",
    "seven_day_sonnet": "7-day Sonnet",
    "seven_day_oauth_apps": "7-day OAuth apps",
}

LIMIT_LABELS = {
    "session": "session (5-hour)",
    "weekly_all": "weekly, all models",
    "weekly_scoped": "weekly",
}


def window_label(key: str) -> str:
    """A readable name for a window key; unknown keys are shown as sent."""
    return WINDOW_LABELS.get(key, key)


def limit_label(limit: Limit) -> str:
    label = LIMIT_LABELS.get(limit.kind, limit.kind)
    return f"{label}, {limit.model}" if limit.model else label


def format_duration(seconds: float) -> str:
    """``2h 14m``, ``4d 6h``, ``45m``, ``30s``: two units at most."""
    seconds = max(0, math.ceil(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


def format_age(seconds: float) -> str:
    """How long ago: like :func:`format_duration`, rounded down (``0s`` just now)."""
    return format_duration(math.floor(max(0.0, seconds)))


def describe_reset(resets_at: datetime | None, now: datetime | None = None) -> str:
    if resets_at is None:
        return "no reset scheduled"
    remaining = (resets_at - (now or datetime.now(timezone.utc))).total_seconds()
    if remaining <= 0:
        return "reset due now"
    return f"resets in {format_duration(remaining)}"


def format_percent(value: float) -> str:
    return f"{value:.0f}%" if value == int(value) or abs(value) >= 10 else f"{value:.1f}%"


class Style:
    """ANSI colour, or none at all."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def level(self, percent: float, text: str) -> str:
        code = "31" if percent >= 90 else "33" if percent >= 70 else "32"
        return self._wrap(code, text)


def bar(percent: float, width: int) -> str:
    if width <= 0:
        return ""
    filled = min(width, max(0, round(percent / 100 * width)))
    return "█" * filled + "░" * (width - filled)


def render_usage(usage: UsageData, *, style: Style, width: int = 80, now: datetime | None = None) -> str:
    """The readable view: one line per window, the limits, extra usage."""
    lines: list[str] = []
    rows = [(window_label(key), window.utilization, window.resets_at) for key, window in usage.windows.items()]
    label_width = max((len(label) for label, _, _ in rows), default=0)
    bar_width = max(0, min(20, width - label_width - 30))
    if not rows:
        lines.append("No usage windows reported yet.")
    for label, percent, resets_at in rows:
        meter = f"{style.level(percent, bar(percent, bar_width))} " if bar_width >= 5 else ""
        lines.append(
            f"{label:<{label_width}}  {meter}{style.level(percent, format_percent(percent)):>{5 + _extra(style)}}"
            f"  {style.dim(describe_reset(resets_at, now))}"
        )
    if usage.limits:
        lines.append("")
        lines.append(style.bold("Limits"))
        for limit in usage.limits:
            marker = "▶" if limit.is_active else " "
            binding = style.bold("  ← binding now") if limit.is_active else ""
            severity = f" [{limit.severity}]" if limit.severity and limit.severity != "normal" else ""
            lines.append(
                f"{marker} {limit_label(limit)}: {style.level(limit.percent, format_percent(limit.percent))}"
                f"{severity}, {describe_reset(limit.resets_at, now)}{binding}"
            )
    if usage.extra_usage is not None:
        lines.append("")
        lines.append(render_extra(usage.extra_usage))
    return "\n".join(lines)


def _extra(style: Style) -> int:
    # Colour codes take room in the string but not on screen.
    return 9 if style.enabled else 0


def render_extra(extra: ExtraUsage) -> str:
    if not extra.is_enabled:
        return "Extra usage: off"
    parts = []
    if extra.used_credits is not None:
        money = f"{extra.used_credits:g}"
        if extra.monthly_limit is not None:
            money += f" of {extra.monthly_limit:g}"
        if extra.currency:
            money += f" {extra.currency}"
        parts.append(money)
    if extra.utilization is not None:
        parts.append(format_percent(extra.utilization))
    return "Extra usage: on" + (f" ({', '.join(parts)})" if parts else "")
