"""``show --waybar``: one JSON line for a Waybar custom module.

Waybar's ``"return-type": "json"`` reads ``text``, ``tooltip``, ``class``
and ``percentage`` from each line. The row is the binding limit (the one
the server marks ``is_active``), else the five-hour window; the tooltip
lists every window, its pace, and the binding limit. A failure is a line
too (``class`` ``error``, the one-line message as tooltip) and exits 0:
Waybar hides a module whose command fails, so the bar could not say what is
wrong otherwise; the error and its code are on stderr, as always. Waybar
reads ``text`` and ``tooltip`` as Pango markup: both are escaped, so a
label or a message with ``<`` or ``&`` cannot blank them.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import sys
from datetime import datetime, timezone

from claude_usage.cli import _exit, _usage
from claude_usage.cli._render import (
    describe_pace,
    describe_reset,
    format_share,
    limit_label,
    window_label,
)
from claude_usage.errors import ClaudeUsageError
from claude_usage.forecast import forecast_window
from claude_usage.history import History
from claude_usage.models import UsageData

__all__ = ["waybar", "waybar_document"]


def _markup(text: str) -> str:
    """``text`` as Pango markup shows it literally."""
    return html.escape(text, quote=False)


def _short_limit(label: str) -> str:
    """The bar's short name of a row: ``7d (Opus)`` for ``Current week (Opus)``."""
    return label.replace("Current session", "5h").replace("Current week", "7d")


def waybar_document(
    usage: UsageData,
    *,
    now: datetime | None = None,
    history: History | None = None,
    time_style: str = "relative",
    remaining: bool = False,
    stale: str | None = None,
) -> dict[str, object]:
    """The four keys Waybar reads, for ``usage`` as of ``now``."""
    moment = now or datetime.now(timezone.utc)
    binding = usage.active_limit
    rows: list[str] = []
    for key, window in usage.windows.items():
        line = f"{window_label(key, window.label)}: {format_share(window.utilization, remaining)}, "
        line += describe_reset(window.resets_at, moment, time_style)
        pace = describe_pace(forecast_window(key, window, moment, history), moment, time_style)
        rows.append(line + (f"; {pace}" if pace else ""))
    if binding is not None:
        rows.append(
            f"Binding now: {limit_label(binding)} {format_share(binding.percent, remaining)}, "
            f"{describe_reset(binding.resets_at, moment, time_style)}"
        )
    if stale:
        rows.append(f"stale: {stale}")
    if binding is not None:
        percent, severity = binding.percent, binding.severity or "normal"
        text = f"{_short_limit(limit_label(binding))} {format_share(percent, remaining)}"
    elif usage.five_hour is not None:
        percent, severity = usage.five_hour.utilization, "normal"
        text = f"5h {format_share(percent, remaining)}"
    else:
        tooltip = "\n".join(rows) or "No usage windows reported."
        return {"text": "no usage", "tooltip": _markup(tooltip), "class": "normal", "percentage": 0}
    shown = 100.0 - percent if remaining else percent
    return {
        "text": _markup(text),
        "tooltip": _markup("\n".join(rows)),
        "class": severity,
        "percentage": max(0, min(100, math.floor(shown))),
    }


def waybar(args: argparse.Namespace) -> int:
    try:
        with _usage.open_client(args) as client:
            cached = _usage.fetch(args, client, max_age=args.max_age)
            history = _usage.history(args, client)
    except ClaudeUsageError as error:
        message = _usage.one_line(str(error))
        line = {"text": "claude-usage: error", "tooltip": _markup(message), "class": "error", "percentage": 0}
        sys.stdout.write(json.dumps(line) + "\n")
        _usage.say_error(error)
        return _exit.OK  # Waybar hides a module whose command fails: the line above would never show
    document = waybar_document(
        cached.data,
        history=history,
        time_style=args.time,
        remaining=args.remaining,
        stale=_usage.stale_reason(cached) if cached.stale else None,
    )
    sys.stdout.write(json.dumps(document) + "\n")
    return _exit.OK
