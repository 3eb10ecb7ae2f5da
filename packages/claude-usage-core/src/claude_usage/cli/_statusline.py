"""``claude-usage statusline``: one line for Claude Code's ``statusLine.command``.

Claude Code starts this once per render, per open session, so the path that
renders from Claude Code's own ``rate_limits`` and a fresh cache imports only
the standard library (no argparse, attrs, cattrs or requests) and never
scans entry points. Only a stale cache leads to a fetch, with a short timeout,
and one process in a herd does it while the others serve the stale value.

Whatever happens it prints one line and exits 0: a statusline that fails
shows nothing, which is worse than saying why there is no data. Only a bad
``--format`` (a mistake in the user's settings) exits 2.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time

# Not typing.TYPE_CHECKING: typing stays off the render path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from claude_usage.cache import UsageCache

USAGE = """\
usage: claude-usage statusline [--format FORMAT] [--no-fetch] [--max-age SECONDS]
                               [--timeout SECONDS] [--backend NAME] [--config-dir DIR]

Print one status line for Claude Code's statusLine.command. Reads Claude
Code's JSON from stdin (may be empty); 5h and 7d come from its rate_limits
when present, else from the shared cache or the API. The binding limit is
added when a limit other than the 5-hour and 7-day ones blocks you.

options:
  --format FORMAT      a template with named fields in braces (see below)
  --no-fetch           never call the API: stdin and the cache only
  --max-age SECONDS    cache age that is still fresh (default 60)
  --timeout SECONDS    how long a render may wait for the API (default 2.5)
  --backend NAME       credential backend (as for claude-usage)
  --config-dir DIR     Claude Code profile directory (as CLAUDE_CONFIG_DIR)
  -h, --help           show this help

fields: {five_hour} {five_hour_reset} {seven_day} {seven_day_reset}
        {binding} {binding_percent} {binding_reset} {stale} {age}
  e.g. --format "5h {five_hour} ({five_hour_reset}) | 7d {seven_day}{stale}"

It always exits 0 (printing why when there is no data), except 2 for a bad
option or --format.
"""

FIELDS = (
    "five_hour",
    "five_hour_reset",
    "seven_day",
    "seven_day_reset",
    "binding",
    "binding_percent",
    "binding_reset",
    "stale",
    "age",
)
MISSING = "-"
DEFAULT_TIMEOUT = 2.5
LIMIT_NAMES = {"weekly_scoped": "weekly", "weekly_all": "weekly", "session": "5h"}


class _BadOption(Exception):
    pass


def _parse(argv: list[str]) -> dict[str, str | bool]:
    options: dict[str, str | bool] = {}
    with_value = {"--format", "--max-age", "--timeout", "--backend", "--config-dir"}
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("-h", "--help"):
            options["help"] = True
        elif arg == "--no-fetch":
            options["no_fetch"] = True
        elif arg.split("=", 1)[0] in with_value:
            name, has_value, value = arg.partition("=")
            if not has_value:
                if not args:
                    raise _BadOption(f"{name} needs a value")
                value = args.pop(0)
            options[name[2:].replace("-", "_")] = value
        else:
            raise _BadOption(f"unknown option {arg!r}")
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
        payload = json.loads(sys.stdin.buffer.read(1024 * 1024) or b"{}")
    except (ValueError, RecursionError, OSError):
        return {}  # garbage from an older or newer Claude Code: render without it
    return payload if isinstance(payload, dict) else {}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _epoch(value: object) -> float | None:
    """Claude Code sends epoch seconds; the API sends ISO-8601."""
    number = _number(value)
    if number is not None:
        return number / 1000 if number > 1e11 else number  # milliseconds, defensively
    if isinstance(value, str):
        from datetime import datetime, timezone

        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.timestamp()
    return None


def _window(value: object, percent_key: str) -> tuple[float, float | None] | None:
    if not isinstance(value, dict):
        return None
    percent = _number(value.get(percent_key))
    if percent is None:
        return None
    return percent, _epoch(value.get("resets_at"))


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
    return f"{value:.0f}%"


def _reset(epoch: float | None, now: float) -> str:
    if epoch is None:
        return MISSING
    return "now" if epoch <= now else _duration(epoch - now)


def _binding(body: dict[str, object] | None) -> tuple[str, float, float | None] | None:
    """The active limit when it is not the 5-hour or all-models weekly one."""
    limits = body.get("limits") if body else None
    if not isinstance(limits, list):
        return None
    for limit in limits:
        if not isinstance(limit, dict) or limit.get("is_active") is not True:
            continue
        kind = limit.get("kind")
        percent = _number(limit.get("percent"))
        if not isinstance(kind, str) or percent is None or kind in ("session", "weekly_all"):
            return None
        scope = limit.get("scope")
        model = scope.get("model") if isinstance(scope, dict) else None
        name = model.get("display_name") if isinstance(model, dict) else None
        label = LIMIT_NAMES.get(kind, kind)
        return (f"{name} {label}" if isinstance(name, str) else label), percent, _epoch(limit.get("resets_at"))
    return None


def _fields(
    stdin: dict[str, object], body: dict[str, object] | None, age: float | None, stale: bool, now: float
) -> dict[str, str]:
    limits = stdin.get("rate_limits")
    limits = limits if isinstance(limits, dict) else {}
    values: dict[str, str] = dict.fromkeys(FIELDS, MISSING)
    for key in ("five_hour", "seven_day"):
        window = _window(limits.get(key), "used_percentage")
        if window is None and body is not None:
            window = _window(body.get(key), "utilization")
        if window is not None:
            values[key] = _percent(window[0])
            values[f"{key}_reset"] = _reset(window[1], now)
    binding = _binding(body)
    values["binding"] = "" if binding is None else f"{binding[0]} {_percent(binding[1])}"
    if binding is not None:
        values["binding_percent"] = _percent(binding[1])
        values["binding_reset"] = _reset(binding[2], now)
    values["stale"] = " (stale)" if stale else ""
    values["age"] = MISSING if age is None else _duration(age)
    return values


def _default_line(values: dict[str, str]) -> str:
    parts = []
    for key, label in (("five_hour", "5h"), ("seven_day", "7d")):
        if values[key] != MISSING:
            reset = values[f"{key}_reset"]
            parts.append(f"{label} {values[key]}" + (f" {reset}" if reset != MISSING else ""))
    if values["binding"]:
        reset = values["binding_reset"]
        parts.append(f"⚠ {values['binding']}" + (f" {reset}" if reset != MISSING else ""))
    line = " · ".join(parts)
    return line + (f" (stale {values['age']})" if values["stale"] and line else "")


def _short_reason(error: BaseException) -> str:
    name = type(error).__name__
    reasons = {
        "CredentialsNotFoundError": "not logged in (run claude)",
        "TokenExpiredError": "token expired (run claude)",
        "NoBackendError": "no credential backend",
        "InvalidCredentialsError": "unreadable credentials",
        "AuthenticationError": "token rejected (run claude)",
        "PermissionDeniedError": "token lacks user:profile scope",
        "NetworkTimeoutError": "API timed out",
        "NetworkError": "offline",
        "ServerError": "API error",
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
        wait = getattr(error, "retry_after", None)
        return f"rate limited, retry in {_duration(wait)}" if wait else "rate limited"
    return reasons.get(name, "usage unavailable")


def _render(options: dict[str, str | bool]) -> str:
    stdin = _read_stdin()
    max_age = _seconds(options, "max_age", 60.0)
    timeout = _seconds(options, "timeout", DEFAULT_TIMEOUT)
    backend = options.get("backend")
    backend = backend if isinstance(backend, str) else None
    config_dir = options.get("config_dir")
    config_dir = config_dir if isinstance(config_dir, str) else None
    template = options.get("format")

    from claude_usage.cache import UsageCache

    cache = UsageCache()
    now = time.time()
    entry = cache.peek(backend, config_dir=config_dir)
    body = entry.body if entry is not None else None
    fetched_at = entry.fetched_at if entry is not None else None
    fresh = entry is not None and entry.is_fresh(now, max_age)
    reason = ""
    if not fresh and not options.get("no_fetch"):
        body, fetched_at, fresh, reason = _refresh(cache, backend, config_dir, max_age, timeout, body, fetched_at)
    age = None if fetched_at is None else max(0.0, now - fetched_at)
    values = _fields(stdin, body, age, stale=body is not None and not fresh, now=now)
    if isinstance(template, str):
        try:
            return template.format_map(values)
        except (KeyError, ValueError, IndexError, AttributeError) as exc:
            raise _BadOption(f"bad --format: {type(exc).__name__} {exc}; fields: {', '.join(FIELDS)}") from None
    line = _default_line(values)
    if reason:
        line = f"{line} · {reason}" if line else f"claude-usage: {reason}"
    return line or "claude-usage: no usage data yet"


def _refresh(
    cache: UsageCache,
    backend: str | None,
    config_dir: str | None,
    max_age: float,
    timeout: float,
    body: dict[str, object] | None,
    fetched_at: float | None,
) -> tuple[dict[str, object] | None, float | None, bool, str]:
    """The slow path: fetch through the shared cache with a short timeout."""
    from claude_usage.client import UsageClient
    from claude_usage.errors import ClaudeUsageError

    # With something to show, wait only briefly for another process's
    # refresh; with nothing, wait for it to finish.
    lock_timeout = 0.2 if body is not None else timeout + 0.5
    try:
        with UsageClient(timeout=max(timeout, 0.1)) as client:
            cached = cache.get(
                backend, config_dir=config_dir, max_age=max_age, client=client, lock_timeout=lock_timeout
            )
    except ClaudeUsageError as error:
        return body, fetched_at, False, _short_reason(error)
    reason = _short_reason(cached.error) if cached.stale and cached.error is not None else ""
    return cached.body, cached.fetched_at, not cached.stale, reason


def main(argv: list[str]) -> int:
    try:
        options = _parse(argv)
        if options.get("help"):
            sys.stdout.write(USAGE)
            return 0
        line = _render(options)
    except _BadOption as exc:
        message = f"claude-usage statusline: {exc}"
        sys.stderr.write(message + "\n")
        sys.stdout.write(message + "\n")
        return 2
    except Exception as exc:  # never a traceback on a statusline
        line = f"claude-usage: internal error ({type(exc).__name__})"
        if os.environ.get("CLAUDE_USAGE_DEBUG"):
            import traceback

            traceback.print_exc()
    sys.stdout.write(line.replace("\n", " ") + "\n")
    return 0
