"""``claude-usage statusline``: the row(s) for Claude Code's ``statusLine.command``.

Claude Code starts this once per render, per open session, and kills the
render in flight (SIGTERM to its process group) when the next one starts. So
a render never waits on the network when it has anything to show: it prints
from Claude Code's stdin and the shared cache at once and, when the cache is
stale, asks the cache for one refresh in a process of its own
(:meth:`UsageCache.refresh_in_background`), which survives the kill and
records its attempt before it sends. Only with nothing at all to show (a
cold cache and no ``rate_limits`` on stdin) does it wait, at most ``--wait``
seconds (1 s), for that refresh.

Every path imports only the standard library (no argparse, typing, attrs,
cattrs or requests) and never scans entry points.

Whatever happens it prints a non-empty line and exits 0: Claude Code drops
the row on a non-zero exit or empty output, which tells the user nothing. A
bad option or ``--format`` is said in the row itself.
"""

from __future__ import annotations

import math
import os
import sys
import time

from claude_usage import _fastjson
from claude_usage.history import History, epoch, recent_start

USAGE = """\
usage: claude-usage statusline [--format FORMAT] [--color WHEN] [--no-fetch] [--max-age SECONDS]
                               [--wait SECONDS] [--timeout SECONDS] [--time STYLE] [--remaining]
                               [--backend NAME] [--config-dir DIR]

Print the status row for Claude Code's statusLine.command. Reads Claude
Code's JSON from stdin (may be empty); 5h and 7d come from its rate_limits
when present, else from the shared cache. The limit that binds you is added
when it is another one (a per-model weekly limit, from the usage endpoint),
and the spend limit when Claude Code reports one.

A render never waits on the network when it has something to show: a stale
cache is refreshed by one background process for every render and session.

options:
  --format FORMAT      a template with named fields in braces (see below);
                       \\n in it starts another row
  --color WHEN         auto (the default: colour, since the output goes to
                       Claude Code), always or never; NO_COLOR turns auto off
  --no-fetch           never call the API: stdin and the cache only
  --max-age SECONDS    cache age that is still fresh (default 60)
  --wait SECONDS       with nothing to show, how long to wait for the
                       refresh (default 1, at most 1)
  --timeout SECONDS    the background request's timeout (default 5)
  --time STYLE         reset times: relative (2h14m, the default), local
                       (3:30pm, in your zone; TZ honoured) or utc (2:30pm UTC)
  --remaining          the share left of each limit (77% left) instead of
                       the share used
  --backend NAME       credential backend (as for claude-usage)
  --config-dir DIR     Claude Code profile directory (as CLAUDE_CONFIG_DIR)
  -h, --help           show this help

fields: {five_hour} {five_hour_reset} {five_hour_pace} {five_hour_runs_out}
        {seven_day} {seven_day_reset} {seven_day_pace} {seven_day_runs_out}
        {binding} {binding_percent} {binding_reset} {spend} {spend_percent}
        {spend_reset} {model} {context} {cost} {stale} {age}
  e.g. --format "{model} · 5h {five_hour} ({five_hour_reset})\\n7d {seven_day}{stale}"

The default row fits in $COLUMNS, dropping reset times first, then limit
details. It always exits 0, printing why when there is no data.
"""

FIELDS = (
    "five_hour",
    "five_hour_reset",
    "five_hour_pace",
    "five_hour_runs_out",
    "seven_day",
    "seven_day_reset",
    "seven_day_pace",
    "seven_day_runs_out",
    "binding",
    "binding_percent",
    "binding_reset",
    "spend",
    "spend_percent",
    "spend_reset",
    "model",
    "context",
    "cost",
    "stale",
    "age",
)
MISSING = "-"
#: The lengths and the "too early" share of claude_usage.forecast, whose
#: import (attrs, the models) a render cannot afford; a test holds the two
#: to the same figures.
WINDOW_SECONDS = {"five_hour": 5 * 3600.0, "seven_day": 7 * 86400.0}
MIN_ELAPSED_SHARE = 0.05
DEFAULT_TIMEOUT = 5.0
MAX_WAIT = 1.0
LIMIT_NAMES = {"weekly_scoped": "weekly", "weekly_all": "weekly", "session": "5h", "spend": "spend"}
#: SGR colours for the server's ``severity``; a client never grades a row itself.
SEVERITY_COLOURS = {"warning": "33", "critical": "31"}
#: Older data than this is marked stale even while a refresh is under way.
STALE_AFTER = 300.0
#: Variables that mean Claude Code runs without a claude.ai subscription.
NO_SUBSCRIPTION = ("ANTHROPIC_API_KEY", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX", "CLAUDE_CODE_USE_FOUNDRY")
#: Recorded failures that mean "no stored login could be used" (by class name).
NO_LOGIN = {
    "CredentialsNotFoundError",
    "NoBackendError",
    "InsufficientScopeError",
    "LoginEndedError",
    "TokenExpiredError",
    "InvalidCredentialsError",
    "CredentialsUnavailableError",
    "CredentialsError",
}
NOT_FOUND = {"CredentialsNotFoundError", "NoBackendError"}


class _BadOption(Exception):
    pass


def _parse(argv: list[str]) -> dict[str, str | bool]:
    options: dict[str, str | bool] = {}
    with_value = {"--format", "--max-age", "--timeout", "--wait", "--backend", "--config-dir", "--color", "--time"}
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("-h", "--help"):
            options["help"] = True
        elif arg == "--no-fetch":
            options["no_fetch"] = True
        elif arg == "--remaining":
            options["remaining"] = True
        elif arg.split("=", 1)[0] in with_value:
            name, has_value, value = arg.partition("=")
            if not has_value:
                if not args:
                    raise _BadOption(f"{name} needs a value")
                value = args.pop(0)
            options[name[2:].replace("-", "_")] = value
        else:
            raise _BadOption(f"unknown option {arg!r}")
    color = options.get("color", "auto")
    if color not in ("auto", "always", "never"):
        raise _BadOption(f"--color must be auto, always or never, not {color!r}")
    if options.get("time", "relative") not in ("relative", "local", "utc"):
        raise _BadOption(f"--time must be relative, local or utc, not {options['time']!r}")
    return options


def _seconds(options: dict[str, str | bool], name: str, default: float) -> float:
    raw = options.get(name)
    if raw is None:
        return default
    try:
        value = float(str(raw))
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise _BadOption(f"--{name.replace('_', '-')} must be a number of seconds, not {raw!r}")
    return value


def _read_stdin() -> dict[str, object]:
    if sys.stdin is None or sys.stdin.isatty():
        return {}
    try:
        payload = _fastjson.loads(sys.stdin.buffer.read(1024 * 1024) or b"{}")
    except (ValueError, RecursionError, OSError):
        return {}  # garbage from an older or newer Claude Code: render without it
    return payload if isinstance(payload, dict) else {}


def _pace(
    percent: float, resets_at: float | None, length: float, now: float, recent: tuple[float, float] | None = None
) -> tuple[float, float | None] | None:
    """(projected percent at the reset, epoch of running out or None) as
    claude_usage.forecast.project has it: at the rate since ``recent`` (an
    observation of the log) when given, else at the average since the window
    began; None when too early or unknown."""
    if resets_at is None or resets_at <= now:
        return None
    remaining = resets_at - now
    elapsed = length - remaining
    if elapsed < length * MIN_ELAPSED_SHARE:
        return None
    used = max(0.0, percent)
    recent_rate = recent is not None and recent[0] < now
    rate = max(0.0, used - recent[1]) / (now - recent[0]) if recent is not None and recent_rate else used / elapsed
    projected = used + rate * remaining
    if used >= 100.0:
        return projected, now
    if rate <= 0.0:
        return projected, None
    until_full = (100.0 - used) / rate
    return projected, (now + until_full if until_full < remaining else None)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _window(value: object, percent_key: str) -> tuple[float, float | None] | None:
    if not isinstance(value, dict):
        return None
    percent = _number(value.get(percent_key))
    if percent is None:
        return None
    return percent, epoch(value.get("resets_at"))


def _duration(seconds: float) -> str:
    seconds = max(0, math.ceil(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d{hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    return f"{minutes}m" if minutes else "<1m"


def _percent(value: float) -> str:
    """Floored, as Claude Code prints it: 99.6% is not yet 100%."""
    return f"{math.floor(value + 1e-9)}%"


def _left(value: float) -> str:
    """What is left of a limit, floored like the share used: 23.5% used
    leaves "76% left"; nothing is left past 100%."""
    return f"{_percent(max(0.0, 100.0 - value))} left"


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _reset(epoch: float | None, now: float, style: str = "relative") -> str:
    """``2h14m``; with ``--time local`` or ``utc`` the clock time, ``3:30pm``,
    with the day when not today (``Dec 13 6am``)."""
    if epoch is None:
        return MISSING
    if epoch <= now:
        return "now"
    if style == "relative":
        return _duration(epoch - now)
    from claude_usage._clock import twelve_hour  # only for --time local/utc: a module less per render

    convert = time.gmtime if style == "utc" else time.localtime
    when, today = convert(epoch), convert(now)
    text = twelve_hour(when.tm_hour, when.tm_min)
    if (when.tm_year, when.tm_yday) != (today.tm_year, today.tm_yday):
        text = f"{time.strftime('%b', when)} {when.tm_mday} {text}"
    return text + (" UTC" if style == "utc" else "")


def _limits(body: dict[str, object] | None) -> list[dict[str, object]]:
    limits = body.get("limits") if body else None
    return [limit for limit in limits if isinstance(limit, dict)] if isinstance(limits, list) else []


def _severity(body: dict[str, object] | None, kind: str) -> str | None:
    for limit in _limits(body):
        if limit.get("kind") == kind and isinstance(limit.get("severity"), str):
            return str(limit["severity"])
    return None


def _scope_name(limit: dict[str, object]) -> str | None:
    scope = limit.get("scope")
    if not isinstance(scope, dict):
        return None
    for key in ("model", "surface"):
        part = scope.get(key)
        name = part.get("display_name") if isinstance(part, dict) else None
        if isinstance(name, str) and name.strip():
            return name.strip()
    return None


def _binding(body: dict[str, object] | None) -> tuple[str, str, float, float | None, str | None] | None:
    """The active limit when it is not the 5-hour or all-models weekly one:
    (full label, short label, percent, reset, severity)."""
    for limit in _limits(body):
        if limit.get("is_active") is not True:
            continue
        kind = limit.get("kind")
        percent = _number(limit.get("percent"))
        if not isinstance(kind, str) or percent is None or kind in ("session", "weekly_all"):
            return None
        name = _scope_name(limit)
        group = limit.get("group")
        label = LIMIT_NAMES.get(kind) or (group if isinstance(group, str) else kind)
        severity = limit.get("severity")
        return (
            f"{name} {label}" if name else label,
            name or label,
            percent,
            epoch(limit.get("resets_at")),
            severity if isinstance(severity, str) else None,
        )
    return None


class _Part:
    """One piece of the default row, in the forms it can shrink to."""

    __slots__ = ("colour", "forms", "priority")

    def __init__(self, forms: list[str], priority: int, colour: str | None = None) -> None:
        self.forms = forms  # full, without reset time, without details
        self.priority = priority  # lower is dropped last
        self.colour = colour

    def text(self, level: int) -> str:
        return self.forms[min(level, len(self.forms) - 1)]


class _View:
    """What one render knows: Claude Code's stdin, the cache entry, and the
    reason there is nothing (or nothing newer) to show."""

    def __init__(
        self,
        stdin: dict[str, object],
        entry: object,
        now: float,
        max_age: float,
        time_style: str = "relative",
        history: History | None = None,
        left: bool = False,
    ) -> None:
        self.stdin = stdin
        #: --remaining: shares are said as what is left.
        self.left = left
        #: The observation log's recent end: the pace at the last hour's rate.
        self.history = history
        self.now = now
        #: --time: how reset times are printed.
        self.time_style = time_style
        body = getattr(entry, "body", None)
        self.body: dict[str, object] | None = body if isinstance(body, dict) else None
        fetched = getattr(entry, "fetched_at", None)
        self.age = None if self.body is None or fetched is None else max(0.0, now - fetched)
        error = getattr(entry, "error", None)
        self.error: dict[str, object] | None = error if isinstance(error, dict) else None
        fresh = self.age is not None and self.age <= max_age
        failed = self.error is not None and not fresh
        self.stale = self.body is not None and not fresh and (failed or (self.age or 0.0) > STALE_AFTER)
        limits = stdin.get("rate_limits")
        self.rate_limits: dict[str, object] = limits if isinstance(limits, dict) else {}
        self.binding = _binding(self.body)
        self.remaining = 0.0
        if entry is not None and failed:
            backoff = getattr(entry, "backoff_remaining", None)
            self.remaining = float(backoff(now)) if callable(backoff) else 0.0

    def window(self, key: str) -> tuple[float, float | None] | None:
        found = _window(self.rate_limits.get(key), "used_percentage")
        if found is None and self.body is not None:
            found = _window(self.body.get(key), "utilization")
        return found

    def error_type(self) -> str | None:
        if self.error is None:
            return None
        for field in ("type", "core_type"):
            value = self.error.get(field)
            if isinstance(value, str):
                return value
        return None

    def no_login(self) -> bool:
        if self.error is None:
            return False
        return bool({self.error.get("type"), self.error.get("core_type")} & NO_LOGIN)

    def reason(self) -> str:
        """Why the data is missing or old, or "" when that needs no words."""
        name = self.error_type()
        if name is None or (self.body is not None and not self.stale):
            return ""
        if self.no_login() and (self.window("five_hour") or self.window("seven_day")):
            # Claude Code's own login works (rate_limits came with it), e.g.
            # CLAUDE_CODE_OAUTH_TOKEN, which it keeps from this command:
            # the per-model limits are unavailable, `doctor` says why.
            return ""
        if self.no_login() and _no_subscription():
            return ""  # no subscription quota exists to show
        return _short_reason(name, self.remaining)

    def share(self, value: float) -> str:
        return _left(value) if self.left else _percent(value)

    def fields(self) -> dict[str, str]:
        values: dict[str, str] = dict.fromkeys(FIELDS, MISSING)
        for key in ("five_hour", "seven_day"):
            window = self.window(key)
            if window is not None:
                values[key] = self.share(window[0])
                values[f"{key}_reset"] = _reset(window[1], self.now, self.time_style)
                recent = recent_start(self.history, key, window[1], self.now)
                pace = _pace(window[0], window[1], WINDOW_SECONDS[key], self.now, recent)
                if pace is not None:
                    values[f"{key}_pace"] = f"{round(min(pace[0], 999_999.0))}%"
                    values[f"{key}_runs_out"] = MISSING if pace[1] is None else _duration(max(0.0, pace[1] - self.now))
        binding = self.binding
        values["binding"] = "" if binding is None else f"{binding[0]} {self.share(binding[2])}"
        if binding is not None:
            values["binding_percent"] = self.share(binding[2])
            values["binding_reset"] = _reset(binding[3], self.now, self.time_style)
        spend = self.rate_limits.get("spend_limit")
        spend_window = _window(spend, "used_percentage")
        if isinstance(spend, dict) and spend_window is not None:
            values["spend_percent"] = self.share(spend_window[0])
            values["spend_reset"] = _reset(spend_window[1], self.now, self.time_style)
            used, limit = _number(spend.get("used_usd")), _number(spend.get("limit_usd"))
            dollars = f" {_money(used)}/{_money(limit)}" if used is not None and limit is not None else ""
            values["spend"] = values["spend_percent"] + dollars
        model = self.stdin.get("model")
        name = model.get("display_name") if isinstance(model, dict) else None
        if isinstance(name, str) and name.strip():
            values["model"] = name.strip()
        context = self.stdin.get("context_window")
        used = _number(context.get("used_percentage")) if isinstance(context, dict) else None
        if used is not None:
            values["context"] = _percent(used)
        cost = self.stdin.get("cost")
        total = _number(cost.get("total_cost_usd")) if isinstance(cost, dict) else None
        if total is not None:
            values["cost"] = _money(total)
        values["stale"] = " (stale)" if self.stale else ""
        values["age"] = MISSING if self.age is None else _duration(self.age)
        return values

    def parts(self, values: dict[str, str]) -> list[_Part]:
        parts: list[_Part] = []
        for key, label, kind, priority in (("five_hour", "5h", "session", 0), ("seven_day", "7d", "weekly_all", 2)):
            if values[key] != MISSING:
                short = f"{label} {values[key]}"
                reset = values[f"{key}_reset"]
                full = f"{short} {reset}" if reset != MISSING else short
                parts.append(_Part([full, short], priority, SEVERITY_COLOURS.get(_severity(self.body, kind) or "")))
        if values["spend"] != MISSING:
            short = f"spend {values['spend_percent']}"
            reset = values["spend_reset"]
            with_dollars = f"spend {values['spend']}"
            full = f"{with_dollars} {reset}" if reset != MISSING else with_dollars
            parts.append(_Part([full, with_dollars, short], 3))
        binding = self.binding
        if binding is not None:
            full_label = f"⚠ {binding[0]} {self.share(binding[2])}"
            reset = values["binding_reset"]
            parts.append(
                _Part(
                    [
                        f"{full_label} {reset}" if reset != MISSING else full_label,
                        full_label,
                        f"⚠ {binding[1]} {self.share(binding[2])}",
                    ],
                    4,
                    SEVERITY_COLOURS.get(binding[4] or ""),
                )
            )
        if not parts and (self.no_login() or self.body is None) and _no_subscription():
            # API key, Bedrock or Vertex: no subscription quota; what the payload has.
            if values["model"] != MISSING:
                parts.append(_Part([values["model"]], 0))
            if values["context"] != MISSING:
                parts.append(_Part([f"ctx {values['context']}"], 1))
        if self.stale and parts:
            parts.append(_Part([f"(stale {values['age']})", "(stale)"], 5))
        reason = self.reason()
        if reason:
            parts.append(_Part([reason if parts else f"claude-usage: {reason}"], 1))
        return parts


def _no_subscription() -> bool:
    return any(os.environ.get(name, "").strip() for name in NO_SUBSCRIPTION)


def _short_reason(name: str, remaining: float = 0.0) -> str:
    reasons = {
        "CredentialsNotFoundError": "not logged in (run claude)",
        "TokenExpiredError": "token expired (run claude)",
        "LoginEndedError": "logged out (run claude)",
        "NoBackendError": "no credential backend",
        "InvalidCredentialsError": "unreadable credentials",
        "InsufficientScopeError": "login lacks user:profile (run claude)",
        "AuthenticationError": "token rejected (run claude)",
        "PermissionDeniedError": "token lacks user:profile scope",
        "NetworkTimeoutError": "API timed out",
        "NetworkError": "offline",
        "ServerError": "API error",
        "ResponseFormatError": "unexpected API answer",
        "ResponseTooLargeError": "unexpected API answer",
        "ConfigurationError": "bad configuration",
        "KeychainLockedError": "Keychain locked",
        "KeychainInteractionNotAllowedError": "Keychain locked (no GUI session)",
        "KeychainAccessDeniedError": "Keychain access denied",
        "KeychainTimeoutError": "Keychain did not answer",
        "KeychainError": "Keychain error",
        "SealedLoginError": "sealed login: install claude-usage-creds-macos[sealed]",
        "CredentialsUnavailableError": "credentials unavailable",
    }
    if name == "RateLimitError":
        return f"rate limited, retry in {_duration(remaining)}" if remaining > 0 else "rate limited"
    return reasons.get(name, "usage unavailable")


def _columns() -> int | None:
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        return None
    return columns if columns > 0 else None


def _fit(parts: list[_Part], width: int | None, colour: bool) -> str:
    """Join the parts, shrinking them until the row fits: reset times go
    first, then limit details, then whole parts, least important first. A
    number is never cut; Claude Code itself ends a row that is still too
    wide with an ellipsis."""
    separator = " · "
    chosen = list(parts)
    level = 0

    def plain() -> str:
        return separator.join(part.text(level) for part in chosen)

    if width is not None:
        while len(plain()) > width and level < 2:
            level += 1
        while len(plain()) > width and len(chosen) > 1:
            chosen.remove(max(chosen, key=lambda part: part.priority))
    texts = []
    for part in chosen:
        text = part.text(level)
        texts.append(f"\x1b[{part.colour}m{text}\x1b[0m" if colour and part.colour else text)
    return separator.join(texts)


def _use_colour(options: dict[str, str | bool]) -> bool:
    when = options.get("color", "auto")
    if when == "always":
        return True
    if when == "never":
        return False
    return "NO_COLOR" not in os.environ  # auto: the output goes to Claude Code, which shows colours


def _render(options: dict[str, str | bool]) -> str:
    stdin = _read_stdin()
    max_age = _seconds(options, "max_age", 60.0)
    timeout = _seconds(options, "timeout", DEFAULT_TIMEOUT)
    wait = min(_seconds(options, "wait", MAX_WAIT), MAX_WAIT)
    backend = options.get("backend")
    backend = backend if isinstance(backend, str) else None
    config_dir = options.get("config_dir")
    config_dir = config_dir if isinstance(config_dir, str) else None
    template = options.get("format")
    if isinstance(template, str):
        template = template.replace("\\n", "\n")
        _check_template(template)
    if timeout <= 0:
        raise _BadOption("--timeout must be more than 0 seconds")

    from claude_usage.cache import UsageCache

    cache = UsageCache()
    entry = cache.peek(backend, config_dir=config_dir)
    now = time.time()
    # Claude Code's rate_limits into the observation log (a write only when
    # a value moved): a data source for every other command, at no request.
    history = cache.observe_rate_limits(stdin.get("rate_limits"), backend, config_dir=config_dir, now=now)
    if not options.get("no_fetch"):
        started = cache.refresh_in_background(backend, config_dir=config_dir, max_age=max_age, timeout=timeout)
        view = _View(stdin, entry, now, max_age)
        nothing = view.body is None and not view.window("five_hour") and not view.window("seven_day")
        if nothing and wait > 0 and (started or entry is None or _under_way(entry, now)):
            entry = cache.wait_for_refresh(backend, config_dir=config_dir, budget=wait)
            now = time.time()
    time_style = str(options.get("time", "relative"))
    view = _View(stdin, entry, now, max_age, time_style, history, left=bool(options.get("remaining")))
    values = view.fields()
    if isinstance(template, str):
        return template.format_map(values)
    line = _fit(view.parts(values), _width(), _use_colour(options))
    if line:
        return line
    if entry is None or view.error is None:
        return "claude-usage: no usage data yet"
    return f"claude-usage: {_short_reason(view.error_type() or '', view.remaining)}"


def _width() -> int | None:
    columns = _columns()
    return None if columns is None else max(10, columns - 2)  # Claude Code indents the row


def _under_way(entry: object, now: float) -> bool:
    under_way = getattr(entry, "refresh_under_way", None)
    return callable(under_way) and bool(under_way(now))


def _check_template(template: str) -> None:
    """Refuse a template that names an unknown field or is malformed, before
    anything is read (str.format_map finds both; the string module would
    cost an import of re)."""
    try:
        template.format_map(dict.fromkeys(FIELDS, ""))
    except KeyError as exc:
        raise _BadOption(f"bad --format: unknown field {{{exc.args[0]}}} (fields: {', '.join(FIELDS)})") from None
    except (ValueError, IndexError, AttributeError, TypeError) as exc:
        raise _BadOption(f"bad --format: {exc} (fields: {', '.join(FIELDS)})") from None


def main(argv: list[str]) -> int:
    try:
        options = _parse(argv)
        if options.get("help"):
            sys.stdout.write(USAGE)
            return 0
        text = _render(options)
    except _BadOption as exc:
        # The row itself says what is wrong: a non-zero exit would only make
        # Claude Code drop the row, with no hint why.
        text = f"claude-usage statusline: {exc}"
        sys.stderr.write(text + "\n")
    except Exception as exc:  # never a traceback on a statusline
        name = type(exc).__name__
        text = (
            f"claude-usage: {_short_reason(name)}"
            if name == "ConfigurationError"
            else f"claude-usage: internal error ({name})"
        )
        if os.environ.get("CLAUDE_USAGE_DEBUG"):
            import traceback

            traceback.print_exc()
    rows = [row.rstrip() for row in text.replace("\r", "").split("\n")]
    rows = [row for row in rows if row.strip()] or ["claude-usage: nothing to show"]
    sys.stdout.write("\n".join(rows) + "\n")
    return 0
