"""The documented exit codes, and which error maps to which."""

from __future__ import annotations

from claude_usage.errors import (
    AuthenticationError,
    ClaudeUsageError,
    ConfigurationError,
    CredentialsError,
    PermissionDeniedError,
    RateLimitError,
)

OK = 0
#: ``check``: the window is at or over the threshold.
OVER = 1
USAGE = 2
CREDENTIALS = 3
REJECTED = 4
RATE_LIMITED = 5
UNAVAILABLE = 6
#: ``notify``: a notification could not be delivered (it is tried again next run).
NOT_DELIVERED = 7
#: A bug in claude-usage itself (please report it); EX_SOFTWARE of sysexits.h.
INTERNAL = 70
INTERRUPTED = 130

#: Every exit code and what it means: the one list ``--help`` prints, and
#: that tests/cli/test_docs.py holds README.md and docs/cli.md to.
MEANINGS: tuple[tuple[int, str], ...] = (
    (OK, "success"),
    (OVER, "(check) at or over the threshold; (wait) --max-wait elapsed"),
    (USAGE, "usage error: bad option or configuration"),
    (
        CREDENTIALS,
        "credentials problem: not found, invalid, expired, logged out, a token without user:profile "
        "(not sent), or no backend",
    ),
    (REJECTED, "rejected by the API (401 invalid token, 403 with an Anthropic error: missing scope)"),
    (RATE_LIMITED, "the endpoint is limiting requests (429, an edge's 403, or a rate_limit_error)"),
    (UNAVAILABLE, "network, server (5xx) or response-format problem"),
    (NOT_DELIVERED, "(notify) a notification could not be delivered; the next run sends it again"),
    (INTERNAL, "internal error in claude-usage (please report it)"),
    (INTERRUPTED, "interrupted (Ctrl-C; SIGTERM stops wait the same way)"),
)


def describe(codes: tuple[int, ...] | None = None) -> str:
    """The lines of ``--help`` for ``codes`` (all of them by default)."""
    return "".join(f"  {code:<3} {text}\n" for code, text in MEANINGS if codes is None or code in codes)


def exit_code_for(error: ClaudeUsageError) -> int:
    """The exit code documented for ``error``."""
    if isinstance(error, ConfigurationError):
        return USAGE
    if isinstance(error, CredentialsError):
        return CREDENTIALS
    if isinstance(error, (AuthenticationError, PermissionDeniedError)):
        return REJECTED
    if isinstance(error, RateLimitError):
        return RATE_LIMITED
    # ApiError (3xx, other 4xx, 5xx), NetworkError, ResponseFormatError, and
    # any ClaudeUsageError added later: the service could not be used.
    return UNAVAILABLE


#: Set by the SIGTERM/SIGINT handler of the long-running commands. The
#: handler also raises KeyboardInterrupt, but an exception raised while a
#: finaliser runs (closing a connection pool, say) is swallowed by Python;
#: sleeps check this so that such a stop is never lost.
STOP_REQUESTED: list[bool] = []
