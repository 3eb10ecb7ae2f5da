"""Argument parsing, dispatch, and the rule that errors are one line.

Every :class:`ClaudeUsageError` becomes ``claude-usage: error: <message>`` on
stderr and its documented exit code; anything else is a bug, reported in one
line too (``-v`` adds the traceback).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from claude_usage._version import __version__
from claude_usage.cache import DEFAULT_MAX_AGE
from claude_usage.cli import _exit, _render, _usage
from claude_usage.errors import ClaudeUsageError, ConfigurationError

PROG = "claude-usage"

EXIT_CODES_HELP = "exit codes:\n" + _exit.describe()

ERROR_CODES = _exit.describe(
    (_exit.USAGE, _exit.CREDENTIALS, _exit.REJECTED, _exit.RATE_LIMITED, _exit.UNAVAILABLE, _exit.INTERNAL)
)

STALE_NOTE = """\
  When a 429 back-off or a network failure keeps the shared cache from
  refreshing, the last good data is used, with one warning line on stderr
  and the usual exit code; 5 and 6 mean there was no data to use.
"""

COMMAND_EXIT_CODES = {
    "show": "  0   success (also with older cached data; see below)\n" + ERROR_CODES + STALE_NOTE,
    "check": "  0   under the threshold (and, with --forecast, not on pace to run out)\n"
    "  1   at or over the threshold, or with --forecast on pace to run out before the reset\n"
    + ERROR_CODES
    + STALE_NOTE,
    "wait": "  0   under the threshold (at once, or after waiting)\n  1   --max-wait elapsed first\n"
    + ERROR_CODES
    + "  130 interrupted (Ctrl-C or SIGTERM): never 0, which would say usage is under\n"
    + STALE_NOTE,
    "watch": "  0   after --count renders, or on Ctrl-C or SIGTERM\n"
    + ERROR_CODES
    + "  2-6 only when the first fetch fails; later failures keep the last data on\n"
    "  screen, marked stale.\n",
    "doctor": "  0   the live call succeeded\n"
    + ERROR_CODES
    + "  2-6 are the code of the first problem found (configuration, credentials,\n"
    "  then the live call, including a back-off still in force).\n",
    "notify": "  0   done: any notification due was delivered (or none was due)\n"
    + ERROR_CODES
    + "  7   a notification could not be delivered to a target (named); it is not marked sent for that\n"
    "      target, so the next run tries it again (and only it)\n"
    "  2 also for an --to URL apprise cannot use (named), apprise missing, or a state file that\n"
    "  cannot be written or was written by a newer claude-usage (nothing is sent).\n",
    "serve": "  0   stopped (Ctrl-C or SIGTERM), or --textfile written\n"
    "  2   prometheus_client missing, or the port / file cannot be used\n",
    "backends": "  0   success\n",
}

#: --max-age when not given: doctor makes a live call, the others accept a minute.
MAX_AGE_DEFAULTS = {"doctor": 0.0}

#: Every environment variable claude-usage reads: the one list ``--help``
#: prints, and that tests/cli/test_docs.py holds README.md and docs/cli.md to.
ENVIRONMENT: tuple[tuple[str, str], ...] = (
    ("CLAUDE_USAGE_BACKEND", "credential backend to use (as --backend)"),
    ("CLAUDE_CONFIG_DIR", "Claude Code profile directory, as Claude Code reads it"),
    ("CLAUDE_SECURESTORAGE_CONFIG_DIR", "where newer Claude Code builds keep credentials (wins)"),
    ("CLAUDE_CODE_OAUTH_TOKEN", "a bare token (the env backend; usually inference-only)"),
    ("CLAUDE_CODE_OAUTH_SCOPES", "that token's scopes, space-separated (default user:inference only)"),
    ("CLAUDE_CODE_SUBSCRIPTION_TYPE", "that token's subscription type, as Claude Code reads it"),
    ("CLAUDE_CODE_RATE_LIMIT_TIER", "that token's rate-limit tier, as Claude Code reads it"),
    ("CLAUDE_CODE_CUSTOM_OAUTH_URL", "a FedStart origin Claude Code logs in to: the API origin and store names"),
    ("CLAUDE_USAGE_KEYCHAIN_READER", "how the keychain backend reads: security (the default on a Mac) or keyring"),
    ("CLAUDE_USAGE_BASE_URL", "API base URL (https, or http to a loopback host)"),
    ("CLAUDE_USAGE_TIMEOUT", "request timeout in seconds (default 10)"),
    ("CLAUDE_USAGE_USER_AGENT", "User-Agent header (default claude-code/<version> ...)"),
    ("CLAUDE_USAGE_CA_BUNDLE", "CA certificates to trust for TLS"),
    ("CLAUDE_USAGE_CACHE_DIR", "where the shared cache lives (default: the user cache directory)"),
    ("CLAUDE_USAGE_PROFILES", "more profile directories for --all-profiles (os.pathsep-separated)"),
    ("CLAUDE_USAGE_DEBUG", "statusline: print a traceback to stderr on an internal error"),
    (
        "CLAUDE_USAGE_ERRORS",
        "json: each error as one JSON line on stderr (type, exit_code, message, retry_after), for wrappers",
    ),
    ("COLUMNS", "statusline: the width the row must fit in (Claude Code sets it)"),
    (
        "ANTHROPIC_API_KEY, CLAUDE_CODE_USE_BEDROCK, CLAUDE_CODE_USE_VERTEX, CLAUDE_CODE_USE_FOUNDRY",
        "statusline: no subscription quota (model and context shown, no login advice)",
    ),
    ("NO_COLOR", "disable colour"),
    ("HTTPS_PROXY, NO_PROXY", "proxies, as requests reads them"),
)

ENVIRONMENT_HELP = "environment:\n" + "".join(
    f"  {name:<24} {text}\n" if len(name) < 24 else f"  {name}\n  {'':<24} {text}\n" for name, text in ENVIRONMENT
)

WINDOW_NAMES = (
    "a window key (five_hour, seven_day, or any other the API reports), a limit's kind (session, "
    "weekly_all, weekly_scoped) or group (weekly), a model or surface a limit applies to (opus, "
    "'claude code'), 'binding' (the limit the server marks as binding now; without one, the limits for "
    "all models) or 'any' (every window and limit, per-model ones included); case-insensitive"
)
WINDOW_HELP = {
    "check": f"what to compare: {WINDOW_NAMES}. Default: any, so a script hears of any limit at or over",
    "wait": f"what must be under PERCENT: {WINDOW_NAMES}. Default: binding, the one that blocks you now, "
    "not a per-model limit for a model you may not use",
}

DESCRIPTIONS = {
    "show": "Show usage per window, the limits and extra usage.",
    "check": "Compare usage with a threshold: exit 0 when under PERCENT, 1 when at or over; with --forecast, "
    "also 1 when a window is on pace to run out before it resets. Prints one line saying what was compared.",
    "wait": "Return when usage is under PERCENT. When it is at or over, sleep until the window resets "
    "(no polling: one request to learn when, one after the reset to confirm), then check again.",
    "watch": "A live view: the table, re-rendered every interval with how old the data is. "
    "Refreshes go through the shared cache (max age = the interval), so a server back-off is respected. "
    "Ctrl-C stops it.",
    "doctor": "Diagnose the set-up: version, configuration, backends, the credentials found (never the token), "
    "the cache, and a live call, with advice for each problem found.",
    "serve": "Serve usage as Prometheus metrics (or write them once with --textfile). Every scrape reads through "
    "the shared cache (--max-age), so scrapers cause at most one API call per max age and profile.",
    "backends": "List installed credential backends, their priority or why each is unavailable here, "
    "and which one would be used. Never reads or prints a token.",
    "notify": "Send a notification when a window is at or over PERCENT: once per window, per threshold and per "
    "reset cycle, remembered in the cache directory, so running it from cron every minute sends one message. "
    "--forecast also tells when a window is on pace to run out before it resets, --on-reset when a window "
    "that was over has reset. Reads through the shared cache (no extra API calls); delivers through apprise "
    "(--to URL, or the desktop).",
}

HELPS = {
    "show": "show usage per window (the default)",
    "check": "exit 0 when under a threshold, 1 when at or over",
    "wait": "wait until usage is under a threshold",
    "watch": "re-render the usage table every interval",
    "doctor": "diagnose credentials, cache, configuration and the API",
    "serve": "export usage as Prometheus metrics",
    "notify": "send a notification (desktop, ntfy, Slack, ...) once per reset cycle when usage passes a threshold",
    "backends": "list the credential backends and which one would be used",
}

FETCHING = ("show", "check", "wait", "watch", "doctor", "serve", "notify")


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line (exit 2) like every other error."""

    def error(self, message: str) -> NoReturn:
        text = f"{message} (see `{self.prog} --help`)"
        self.exit(_exit.USAGE, _usage.error_line("UsageError", _exit.USAGE, text))


def _common(parser: argparse.ArgumentParser, *, top: bool, command: str | None = None) -> None:
    """Options accepted before and after the command name.

    Sub-parsers use SUPPRESS defaults so that an option given before the
    command is not reset by the sub-parser's default.
    """

    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    group = parser.add_argument_group("common options")
    group.add_argument("--json", action="store_true", default=default(False), help="print JSON instead of text")
    group.add_argument(
        "--backend",
        metavar="NAME",
        default=default(None),
        help="credential backend to use (see `claude-usage backends`); overrides CLAUDE_USAGE_BACKEND",
    )
    group.add_argument(
        "--config-dir",
        metavar="DIR",
        default=default(None),
        help="read this Claude Code profile (as CLAUDE_CONFIG_DIR would) without changing the environment",
    )
    if top or command in FETCHING:
        max_age = MAX_AGE_DEFAULTS.get(command or "show", DEFAULT_MAX_AGE)
        group.add_argument(
            "--max-age",
            metavar="SECONDS",
            type=_usage.seconds_value,
            # None: each command's own default, resolved after parsing.
            default=default(None),
            help=f"use data from the shared cache up to this old (default {max_age:g}); 0 asks for fresh "
            "data, but a back-off the server asked for is still respected",
        )
        group.add_argument(
            "--timeout", metavar="SECONDS", type=float, default=default(None), help="request timeout in seconds"
        )
    group.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default=default("auto"),
        help="colour the output (auto: on a terminal, unless NO_COLOR is set)",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default(0),
        help="log what happens to stderr (-vv adds HTTP details); never logs the token",
    )


def _command_options(name: str, parser: argparse.ArgumentParser) -> None:
    if name == "check":
        group = parser.add_argument_group("check options")
        group.add_argument(
            "--max",
            metavar="PERCENT",
            type=_usage.percent_value,
            default=None,
            help="the threshold: at or over it exits 1 (80 or 80%%); needed unless --forecast is given",
        )
        group.add_argument(
            "--forecast",
            action="store_true",
            default=False,
            help="exit 1 when a selected window is on pace to run out before it resets (the last hour's rate "
            "where the observation log has it, else the average since the window began), saying when",
        )
        group.add_argument("--window", metavar="NAME", default=_usage.ANY, help=WINDOW_HELP["check"])
    elif name == "wait":
        group = parser.add_argument_group("wait options")
        group.add_argument(
            "--below",
            metavar="PERCENT",
            type=_usage.percent_value,
            required=True,
            help="return once usage is under this (50 or 50%%)",
        )
        group.add_argument("--window", metavar="NAME", default=_usage.BINDING, help=WINDOW_HELP["wait"])
        group.add_argument(
            "--max-wait",
            metavar="SECONDS",
            type=_usage.seconds_value,
            default=None,
            help="give up (exit 1) rather than wait longer than this (seconds, or 15m, 2h, 1d); "
            "it exits as soon as the next check would come too late",
        )
    elif name == "doctor":
        group = parser.add_argument_group("doctor options")
        group.add_argument(
            "--retry-now",
            action="store_true",
            default=False,
            help="send one request now even while claude-usage holds back after a failure (a network or server "
            "error, a 401/403), e.g. once you have fixed the cause; a 429's back-off is the server's and still holds",
        )
    elif name == "serve":
        from claude_usage.cli._serve import add_arguments

        add_arguments(parser)
    elif name == "notify":
        from claude_usage.cli import _notify

        _notify.add_arguments(parser)
    elif name == "watch":
        group = parser.add_argument_group("watch options")
        group.add_argument(
            "--interval",
            metavar="SECONDS",
            type=_usage.interval_value,
            default=60.0,
            help="seconds between renders (default 60, at least 0.1); also the max age of each refresh after the "
            "first (--max-age applies to the first render only), but never under 15 s: a shorter interval "
            "re-renders from the shared cache without sending a request",
        )
        group.add_argument(
            "--count",
            metavar="N",
            type=_usage.count_value,
            default=None,
            help="stop after N renders (default: until Ctrl-C)",
        )


TIME_HELP = (
    "how reset and run-out times are printed: relative (in 2h 14m, the default), local (3:30pm (Europe/Berlin), "
    "in your zone; TZ is honoured) or utc"
)
REMAINING_HELP = "show the share left (76%% left) instead of the share used"


def _display_options(parser: argparse.ArgumentParser, *, top: bool, remaining: bool = True) -> None:
    """--time (show, also before any command, watch and check) and
    --remaining (show and watch)."""
    parser.add_argument(
        "--time",
        choices=_render.TIME_STYLES,
        default="relative" if top else argparse.SUPPRESS,
        help=TIME_HELP,
    )
    if remaining:
        parser.add_argument(
            "--remaining", action="store_true", default=False if top else argparse.SUPPRESS, help=REMAINING_HELP
        )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Show how much of your Claude Pro/Max 5-hour and 7-day limits you have used.",
        epilog=EXIT_CODES_HELP + "\n" + ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--all-profiles", action="store_true", default=False, help=ALL_PROFILES_HELP)
    parser.add_argument("--waybar", action="store_true", default=False, help=WAYBAR_HELP)
    _display_options(parser, top=True)
    _common(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in ("show", "check", "wait", "watch", "doctor", "serve", "notify", "backends"):
        sub = commands.add_parser(
            name,
            help=HELPS[name],
            description=textwrap.fill(DESCRIPTIONS[name], 79),
            epilog="exit codes:\n" + COMMAND_EXIT_CODES[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _command_options(name, sub)
        if name == "show":
            sub.add_argument("--all-profiles", action="store_true", default=argparse.SUPPRESS, help=ALL_PROFILES_HELP)
            sub.add_argument("--waybar", action="store_true", default=argparse.SUPPRESS, help=WAYBAR_HELP)
        if name in ("show", "watch", "check", "notify"):
            _display_options(sub, top=False, remaining=name in ("show", "watch"))
        _common(sub, top=False, command=name)
    statusline = commands.add_parser(
        "statusline",
        help="one line for Claude Code's statusLine.command (see `claude-usage statusline --help`)",
        add_help=False,
    )
    statusline.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def _use_colour(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


def _configure_logging(verbosity: int) -> None:
    if verbosity <= 0:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger("claude_usage").setLevel(logging.DEBUG)
    if verbosity >= 2:
        logging.getLogger("urllib3").setLevel(logging.DEBUG)


def _print(text: str) -> None:
    sys.stdout.write(text + "\n")


ALL_PROFILES_HELP = (
    "show every Claude Code profile found: the default one, $CLAUDE_CONFIG_DIR, the directories in "
    "$CLAUDE_USAGE_PROFILES, and ~/.claude-* or ~/.config/claude* holding a .credentials.json"
)


WAYBAR_HELP = (
    "print one JSON line for a Waybar custom module (return-type json): text, tooltip (every window and the "
    "binding limit), class (the binding row's severity) and percentage, escaped as Pango markup; on a "
    "failure, a line that says so (class error) and exit 0, since Waybar hides a module whose command "
    "fails (the error and its code go to stderr)"
)


def cmd_show(args: argparse.Namespace) -> int:
    from claude_usage import unstructure_usage

    if args.waybar and args.json:
        raise ConfigurationError("--waybar and --json are two output formats: give one")
    if args.all_profiles and args.waybar:
        raise ConfigurationError("--waybar shows one profile: use --config-dir DIR instead of --all-profiles")
    if args.all_profiles:
        return _show_all_profiles(args)
    if args.waybar:
        from claude_usage.cli._bars import waybar

        return waybar(args)
    with _usage.open_client(args) as client:
        cached = _usage.fetch(args, client, max_age=args.max_age)
        history = _usage.history(args, client)
    usage = cached.data
    if args.json:
        document = {
            **unstructure_usage(usage, history=history),
            "fetched_at": _usage.iso(cached.fetched_at),
            "stale": cached.stale,
        }
        _print(json.dumps(document, indent=2))
    else:
        from claude_usage.cli._render import Style, render_usage

        width = shutil.get_terminal_size((80, 24)).columns
        _print(
            render_usage(
                usage,
                style=Style(_use_colour(args.color)),
                width=width,
                time_style=args.time,
                remaining=args.remaining,
                history=history,
            )
        )
    _usage.warn_if_stale(cached)
    return _exit.OK


def _show_all_profiles(args: argparse.Namespace) -> int:
    """One section per profile; a profile that fails is reported, not fatal
    to the others, and the exit code is the first failure's (0 if none)."""
    from claude_usage import ClaudeUsageError, unstructure_usage
    from claude_usage.cli._render import Style, render_usage
    from claude_usage.profiles import discover_profiles

    style = Style(_use_colour(args.color))
    width = shutil.get_terminal_size((80, 24)).columns
    code = _exit.OK
    entries: list[dict[str, object]] = []
    sections: list[str] = []
    with _usage.open_client(args) as client:
        for profile in discover_profiles():
            # "" is the default profile whatever CLAUDE_CONFIG_DIR says (None
            # would follow the variable, and read that profile twice).
            args.config_dir = "" if profile is None else profile
            label = profile or "default profile"
            try:
                cached = _usage.fetch(args, client, max_age=args.max_age)
                usage = cached.data
                history = _usage.history(args, client)
            except ClaudeUsageError as error:
                code = code or _exit.exit_code_for(error)
                message = " ".join(str(error).split())
                entries.append({"profile": profile, "usage": None, "error": message})
                sections.append(f"{style.bold(label)}\n  error: {message}")
                continue
            document = {
                **unstructure_usage(usage, history=history),
                "fetched_at": _usage.iso(cached.fetched_at),
                "stale": cached.stale,
            }
            entries.append({"profile": profile, "usage": document, "error": None})
            stale = f" (stale: {_usage.stale_reason(cached)})" if cached.stale else ""
            sections.append(
                f"{style.bold(label)}{stale}\n"
                + render_usage(
                    usage, style=style, width=width, time_style=args.time, remaining=args.remaining, history=history
                )
            )
    _print(json.dumps({"profiles": entries}, indent=2) if args.json else "\n\n".join(sections))
    return code


def cmd_check(args: argparse.Namespace) -> int:
    from claude_usage.cli._check import cmd_check as check

    return check(args)


def cmd_wait(args: argparse.Namespace) -> int:
    from claude_usage.cli._check import cmd_wait as wait

    return wait(args)


def cmd_watch(args: argparse.Namespace) -> int:
    from claude_usage.cli._render import Style
    from claude_usage.cli._watch import cmd_watch as watch

    return watch(args, Style(_use_colour(args.color)))


def cmd_doctor(args: argparse.Namespace) -> int:
    from claude_usage.cli._doctor import cmd_doctor as doctor

    return doctor(args)


def cmd_serve(args: argparse.Namespace) -> int:
    from claude_usage.cli._serve import run as serve

    return serve(args)


def cmd_notify(args: argparse.Namespace) -> int:
    from claude_usage.cli._notify import cmd_notify as notify

    return notify(args)


def cmd_backends(args: argparse.Namespace) -> int:
    from claude_usage import _registry

    statuses = _registry.backend_statuses(args.config_dir)
    explicit = _registry.explicit_choice(args.backend)
    chosen = _registry.would_choose(statuses, explicit)
    if args.json:
        document = {
            "backends": [
                {
                    "name": s.name,
                    "origin": s.origin,
                    "priority": s.priority,
                    "available": s.priority is not None,
                    "automatic": s.automatic,
                    "reason": s.reason,
                    "description": s.description,
                }
                for s in statuses
            ],
            "selected": chosen,
            "explicit": explicit,
        }
        _print(json.dumps(document, indent=2))
        return _exit.OK
    if not statuses:
        _print(f"No credential backend is installed: {_registry.install_hint(statuses)}.")
        return _exit.OK
    name_width = max(len(s.name) for s in statuses)
    for status in statuses:
        mark = "*" if status.name == chosen else " "
        _print(f"{mark} {status.name:<{name_width}}  {status.state}  [{status.origin}]")
        if status.description:
            _print(f"  {'':<{name_width}}  {status.description}")
    if explicit is not None and chosen is None:
        _print(f"\nThe backend asked for, {explicit!r}, cannot be used.")
    elif chosen is None:
        _print("\nNo backend can be chosen automatically here.")
    else:
        how = "chosen explicitly" if explicit else "highest priority"
        _print(f"\n* would be used: {chosen} ({how})")
    return _exit.OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "show": cmd_show,
    "check": cmd_check,
    "wait": cmd_wait,
    "watch": cmd_watch,
    "doctor": cmd_doctor,
    "serve": cmd_serve,
    "notify": cmd_notify,
    "backends": cmd_backends,
}


def run(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    if getattr(args, "max_age", None) is None:
        args.max_age = MAX_AGE_DEFAULTS.get(args.command or "show", DEFAULT_MAX_AGE)
    if args.command == "statusline":
        from claude_usage.cli._statusline import main as statusline

        # Options given before the command name still count (the statusline
        # parses its own, after it): a profile must never be dropped silently.
        forwarded: list[str] = []
        for option, value in (
            ("--backend", args.backend),
            ("--config-dir", args.config_dir),
            ("--max-age", args.max_age),
            ("--timeout", args.timeout),
        ):
            if value is not None:
                forwarded += [option, str(value)]
        return statusline([*forwarded, *args.rest])
    handler = COMMANDS[args.command or "show"]
    if args.command in STOPPABLE:
        # systemd, containers and `kill` stop with SIGTERM: the same clean
        # stop as Ctrl-C (serve closes its socket; watch exits 0; wait 130).
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, _interrupt)  # the same, and it sets the flag sleeps check
    try:
        return handler(args)
    except ClaudeUsageError as error:
        return _usage.say_error(error)
    except KeyboardInterrupt:
        sys.stderr.write(
            _usage.error_line("Interrupted", _exit.INTERRUPTED, "interrupted", plain=f"{PROG}: interrupted\n")
        )
        return _exit.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`claude-usage | head`): not an error worth a line.
        _silence_stdout()
        return _exit.OK
    except Exception as error:  # a bug: still one line, never a traceback unless asked
        sys.stderr.write(
            f"{PROG}: internal error: {type(error).__name__}; please report it (run with -v for details)\n"
        )
        if args.verbose:
            import traceback

            traceback.print_exception(error, file=sys.stderr)
        return _exit.INTERNAL


#: Long-running commands that SIGTERM stops like Ctrl-C.
STOPPABLE = ("serve", "watch", "wait", "notify")


def _interrupt(signum: int, frame: object) -> None:
    _exit.STOP_REQUESTED.append(True)
    raise KeyboardInterrupt


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
