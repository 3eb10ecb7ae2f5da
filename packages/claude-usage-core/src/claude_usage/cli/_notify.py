"""``claude-usage notify``: tell the user before they hit the wall.

Reads through the shared cache (no extra API calls) and sends through
apprise (desktop notifications, ntfy, Slack, Discord, Telegram, email,
webhooks). Each notification goes once per account, per window, per
threshold, per reset cycle and per target: what was sent is remembered in
``notify-state.json`` in the cache directory (mode 0600), under a lock, so
cron running it every minute, or two runs at once, send one message, not
sixty. Accounts are told apart by the shared cache's own key (never by the
token), targets by a digest of their URL (never the URL itself, which may
hold a secret). A delivery that fails is not remembered, so the next run
tries that target again, and only that one. A state file that cannot be
written stops the run before anything is sent (exit 2): every run would
send again otherwise.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import attrs

from claude_usage._defaults import ENV_OAUTH_TOKEN
from claude_usage._files import write_private
from claude_usage._lock import FileLock
from claude_usage.cli import _exit
from claude_usage.cli._render import describe_pace, describe_reset, format_percent
from claude_usage.cli._usage import PROG, Measure, fetch, iso_or_none, open_client, select, warn_if_stale
from claude_usage.cli._usage import history as load_history
from claude_usage.errors import ConfigurationError

if TYPE_CHECKING:
    from apprise import Apprise

    from claude_usage.cache import CachedUsage
    from claude_usage.history import History

STATE_FILE = "notify-state.json"
#: 2: a section per account, a mark per target. A version-1 file (one
#: shared section, a mark meaning "every target") is taken over by the first
#: account that reads it, its marks still counting for every target.
STATE_VERSION = 2
#: A reset time is the cycle's name, rounded: the API's resets_at moves by
#: fractions of a second between answers, and cycles are hours apart.
CYCLE_ROUNDING = 300
#: The shortest --watch interval that may ask the API (the cache's floor).
REFRESH_FLOOR = 15.0
TITLE = "Claude usage"

#: Schemes whose URL has a server's name where the host goes: only their
#: host is ever printed. Every other scheme may put a secret there
#: (slack://TOKEN_A/..., tgram://BOT_TOKEN/..., discord://WEBHOOK_ID/...),
#: so only ``scheme://...`` is printed for them.
SERVER_HOST_SCHEMES = frozenset(
    {"json", "jsons", "xml", "xmls", "form", "forms", "http", "https", "ntfy", "ntfys", "mailto", "mailtos"}
    | {"gotify", "gotifys"}
)
#: ``ntfy://TOPIC`` is a topic on ntfy.sh (whoever knows it reads it): the
#: host is a server only when a path (the topic) follows it.
TOPIC_HOST_SCHEMES = frozenset({"ntfy", "ntfys"})
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}")
_HOST = re.compile(r"(?:(?:[A-Za-z0-9_-]{1,63}\.)*[A-Za-z0-9_-]{1,63}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")
_NETLOC_END = re.compile(r"[/?#]")


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
    """The name a measure goes by in its account's section of the state file."""
    return f"{measure.type}:{measure.name}:{measure.label}"


def target_digest(url: str) -> str:
    """The name a target goes by in the state file: a digest of its URL,
    never the URL (it may hold a token)."""
    import hashlib

    return hashlib.sha256(b"claude-usage notify target\0" + url.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def profile_name(backend: str | None, config_dir: str | None) -> str | None:
    """How messages name the account when it is not the default profile:
    ``CLAUDE_CODE_OAUTH_TOKEN`` when that variable's token is used (as the
    shared cache decides it), else the profile directory (``~`` for home);
    None for the default profile."""
    from claude_usage.cache import backend_selection, env_token_wins
    from claude_usage.profiles import storage_dir

    if env_token_wins(backend_selection(backend), config_dir):
        return ENV_OAUTH_TOKEN
    directory = storage_dir(config_dir)
    if directory is None:
        return None
    home = os.path.expanduser("~").rstrip(os.sep)
    if home and (directory == home or directory.startswith(home + os.sep)):
        return "~" + directory[len(home) :]
    return directory


@attrs.frozen
class Account:
    """Whose usage this is: the shared cache's key for the account/profile
    (:func:`claude_usage.cache.cache_key`, a digest, never the token) and
    the name messages give it (None: the default profile, not named)."""

    key: str
    name: str | None = None


@attrs.frozen
class Event:
    """One notification due: the state key that marks it sent (a target's
    digest is added per target), and (for a reset) the "over" mark that
    delivering it everywhere clears."""

    key: str
    cycle: str
    body: str
    kind: str  # "above", "forecast" or "reset"
    measure: Measure
    threshold: float | None = None
    clears: str | None = None

    def document(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "window": self.measure.name,
            "type": self.measure.type,
            "label": self.measure.label,
            "threshold": self.threshold,
            "percent": self.measure.percent,
            "resets_at": iso_or_none(self.measure.resets_at),
            "message": self.body,
        }


def events(
    measures: Sequence[Measure],
    over: dict[str, str],
    *,
    above: float,
    forecast: bool,
    on_reset: bool,
    now: datetime,
    time_style: str = "relative",
    history: History | None = None,
    profile: str | None = None,
) -> list[Event]:
    """What is due now, sent already or not: over ``above``, on pace to run
    out (``forecast``), reset since it was over (``on_reset``: ``over`` says
    which windows were over the threshold in which cycle). ``profile``
    prefixes each message."""
    prefix = f"{profile}: " if profile else ""
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
        if measure.percent >= above:
            body = f"{prefix}{measure.label} is at {format_percent(measure.percent)} (over {above:g}%); {reset}"
            found.append(Event(f"{key}|above|{above:g}", cycle, body, "above", measure, above))
        if forecast:
            pace = measure.forecast(now, history)
            if pace.runs_out:
                said = describe_pace(pace, now, time_style)
                body = f"{prefix}{measure.label} {format_percent(measure.percent)} is {said}"
                found.append(Event(f"{key}|forecast", cycle, body, "forecast", measure))
        if on_reset:
            previous = over.get(key)
            if previous is not None and previous != cycle and measure.percent < above:
                body = f"{prefix}{measure.label} has reset: {format_percent(measure.percent)} used"
                found.append(Event(f"{key}|reset|{previous}", cycle, body, "reset", measure, above, clears=key))
    return found


def _state_path(directory: str) -> str:
    return os.path.join(directory, STATE_FILE)


def _empty_state() -> dict[str, Any]:
    return {"version": STATE_VERSION, "accounts": {}}


def read_state(path: str) -> dict[str, Any]:
    """The state file, or an empty state when it is missing, corrupt or of
    an older unknown shape; a state of a newer version is refused
    (ConfigurationError) rather than overwritten."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError):
        return _empty_state()
    if not isinstance(document, dict):
        return _empty_state()
    if document.get("version") == 1:  # one section, shared by every account
        state = _empty_state()
        state["unclaimed"] = {name: document.get(name) for name in ("sent", "over")}
        return state
    version = document.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > STATE_VERSION:
        # A newer claude-usage wrote it: overwriting it would forget what was
        # sent, and everything would be sent again.
        raise ConfigurationError(
            f"{path} was written by a newer claude-usage (state version {version}); "
            "upgrade claude-usage, or remove the file (what was sent is then sent again)"
        )
    if version != STATE_VERSION or not isinstance(document.get("accounts"), dict):
        return _empty_state()
    return document


def account_state(state: dict[str, Any], account: str) -> dict[str, dict[str, str]]:
    """``account``'s section of the state: ``sent`` (mark -> cycle) and
    ``over`` (window -> cycle it was over the threshold in)."""
    accounts: dict[str, Any] = state["accounts"]
    section = accounts.get(account)
    if not isinstance(section, dict):
        section = accounts[account] = state.pop("unclaimed", None) or {}
    for name in ("sent", "over"):
        if not isinstance(section.get(name), dict):
            section[name] = {}
    return section


#: Marks of cycles that reset longer ago than this are dropped: the state
#: file stays the size of what can still matter (a weekly window's cycle).
FORGET_AFTER = 8 * 86400.0


def _forget_old_cycles(state: dict[str, Any], now: datetime) -> None:
    """Drop the marks of cycles that reset more than :data:`FORGET_AFTER`
    ago, in every account's section, so the file does not grow forever."""
    oldest = now.timestamp() - FORGET_AFTER
    for section in state["accounts"].values():
        if not isinstance(section, dict):
            continue
        for name in ("sent", "over"):
            marks = section.get(name)
            if not isinstance(marks, dict):
                continue
            for key, cycle in list(marks.items()):
                try:
                    stale = float(cycle) < oldest
                except (TypeError, ValueError):
                    stale = False  # "none" (no reset time) or a mark of another shape: kept
                if stale:
                    del marks[key]


def _remember_over(over: dict[str, str], measures: Sequence[Measure], above: float) -> None:
    """Which windows are over the threshold now, and in which cycle (what
    ``--on-reset`` compares with); a window under it keeps its old mark until
    the reset is told."""
    for measure in measures:
        if measure.percent >= above:
            over[state_key(measure)] = cycle_of(measure)


def _redact(url: str) -> str:
    """The URL as it may be printed: the host only for schemes whose host is
    a server's name (never the user, password, path or query), else only
    the scheme."""
    scheme, separator, rest = url.strip().partition("://")
    if not separator or not _SCHEME.fullmatch(scheme):
        return "(not a URL)"
    scheme = scheme.lower()
    hidden = f"{scheme}://..."
    if scheme not in SERVER_HOST_SCHEMES:
        return hidden
    netloc = _NETLOC_END.split(rest, maxsplit=1)[0]
    after = rest[len(netloc) :]
    host = netloc.rsplit("@", 1)[-1]
    if "@" in after or not _HOST.fullmatch(host):
        return hidden  # a user or password with a / in it, or no plain host: nothing is certain
    if scheme in TOPIC_HOST_SCHEMES and not _NETLOC_END.split(after.lstrip("/"), maxsplit=1)[0]:
        return hidden  # ntfy://TOPIC
    return f"{scheme}://{host}" + ("/..." if after or "@" in netloc else "")


@attrs.frozen(eq=False)
class Target:
    """One place notifications go: its ``--to`` position (None for the
    desktop), its URL as printed, and its digest in the state file."""

    index: int | None
    shown: str
    digest: str
    sender: Apprise

    def describe(self) -> str:
        if self.index is None:
            return f"the desktop notification ({self.shown})"
        return f"--to #{self.index} ({self.shown})"

    def document(self) -> dict[str, Any]:
        return {"to": self.index, "url": self.shown}


class Notifier:
    """The apprise targets, checked before anything is fetched."""

    def __init__(self, urls: Sequence[str]) -> None:
        try:
            import apprise
        except ImportError:
            raise ConfigurationError(
                "notify needs apprise: pip install 'claude-usage-core[notify]' (the claude-usage package includes it)"
            ) from None
        self.targets: list[Target] = []
        if not urls:
            for url in desktop_urls():
                sender = apprise.Apprise()
                if sender.add(url):
                    self.targets.append(Target(None, url, target_digest("desktop"), sender))
                    return
            raise ConfigurationError(
                "notify: no desktop notification here (apprise needs dbus-python or PyGObject on Linux); "
                "pass --to URL, e.g. --to ntfy://my-topic"
            )
        for index, url in enumerate(urls, 1):
            sender = apprise.Apprise()
            if not sender.add(url):
                raise ConfigurationError(f"notify cannot use --to #{index} ({_redact(url)}); see apprise's URL formats")
            digest = target_digest(url)
            if all(target.digest != digest for target in self.targets):  # the same URL twice: one target
                self.targets.append(Target(index, _redact(url), digest, sender))

    @staticmethod
    def send(target: Target, body: str) -> bool:
        return bool(target.sender.notify(body=body, title=TITLE))


@attrs.define
class Report:
    """What a run did, for ``--json``."""

    profile: str | None = None
    busy: bool = False
    sent: list[dict[str, Any]] = attrs.field(factory=list)
    failed: list[dict[str, Any]] = attrs.field(factory=list)
    already_sent: list[dict[str, Any]] = attrs.field(factory=list)

    def document(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "busy": self.busy,
            "sent": self.sent,
            "failed": self.failed,
            "already_sent": self.already_sent,
        }


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def _why_unwritable(path: str) -> str:
    """Why ``write_private`` could not replace ``path``."""
    if os.path.isdir(path):
        return "it is a directory"
    probe = os.path.join(os.path.dirname(path), f".probe-{os.getpid()}-{time.time_ns()}")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(probe)
    except OSError as error:
        return f"its directory cannot be written ({_reason(error)})"
    return "it cannot be replaced"


def _unwritable(path: str, reason: str, *, before: bool = True) -> ConfigurationError:
    said = (
        "nothing sent (every run would send again)"
        if before
        else "what was sent this time is not remembered: the next run sends it again"
    )
    return ConfigurationError(f"notify cannot write its state file {path}: {reason}; {said}")


def deliver(
    todo: Sequence[Event], notifier: Notifier, section: dict[str, dict[str, str]], report: Report, *, text: bool
) -> bool:
    """Send each event to the targets that do not have it yet; marks what
    was delivered, and says what was not in one line each. True if a
    delivery failed."""
    sent = section["sent"]
    targets = notifier.targets
    any_failed = False
    for event in todo:
        document = event.document()
        # A version-1 mark (no target in it) stands for every target.
        had = [t for t in targets if event.cycle in (sent.get(f"{event.key}|{t.digest}"), sent.get(event.key))]
        due = [t for t in targets if t not in had]
        delivered = [t for t in due if notifier.send(t, event.body)]
        failed = [t for t in due if t not in delivered]
        for target in delivered:
            sent[f"{event.key}|{target.digest}"] = event.cycle
        if not failed and event.clears is not None:
            section["over"].pop(event.clears, None)
        document.update(
            delivered_to=[t.document() for t in delivered],
            failed_to=[t.document() for t in failed],
            already_sent_to=[t.document() for t in had],
        )
        if not due:
            report.already_sent.append(document)
            continue
        if delivered and text:
            sys.stdout.write(f"sent: {event.body}\n")
        if failed:
            any_failed = True
            report.failed.append(document)
            names = ", ".join(t.describe() for t in failed)
            count = (
                f"delivered to {len(had) + len(delivered)} of {len(targets)} target{'s' if len(targets) > 1 else ''}"
            )
            sys.stderr.write(
                f"{PROG}: notify: not delivered to {names} ({count}; tried again next run): {event.body}\n"
            )
        else:
            report.sent.append(document)
    return any_failed


def run_once(
    args: argparse.Namespace,
    notifier: Notifier,
    cached: CachedUsage,
    directory: str,
    account: Account,
    history: History | None = None,
) -> int:
    measures, _note = select(cached.data, args.window)
    now = datetime.now(timezone.utc)
    path = _state_path(directory)
    report = Report(profile=account.name)
    lock = FileLock(path + ".lock", 30.0)
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        locked = lock.acquire()
    except OSError as error:
        raise _unwritable(path + ".lock", _reason(error)) from None
    if not locked:
        sys.stderr.write(f"{PROG}: notify: another notify holds the state file; nothing sent this time\n")
        report.busy = True
        _print_report(args, report)
        return _exit.OK
    try:
        state = read_state(path)
        # A state that cannot be written would send everything again on
        # every run: find out before sending anything.
        if not write_private(path, json.dumps(state, sort_keys=True)):
            raise _unwritable(path, _why_unwritable(path))
        section = account_state(state, account.key)
        todo = events(
            measures,
            section["over"],
            above=args.above,
            forecast=args.forecast,
            on_reset=args.on_reset,
            now=now,
            time_style=args.time,
            history=history,
            profile=account.name,
        )
        failed = deliver(todo, notifier, section, report, text=not args.json)
        _remember_over(section["over"], measures, args.above)
        _forget_old_cycles(state, now)
        if not write_private(path, json.dumps(state, sort_keys=True)):
            _print_report(args, report)  # what was sent, before saying it cannot be remembered
            raise _unwritable(path, _why_unwritable(path), before=False)
    finally:
        lock.release()
    _print_report(args, report)
    sys.stdout.flush()
    return _exit.NOT_DELIVERED if failed else _exit.OK


def _print_report(args: argparse.Namespace, report: Report) -> None:
    if args.json:
        sys.stdout.write(json.dumps(report.document()) + "\n")


#: Loggers that would print a target's URL, or the path of a webhook that
#: holds its secret (Telegram's bot token, Discord's and Slack's webhook
#: tokens), at -v or -vv: silenced in notify, whatever the verbosity.
URL_LOGGERS = ("apprise", "urllib3")


def _silence_url_loggers() -> None:
    for name in URL_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.CRITICAL + 1)
        logger.propagate = False


def cmd_notify(args: argparse.Namespace) -> int:
    from claude_usage.cache import UsageCache, cache_key

    _silence_url_loggers()
    notifier = Notifier(args.to)
    directory = str(UsageCache().directory)
    name = profile_name(args.backend, args.config_dir)
    max_age = args.max_age
    while True:
        with open_client(args) as client:
            # The shared cache's own key for this account/profile: the state
            # keeps one section per account, as the cache keeps one file.
            account = Account(
                cache_key(args.backend, config_dir=args.config_dir, base_url=client.config.base_url), name
            )
            cached = fetch(args, client, max_age=max_age)
            recent = load_history(args, client) if args.forecast else None
        warn_if_stale(cached, "using")
        code = run_once(args, notifier, cached, directory, account, recent)
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
        "several (each is told once; one that fails is retried alone). Default: this platform's desktop notification",
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
