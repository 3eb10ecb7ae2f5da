"""Turning :class:`UsageData` into text for people (the presenter)."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from datetime import datetime, timezone
from decimal import Decimal

from claude_usage._clock import twelve_hour
from claude_usage.forecast import Forecast, forecast_limit, forecast_window
from claude_usage.history import History
from claude_usage.models import CreditWindow, ExtraUsage, Limit, PromoCredit, UsageData, UsageWindow, currency_exponent
from claude_usage.names import limit_group, limit_title, window_name


def window_label(key: str, label: str | None = None) -> str:
    """The name a window is shown under: its label, Claude Code's name for
    the key, or the key made readable."""
    return window_name(key, label)


def limit_label(limit: Limit) -> str:
    """``Current week (Opus)``: a ``limits`` row as Claude Code names it."""
    return limit_title(limit.kind, limit.group, limit.model, limit.surface)


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


#: ``--time`` values: how a reset or run-out time is printed.
TIME_STYLES = ("relative", "local", "utc")


def zone_name() -> str:
    """The user's time zone as Claude Code names it: ``TZ`` when it names a
    zone, else the zone ``/etc/localtime`` links to, else its abbreviation."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz and "/" in tz and not tz.startswith("/"):
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(tz)
        except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
            # The C library shows a zone it does not know in UTC: say so, not its name.
            return "UTC"
        return tz
    try:
        target = os.path.realpath("/etc/localtime")
    except OSError:
        target = ""
    if "zoneinfo/" in target and not tz:
        return target.split("zoneinfo/", 1)[1]
    return datetime.now().astimezone().tzname() or "local time"


def clock_time(when: datetime, style: str = "local", now: datetime | None = None) -> str:
    """``3:30pm (Europe/Berlin)``, or ``Dec 13, 6am (Europe/Berlin)`` when not
    today there, as Claude Code prints reset times; ``style="utc"`` says it
    in UTC."""
    if style == "utc":
        shown, zone = when.astimezone(timezone.utc), "UTC"
        today = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).date()
    else:
        shown, zone = when.astimezone(), zone_name()
        today = (now or datetime.now(timezone.utc)).astimezone().date()
    text = twelve_hour(shown.hour, shown.minute)
    if shown.date() != today:
        text = f"{shown.strftime('%b')} {shown.day}, {text}"
    return f"{text} ({zone})"


def describe_reset(resets_at: datetime | None, now: datetime | None = None, style: str = "relative") -> str:
    if resets_at is None:
        return "no reset scheduled"
    remaining = (resets_at - (now or datetime.now(timezone.utc))).total_seconds()
    if remaining <= 0:
        return "reset due now"
    if style != "relative":
        return f"resets {clock_time(resets_at, style, now)}"
    return f"resets in {format_duration(remaining)}"


def describe_pace(forecast: Forecast, now: datetime | None = None, style: str = "relative") -> str | None:
    """``on pace for 160%: runs out at 12:37pm (UTC), 1h 52m before the
    reset``; ``None`` when there is no forecast to tell."""
    if forecast.projected_percent is None:
        return "too early in the window to project" if forecast.basis == "too_early" else None
    # Rounded, not floored: a projection is an estimate, not a limit reached.
    pace = f"on pace for {round(min(forecast.projected_percent, 999_999.0))}%"
    if forecast.basis == "recent":
        pace += " at the last hour's rate"
    if forecast.runs_out_at is None:
        return f"{pace} at the reset"
    moment = now or datetime.now(timezone.utc)
    margin = forecast.margin
    before = f", {format_duration(margin.total_seconds())} before the reset" if margin is not None else ""
    if forecast.runs_out_at <= moment:
        return f"{pace}: out now{before}"
    if style == "relative":
        when = f"in {format_duration((forecast.runs_out_at - moment).total_seconds())}"
    else:
        when = f"at {clock_time(forecast.runs_out_at, style, now)}"
    return f"{pace}: runs out {when}{before}"


def format_percent(value: float) -> str:
    """``99%`` for 99.6: floored, as Claude Code prints percentages (a limit
    is not shown as reached before it is). Comparisons use the exact value."""
    # A negative or astronomical value is the server's mistake: shown
    # within bounds rather than as "-1%" or a 300-digit number.
    return f"{math.floor(min(max(value, 0.0), 999_999.0))}%"


#: Claude Code's currency symbols; another code is written after the amount.
CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "BRL": "R$",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "SGD": "S$",
}


def format_money(amounts: Iterable[Decimal | None], currency: str, places: int | None = None) -> list[str]:
    """``$271.40``, ``€50.00``, ``R$50.00``, ``¥1,200``, ``12.50 CHF``: each
    known amount (major units) with its currency, to ``places`` digits (the
    currency's own by default). When every amount is whole the cents are
    left out (``$200 of $500``), as Claude Code does."""
    known = [amount for amount in amounts if amount is not None]
    places = currency_exponent(currency) if places is None else places
    if known and all(amount == amount.to_integral_value() for amount in known):
        places = 0
    symbol = CURRENCY_SYMBOLS.get(currency)
    texts = []
    for amount in known:
        number = f"{amount:,.{places}f}"
        texts.append(f"{symbol}{number}" if symbol else f"{number} {currency}")
    return texts


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

    def severity(self, severity: str | None, text: str) -> str:
        """Colour by the server's severity for the row; a value this version
        does not know, or none, is left uncoloured (a client never grades a
        row itself)."""
        code = SEVERITY_COLOURS.get(severity or "")
        return self._wrap(code, text) if code else text


#: ANSI colours of the server's severities.
SEVERITY_COLOURS = {"normal": "32", "warning": "33", "critical": "31"}


def format_share(percent: float, remaining: bool = False) -> str:
    """``24%`` used, or with ``remaining`` ``76% left`` (what is left of the
    window; nothing is left past 100%)."""
    if not remaining:
        return format_percent(percent)
    # Floored too: 23.5% used leaves "76% left".
    return f"{format_percent(max(0.0, 100.0 - percent))} left"


def bar(percent: float, width: int) -> str:
    if width <= 0:
        return ""
    # Floored like the percentage: a bar is full only at 100%.
    filled = min(width, max(0, math.floor(percent / 100 * width)))
    return "█" * filled + "░" * (width - filled)


def _window_severity(key: str, usage: UsageData) -> str | None:
    """The severity of the ``limits`` row that measures the same thing as a
    window (``five_hour`` and the session row, ...), so windows are coloured
    by the server too; ``None`` when no row matches."""
    model = {"seven_day_opus": "opus", "seven_day_sonnet": "sonnet"}.get(key)
    for limit in usage.limits:
        if (
            (key == "five_hour" and limit.kind == "session")
            or (key == "seven_day" and limit.kind == "weekly_all")
            or (model is not None and limit.kind == "weekly_scoped" and (limit.model or "").lower() == model)
        ):
            return limit.severity
    return None


def _credit_money(credit: CreditWindow | PromoCredit) -> str:
    used, limit = credit.used_dollars, credit.limit_dollars
    if used is not None and limit is not None:
        a, b = format_money([used, limit], "USD")
        return f"{a} of {b}"
    if credit.remaining_dollars is not None:
        return f"{format_money([credit.remaining_dollars], 'USD')[0]} left"
    return ""


def render_usage(
    usage: UsageData,
    *,
    style: Style,
    width: int = 80,
    now: datetime | None = None,
    time_style: str = "relative",
    remaining: bool = False,
    history: History | None = None,
) -> str:
    """The readable view: one line per window with its pace below it (at
    the recent rate where ``history`` has one), the limits grouped as the
    server groups them, promotional credits, extra usage. ``remaining``
    shows the share left instead of the share used."""
    lines: list[str] = []
    moment = now or datetime.now(timezone.utc)
    rows: list[tuple[str, str, UsageWindow, str | None]] = [
        (key, window_label(key, window.label), window, _window_severity(key, usage))
        for key, window in usage.windows.items()
    ]
    label_width = max((len(label) for _, label, _, _ in rows), default=0)
    bar_width = max(0, min(20, width - label_width - 30))
    if not rows:
        lines.append("No usage windows reported.")
    for key, label, window, severity in rows:
        percent = window.utilization
        # With --remaining the bar fills to what is left, as the figure beside it says.
        filled = max(0.0, 100.0 - percent) if remaining else percent
        meter = f"{style.severity(severity, bar(filled, bar_width))} " if bar_width >= 5 else ""
        shown = style.severity(severity, f"{format_share(percent, remaining):>4}")
        details = describe_reset(window.resets_at, moment, time_style)
        if isinstance(window, CreditWindow) and _credit_money(window):
            details = f"{_credit_money(window)}, {details}"
        lines.append(f"{label:<{label_width}}  {meter}{shown}  {style.dim(details)}")
        pace = describe_pace(forecast_window(key, window, moment, history), moment, time_style)
        if pace is not None:
            lines.append(f"{'':<{label_width}}  {style.dim(pace)}")
    if usage.limits:
        lines.append("")
        lines.append(style.bold("Limits"))
        lines.extend(
            render_limits(
                usage.limits, style=style, now=moment, time_style=time_style, remaining=remaining, history=history
            )
        )
    if usage.promo_credits:
        lines.append("")
        lines.append(style.bold("Promotional credits"))
        lines.extend(render_promo(promo, now) for promo in usage.promo_credits)
    if usage.extra_usage is not None:
        lines.append("")
        lines.append(render_extra(usage.extra_usage))
    return "\n".join(lines)


def grouped(limits: Iterable[Limit]) -> list[Limit]:
    """The rows grouped by ``group``, groups in the order the server first
    names them, rows in the server's order within each group."""
    order: dict[str, int] = {}
    rows = list(limits)
    for limit in rows:
        order.setdefault(limit_group(limit.kind, limit.group), len(order))
    return sorted(rows, key=lambda limit: order[limit_group(limit.kind, limit.group)])


def render_limits(
    limits: Iterable[Limit],
    *,
    style: Style,
    now: datetime | None = None,
    time_style: str = "relative",
    remaining: bool = False,
    history: History | None = None,
) -> list[str]:
    rows = grouped(limits)
    labels = [limit_label(limit) for limit in rows]
    label_width = max((len(label) for label in labels), default=0)
    lines = []
    for limit, label in zip(rows, labels, strict=True):
        marker = "▶" if limit.is_active else " "
        binding = style.bold("  ← binding now") if limit.is_active else ""
        severity = f" [{limit.severity}]" if limit.severity and limit.severity != "normal" else ""
        shown = style.severity(limit.severity, f"{format_share(limit.percent, remaining):>4}")
        reset = describe_reset(limit.resets_at, now, time_style)
        # Only a limit on pace to run out says so here: the windows above carry every pace.
        forecast = forecast_limit(limit, now, history)
        pace = describe_pace(forecast, now, time_style) if forecast.runs_out and limit.kind != "spend" else None
        tail = f" · {pace}" if pace is not None else ""
        lines.append(f"{marker} {label:<{label_width}}  {shown}{severity}  {style.dim(reset + tail)}{binding}")
    return lines


def render_promo(promo: PromoCredit, now: datetime | None = None) -> str:
    parts = []
    if promo.utilization is not None:
        parts.append(format_percent(promo.utilization))
    money = _credit_money(promo)
    if money:
        parts.append(money)
    if promo.resets_at is not None:
        parts.append(describe_reset(promo.resets_at, now))
    text = f"  {promo.label or promo.program_id}: {', '.join(parts) or 'no usage reported'}"
    return f"{text} ({promo.terms_line})" if promo.terms_line else text


#: Why extra usage is off, in Claude Code's words where it has them.
DISABLED_REASONS = {
    "out_of_credits": "you're out of usage credits",
    "org_spend_cap_reached": "your organization's spend limit is reached",
    "org_level_disabled_until": "the usage credit limit is reached",
    "org_level_disabled": "turned off by your organization",
    "org_service_level_disabled": "turned off by your organization",
    "member_level_disabled": "turned off for your account",
    "seat_tier_level_disabled": "not available for your plan",
    "seat_tier_zero_credit_limit": "not available for your plan",
    "overage_not_provisioned": "not set up for this account",
}


def render_extra(extra: ExtraUsage) -> str:
    """``Extra usage: $271.40 of $500.00 spent (54%)``, ``Unlimited``, or
    off with the reason the server gave."""
    reached = " · you've hit your monthly spend limit" if extra.spend_limit_reached else ""
    if not extra.is_enabled:
        reason = extra.disabled_reason
        if reason is None and extra.spend_limit_reached:
            return "Extra usage: off, you've hit your monthly spend limit"
        if reason is None:
            return "Extra usage: off"
        said = DISABLED_REASONS.get(reason) or reason.replace("_", " ")
        return f"Extra usage: off ({said}){reached}"
    currency = extra.currency_code
    if extra.monthly_limit is None:
        spent = ""
        if extra.used_amount is not None:
            spent = f", {format_money([extra.used_amount], currency, extra.exponent)[0]} spent"
        return f"Extra usage: on, unlimited{spent}{reached}"
    used, limit = extra.used_amount, extra.monthly_limit_amount
    if used is None:
        return f"Extra usage: on, limit {format_money([limit], currency, extra.exponent)[0]}{reached}"
    used_text, limit_text = format_money([used, limit], currency, extra.exponent)
    share = f" ({format_percent(extra.utilization)})" if extra.utilization is not None else ""
    return f"Extra usage: on, {used_text} of {limit_text} spent{share}{reached}"
