"""``claude-usage doctor``: what is installed, what was found, what the API
says, and what to do about each failure.

It reads the credentials' metadata (backend, subscription, tier, scopes,
expiry) and never the token: nothing here formats, slices or measures the
access token. The live call goes through the shared cache with
``max_age=0`` (unless ``--max-age`` says otherwise), so a back-off the
server asked for is respected.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import attrs

from claude_usage._version import __version__
from claude_usage.cli import _exit
from claude_usage.cli._render import format_age, format_duration, format_percent, limit_label, window_label
from claude_usage.cli._usage import fetch, iso, one_line
from claude_usage.errors import (
    ApiError,
    AuthenticationError,
    ClaudeUsageError,
    ConfigurationError,
    CredentialsNotFoundError,
    CredentialsUnavailableError,
    InsufficientScopeError,
    InvalidCredentialsError,
    LoginEndedError,
    NetworkError,
    NoBackendError,
    PermissionDeniedError,
    RateLimitError,
    ResponseFormatError,
    ServerError,
    TokenExpiredError,
)

if TYPE_CHECKING:
    from claude_usage import BackendStatus, CachedUsage, CredentialBackend, Credentials, UsageClient
    from claude_usage.cache import CacheEntry

PROFILE_SCOPE = "user:profile"
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy")


def _when(epoch: float) -> str:
    try:
        return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"{epoch:g} (not a valid time)"


def _redact_url(value: str) -> str:
    """A proxy URL without its user name or password."""
    try:
        parts = urlsplit(value if "://" in value else f"//{value}")
    except ValueError:
        return "<unparsable>"
    if "@" not in parts.netloc:
        return value
    host = parts.netloc.rsplit("@", 1)[1]
    scheme = f"{parts.scheme}://" if parts.scheme else ""
    return f"{scheme}<redacted>@{host}{parts.path}"


def _error_document(error: ClaudeUsageError) -> dict[str, Any]:
    return {"type": type(error).__name__, "message": one_line(str(error)), "exit_code": _exit.exit_code_for(error)}


def advice_for(error: ClaudeUsageError, statuses: Sequence[BackendStatus] = ()) -> list[str]:
    """What to do about ``error``: one or more lines."""
    own = getattr(error, "advice", None)
    if isinstance(own, tuple) and own and all(isinstance(line, str) for line in own):
        # A backend knows best what fits its store's failure (a locked
        # Keychain, a dialog waiting, an SSH session).
        return list(own)
    if isinstance(error, TokenExpiredError):
        return [
            "The stored token has expired. Run `claude` once: Claude Code renews it "
            "(claude-usage never refreshes tokens itself), then try again."
        ]
    if isinstance(error, NoBackendError):
        from claude_usage._registry import install_hint

        places = [f"{s.name}: {s.reason or 'only when chosen by name'}" for s in statuses if not s.automatic]
        lines = ["No credential backend could be used here."]
        if places:
            lines.append("Backends not used: " + "; ".join(places) + ".")
        hint = install_hint(statuses)
        return [*lines, hint[0].upper() + hint[1:] + "."]
    if isinstance(error, CredentialsNotFoundError):
        looked = [s.description for s in statuses if s.automatic and s.description]
        lines = ["No Claude credentials were found."]
        if looked:
            lines.append("Looked in: " + "; ".join(looked) + ".")
        return [
            *lines,
            "Run `claude` and log in; for another profile pass --config-dir DIR (as CLAUDE_CONFIG_DIR would).",
        ]
    if isinstance(error, LoginEndedError):
        return ["The stored login has ended (logged out, or its time limit was reached). Run `claude` and log in."]
    if isinstance(error, InsufficientScopeError):
        if error.source == "CLAUDE_CODE_OAUTH_TOKEN":
            return [
                f"CLAUDE_CODE_OAUTH_TOKEN is taken to lack {PROFILE_SCOPE}, as Claude Code takes it, so nothing "
                "was sent. If the token has that scope, set CLAUDE_CODE_OAUTH_SCOPES='user:inference user:profile'.",
                "Otherwise unset CLAUDE_CODE_OAUTH_TOKEN (or pass --backend file / keychain) to read the login "
                "`claude` stores.",
            ]
        return [
            f"The stored login lacks the {PROFILE_SCOPE} scope, so nothing was sent (Claude Code does not ask "
            "the usage endpoint with such a login either). Run `claude`, then /login, to store a full login."
        ]
    if isinstance(error, InvalidCredentialsError):
        return ["The stored credentials cannot be read. Run `claude` and log in again so it rewrites them."]
    if isinstance(error, CredentialsUnavailableError):
        return [
            "The credential store could not be read just now (locked, refused or not answering). claude-usage "
            "does not ask it again until its back-off ends or the credentials file changes; "
            "`claude-usage show --max-age 0` asks at once.",
        ]
    if isinstance(error, ConfigurationError):
        return [
            "Fix the value named above (an option, or CLAUDE_USAGE_BASE_URL / CLAUDE_USAGE_TIMEOUT / "
            "CLAUDE_USAGE_CA_BUNDLE / CLAUDE_USAGE_USER_AGENT)."
        ]
    if isinstance(error, AuthenticationError):
        return [
            "The API rejected the token (401). Log in again with `claude` (run it; use /login if it asks).",
            "Do not retry in a loop: repeated 401s earn an hour-long rate limit; claude-usage will not ask "
            "again until the stored credentials change.",
        ]
    if isinstance(error, PermissionDeniedError):
        scope = error.missing_scope or PROFILE_SCOPE
        return [
            f"The token lacks the {scope} scope (403). Tokens made by `claude setup-token`, which is what "
            "CLAUDE_CODE_OAUTH_TOKEN usually holds, are inference-only and cannot read usage.",
            "Unset CLAUDE_CODE_OAUTH_TOKEN (or pass --backend file / keychain) and use the login that `claude` "
            "stores; run `claude` and log in if there is none.",
        ]
    if isinstance(error, RateLimitError):
        wait = error.retry_after
        when = (
            f"Retry after {_when(time.time() + wait)} (in {format_duration(wait)})."
            if wait
            else "Retry in a few minutes."
        )
        return [
            f"The usage endpoint is limiting requests ({error.status}; not your usage limit). {when}",
            "Poll less often: every claude-usage command shares one cache; use a larger --max-age "
            "(e.g. `statusline --max-age 300`) and a `watch --interval` of a minute or more.",
        ]
    if isinstance(error, NetworkError):
        proxy = [f"{name}={_redact_url(os.environ[name])}" for name in PROXY_VARIABLES if os.environ.get(name)]
        ca = os.environ.get("CLAUDE_USAGE_CA_BUNDLE")
        return [
            "The request did not complete. Check the connection and CLAUDE_USAGE_BASE_URL.",
            "Behind a proxy, set HTTPS_PROXY (and NO_PROXY for hosts to reach directly); "
            + (f"now set: {', '.join(proxy)}." if proxy else "none is set now."),
            "A TLS-inspecting proxy needs its CA certificate: CLAUDE_USAGE_CA_BUNDLE=/path/to/ca.pem"
            + (f" (now {ca})." if ca else " (not set now)."),
        ]
    if isinstance(error, ServerError):
        return ["The server (or a gateway in front of it) failed. Try again in a few minutes."]
    if isinstance(error, (ApiError, ResponseFormatError)):
        return [
            "The answer was not a usage response. Check CLAUDE_USAGE_BASE_URL and any proxy or captive portal; "
            "if it persists, please report it (with -v output, which never holds the token)."
        ]
    return ["Please report this (with -v output, which never holds the token)."]


class Report:
    """The sections, as text and as one JSON document."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.document: dict[str, Any] = {}
        self.advice: list[str] = []
        self.exit_code = _exit.OK

    def section(self, title: str) -> None:
        if self.lines:
            self.lines.append("")
        self.lines.append(title)

    def item(self, label: str, value: str) -> None:
        self.lines.append(f"  {label + ':':<17} {value}")

    def note(self, text: str) -> None:
        self.lines.append(f"  {text}")

    def fail(self, error: ClaudeUsageError, statuses: Sequence[BackendStatus] = ()) -> None:
        advice = advice_for(error, statuses)
        for line in advice:
            self.lines.append(f"  advice: {line}")
        self.advice.extend(advice)
        if self.exit_code == _exit.OK:
            self.exit_code = _exit.exit_code_for(error)


def _about(report: Report) -> None:
    report.section(f"claude-usage {__version__}")
    python = f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})"
    report.item("python", python)
    report.item("platform", f"{sys.platform} ({platform.platform(terse=True)})")
    report.document.update(version=__version__, python=python, platform=sys.platform)
    foreign = foreign_distributions()
    report.document["foreign_distributions"] = foreign
    for name in foreign:
        report.note(
            f"warning: {name} is installed too and is not part of claude-usage: it claims the same "
            "`claude_usage` package or `claude-usage` name, so one of the two may be broken; "
            f"uninstall one (pip uninstall {name.split()[0]})"
        )


#: The distributions of this project; anything else providing the
#: ``claude_usage`` import package, or a ``claude-usage`` that does not
#: depend on our core, is someone else's project with a clashing name.
OURS = {"claude-usage-core", "claude-usage-creds-linux", "claude-usage-creds-macos", "claude-usage"}


def foreign_distributions() -> list[str]:
    """Installed distributions that clash with ours, as ``name version``."""
    from importlib import metadata

    found: set[str] = set()
    for name in metadata.packages_distributions().get("claude_usage", []):
        if _normalise(name) not in OURS:
            found.add(name)
    try:
        meta = metadata.distribution("claude-usage")
    except metadata.PackageNotFoundError:
        meta = None
    if meta is not None and not any(_normalise(req).startswith("claude-usage-core") for req in meta.requires or []):
        found.add("claude-usage")
    return sorted(f"{name} {metadata.version(name)}" for name in found)


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _configuration(report: Report, args: argparse.Namespace) -> UsageClient | None:
    from claude_usage import UsageClient

    report.section("Configuration")
    proxies = {name: _redact_url(os.environ[name]) for name in PROXY_VARIABLES if os.environ.get(name)}
    try:
        client = UsageClient(timeout=args.timeout)
    except ConfigurationError as error:
        report.item("problem", one_line(str(error)))
        report.document["config"] = {"error": _error_document(error), "proxies": proxies}
        report.fail(error)
        return None
    config = client.config
    report.item("endpoint", config.url)
    report.item("timeout", f"{config.timeout:g}s")
    report.item("user agent", config.user_agent)
    report.item("CA bundle", config.ca_bundle or "system default")
    report.item("proxies", ", ".join(f"{k}={v}" for k, v in proxies.items()) or "none")
    report.document["config"] = {
        "url": config.url,
        "timeout": config.timeout,
        "user_agent": config.user_agent,
        "ca_bundle": config.ca_bundle,
        "proxies": proxies,
        "error": None,
    }
    return client


def _backends(report: Report, args: argparse.Namespace) -> list[BackendStatus]:
    from claude_usage import _registry

    report.section("Backends")
    statuses = _registry.backend_statuses(args.config_dir)
    explicit = _registry.explicit_choice(args.backend)
    chosen = _registry.would_choose(statuses, explicit)
    width = max((len(s.name) for s in statuses), default=0)
    for status in statuses:
        mark = "*" if status.name == chosen else " "
        report.lines.append(f"{mark} {status.name:<{width}}  {status.state}  [{status.origin}]")
    if not statuses:
        report.note("none installed")
    if chosen is None:
        why = f"{explicit!r} was asked for and cannot be used" if explicit else "none can be chosen automatically"
        report.item("chosen", f"none ({why})")
    elif explicit is not None:
        origin = "--backend" if args.backend else "CLAUDE_USAGE_BACKEND"
        report.item("chosen", f"{chosen} (explicitly, by {origin})")
    else:
        report.item("chosen", f"{chosen} (highest priority)")
    report.document.update(
        backends=[
            {
                "name": s.name,
                "origin": s.origin,
                "priority": s.priority,
                "automatic": s.automatic,
                "reason": s.reason,
                "description": s.description,
            }
            for s in statuses
        ],
        selected=chosen,
        explicit=explicit,
        selection=None if chosen is None else ("explicit" if explicit else "priority"),
    )
    return statuses


def _credentials(report: Report, args: argparse.Namespace, statuses: Sequence[BackendStatus]) -> bool:
    """Read the credentials' metadata; True when there are credentials to send."""
    from claude_usage.selection import select_and_load

    report.section("Credentials")
    backend: CredentialBackend
    credentials: Credentials
    try:
        backend, credentials = select_and_load(args.backend, config_dir=args.config_dir)
    except ClaudeUsageError as error:
        tried = _first_tried(args, statuses)
        if tried is not None:
            report.document["credentials_details"] = _details(report, tried)
        report.item("problem", one_line(str(error)))
        report.document["credentials"] = None
        report.document["credentials_error"] = _error_document(error)
        report.fail(error, statuses)
        return False
    now = datetime.now(timezone.utc)
    name = backend.name or type(backend).__name__
    document: dict[str, Any] = {
        "backend": name,
        "source": _describe(backend),
        "subscription_type": credentials.subscription_type,
        "rate_limit_tier": credentials.rate_limit_tier,
        "scopes": None if credentials.scopes is None else list(credentials.scopes),
        "has_profile_scope": None if credentials.scopes is None else PROFILE_SCOPE in credentials.scopes,
        "expires_at": None if credentials.expires_at is None else credentials.expires_at.isoformat(),
        "expired": credentials.is_expired(now),
    }
    expires_at = credentials.expires_at
    expired = credentials.is_expired(now)
    del credentials  # metadata copied; the token goes no further
    report.item("backend", name)
    report.item("source", document["source"])
    report.document["credentials_details"] = _details(report, backend)
    report.item("subscription", document["subscription_type"] or "unknown")
    report.item("rate-limit tier", document["rate_limit_tier"] or "unknown")
    scopes = document["scopes"]
    if scopes is None:
        report.item("scopes", "unknown (not stored with this token): it will be tried")
    else:
        origin = " (from CLAUDE_CODE_OAUTH_SCOPES, or its default)" if name == "env" else ""
        report.item("scopes", " ".join(scopes) + origin if scopes else "none")
        if PROFILE_SCOPE not in scopes:
            report.note(f"warning: {PROFILE_SCOPE} is MISSING: no request will be sent with this token")
    if expires_at is None:
        report.item("expires", "unknown")
    elif expired:
        ago = format_duration((now - expires_at).total_seconds())
        report.item("expires", f"{expires_at:%Y-%m-%d %H:%M} UTC: EXPIRED {ago} ago")
    else:
        left = format_duration((expires_at - now).total_seconds())
        report.item("expires", f"{expires_at:%Y-%m-%d %H:%M} UTC (in {left})")
    report.document["credentials"] = document
    report.document["credentials_error"] = None
    return True


def _first_tried(args: argparse.Namespace, statuses: Sequence[BackendStatus]) -> CredentialBackend | None:
    """The backend a failed read started with (an explicit choice, or the
    highest priority one)."""
    from claude_usage import _registry

    chosen = _registry.would_choose(statuses, _registry.explicit_choice(args.backend))
    return next((s.backend for s in statuses if s.name == chosen and s.backend is not None), None)


def _details(report: Report, backend: CredentialBackend) -> dict[str, str]:
    """The backend's own facts (the Keychain's reader, service and account)."""
    try:
        found = backend.details()
    except Exception:
        return {}
    details = {str(label): str(value) for label, value in found.items()}
    for label, value in details.items():
        report.item(label, value)
    return details


def _describe(backend: CredentialBackend) -> str:
    try:
        return backend.describe()
    except Exception:
        return type(backend).__name__


@attrs.frozen
class HeldBack:
    """A back-off in force for this account, as the cache section found it."""

    until: float
    remaining: float
    reason: str
    blocked: bool  # a 401/403 block, lifted early by a new login
    bypassable: bool  # --retry-now may skip it (every back-off but a 429's)


def _cache(report: Report, args: argparse.Namespace, client: UsageClient | None) -> HeldBack | None:
    """The cache section; returns the back-off in force, if any."""
    from claude_usage import UsageCache
    from claude_usage.cache import cache_key

    report.section("Cache")
    cache = UsageCache()
    base_url = client.config.base_url if client is not None else None
    path = cache.path_for(cache_key(args.backend, config_dir=args.config_dir, base_url=base_url))
    entry: CacheEntry | None = cache.peek(args.backend, config_dir=args.config_dir, base_url=base_url)
    now = time.time()
    report.item("directory", str(cache.directory))
    document: dict[str, Any] = {"directory": str(cache.directory), "file": str(path), "entry": entry is not None}
    remaining = 0.0 if entry is None else entry.backoff_remaining(now)
    if entry is None:
        report.item("entry", "none for this account yet")
    else:
        report.item("file", str(path))
        if entry.body is not None and entry.fetched_at is not None:
            report.item("data", f"from {_when(entry.fetched_at)} ({format_age(now - entry.fetched_at)} ago)")
        else:
            report.item("data", "none (no request has succeeded yet)")
        reason = entry.error.get("message") if entry.error else None
        if remaining > 0 and entry.backoff_until is not None:
            report.item("back-off", f"until {_when(entry.backoff_until)} (in {format_duration(remaining)})")
            if isinstance(reason, str):
                report.item("because", one_line(reason))
            if entry.blocked_stamp is not None:
                report.note("no request is sent until the credentials change (a new login) or the back-off ends")
        else:
            report.item("back-off", "none")
        held = entry.held_block_remaining(now)
        if held > 0 and entry.held_block is not None:
            # A 401/403 block the store failure interrupted: it is back in
            # force as soon as the store answers with the same login.
            report.item("held block", f"until {_when(now + held)} (in {format_duration(held)})")
            message = entry.held_block["error"].get("message")
            if isinstance(message, str):
                report.item("because", one_line(message))
            report.note(
                "once the credentials can be read again, no request is sent with the same login until the "
                "block ends; a new login lifts it"
            )
        document.update(
            held_block_until=iso(now + held) if held > 0 else None,
            fetched_at=None if entry.fetched_at is None else iso(entry.fetched_at),
            age_seconds=None if entry.fetched_at is None else round(now - entry.fetched_at, 3),
            backoff_until=iso(entry.backoff_until) if remaining > 0 and entry.backoff_until is not None else None,
            backoff_remaining=round(remaining, 3),
            backoff_reason=reason if remaining > 0 and isinstance(reason, str) else None,
            blocked_until_new_login=remaining > 0 and entry.blocked_stamp is not None,
        )
    report.document["cache"] = document
    if entry is None or remaining <= 0:
        return None
    message = entry.error.get("message") if entry.error else None
    kind = entry.error.get("type") if entry.error else None
    return HeldBack(
        until=now + remaining,
        remaining=remaining,
        reason=one_line(message) if isinstance(message, str) else "unknown failure",
        blocked=entry.blocked_stamp is not None,
        bypassable=kind != "RateLimitError",
    )


def _summary(cached: CachedUsage) -> list[str]:
    usage = cached.data
    parts = [f"{window_label(key, w.label)} {format_percent(w.utilization)}" for key, w in usage.windows.items()]
    lines = [", ".join(parts) or "no windows reported"]
    active = usage.active_limit
    if active is not None:
        lines.append(f"{limit_label(active)} {format_percent(active.percent)}")
    return lines


def _request_sent(args: argparse.Namespace, client: UsageClient, since: float) -> bool:
    """Whether the live call sent a request: the cache entry records every
    answer and every failure it was given (a held-back call changes nothing)."""
    from claude_usage import UsageCache

    entry = UsageCache().peek(args.backend, config_dir=args.config_dir, base_url=client.config.base_url)
    if entry is None:
        return False
    # A credential back-off records a failure found before anything was sent.
    failed_at = entry.backoff_set_at if entry.store_stamp is None else None
    return any(when is not None and when >= since for when in (entry.fetched_at, failed_at))


def _held_back(report: Report, args: argparse.Namespace, held: HeldBack, error: ClaudeUsageError | None) -> None:
    """Say plainly that nothing was sent, when something will be, and what
    to do: the advice is about the earlier failure the back-off follows."""
    until = f"{_when(held.until)} (in {format_duration(held.remaining)})"
    live = report.document.get("live")
    if isinstance(live, dict):
        live.update(next_request_at=iso(held.until), retry_now_possible=held.bypassable)
    report.item("result", f"no request sent: claude-usage is holding back until {until}")
    report.item("because", f"the last request failed: {held.reason}")
    if held.blocked:
        report.item("next request", f"after {_when(held.until)}, or as soon as the credentials change (a new login)")
    else:
        report.item("next request", f"after {_when(held.until)}, when a claude-usage command next needs data")
    lines = [
        f"No request was sent: the last one failed and claude-usage waits until {until} before asking "
        "again, so that a failure never turns into a stream of requests.",
        "Once you have fixed the cause, `claude-usage doctor --retry-now` sends one request now."
        if held.bypassable
        else "This wait is the server's own (429 rate limit): nothing overrides it, not even --retry-now.",
    ]
    if error is not None:
        cause = advice_for(error)
        lines += [f"About the last failure: {cause[0]}", *cause[1:]]
    for line in lines:
        report.lines.append(f"  advice: {line}")
    report.advice.extend(lines)
    if report.exit_code == _exit.OK:
        report.exit_code = _exit.exit_code_for(error) if error is not None else _exit.UNAVAILABLE


def _live(report: Report, args: argparse.Namespace, client: UsageClient, held: HeldBack | None) -> None:
    report.section("Live check")
    started = time.monotonic()
    asked_at = time.time()
    retry_now = bool(getattr(args, "retry_now", False))
    try:
        cached = fetch(args, client, max_age=args.max_age, retry_now=retry_now)
    except ClaudeUsageError as error:
        sent = _request_sent(args, client, asked_at)
        report.document["live"] = {
            "ok": False,
            "sent": sent,
            "stale": False,
            "fetched_at": None,
            "error": _error_document(error),
        }
        if not sent and held is not None:
            _held_back(report, args, held, error)
            return
        report.item("result", f"FAILED: {one_line(str(error))}")
        report.fail(error)
        return
    elapsed = time.monotonic() - started
    if cached.stale:
        failure = cached.error
        sent = _request_sent(args, client, asked_at)
        report.document["live"] = {
            "ok": False,
            "sent": sent,
            "stale": True,
            "fetched_at": iso(cached.fetched_at),
            "error": None if failure is None else _error_document(failure),
        }
        if not sent and held is not None:
            _held_back(report, args, held, failure)
        else:
            said = one_line(str(failure)) if failure is not None else "not refreshed"
            report.item("result", f"FAILED: {said}")
            if failure is not None:
                report.fail(failure)
            elif report.exit_code == _exit.OK:
                report.exit_code = _exit.UNAVAILABLE
        report.item("cached data", f"from {format_age(cached.age())} ago: " + ", binding ".join(_summary(cached)))
        return
    if cached.fetched_at < asked_at:
        report.item(
            "result", f"OK, from the cache ({format_age(cached.age())} old, --max-age {args.max_age:g}): no request"
        )
    else:
        report.item("result", f"OK ({elapsed * 1000:.0f} ms)")
    usage, *binding = _summary(cached)
    report.item("usage", usage)
    for line in binding:
        report.item("binding", line)
    report.document["live"] = {
        "ok": True,
        "sent": cached.fetched_at >= asked_at,
        "stale": False,
        "fetched_at": iso(cached.fetched_at),
        "error": None,
    }


def cmd_doctor(args: argparse.Namespace) -> int:
    report = Report()
    _about(report)
    client = _configuration(report, args)
    try:
        statuses = _backends(report, args)
        have_credentials = _credentials(report, args, statuses)
        held = _cache(report, args, client)
        if client is None or not have_credentials:
            report.section("Live check")
            report.item("result", "skipped: " + ("no usable configuration" if client is None else "no credentials"))
            report.document["live"] = None
        else:
            _live(report, args, client, held)
    finally:
        if client is not None:
            client.close()
    report.document["advice"] = report.advice
    report.document["exit_code"] = report.exit_code
    if args.json:
        sys.stdout.write(json.dumps(report.document, indent=2) + "\n")
    else:
        sys.stdout.write("\n".join(report.lines) + "\n")
    return report.exit_code
