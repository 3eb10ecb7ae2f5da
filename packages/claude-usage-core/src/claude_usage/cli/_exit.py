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
#: A bug in claude-usage itself (please report it); EX_SOFTWARE of sysexits.h.
INTERNAL = 70
INTERRUPTED = 130


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
