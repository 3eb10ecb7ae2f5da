"""Every error the library raises, each with one actionable line of text.

All of them derive from :class:`ClaudeUsageError`, so ``except
ClaudeUsageError`` catches whatever the library can fail with; where a builtin
fits (a missing credential is a ``LookupError``, a malformed one a
``ValueError``, a failed connection a ``ConnectionError``) they subclass it
too, so generic handlers keep working.

No error ever carries the token: messages are built from what we know about
the failure, never from the secret, the credentials store's content or a
``requests`` object (which holds the Authorization header).
"""

from __future__ import annotations

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BackendUnavailable",
    "ClaudeUsageError",
    "ConfigurationError",
    "CredentialsError",
    "CredentialsNotFoundError",
    "CredentialsUnavailableError",
    "InsufficientScopeError",
    "InvalidCredentialsError",
    "LoginEndedError",
    "NetworkError",
    "NetworkTimeoutError",
    "NoBackendError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseFormatError",
    "ResponseTooLargeError",
    "ServerError",
    "TokenExpiredError",
]


class ClaudeUsageError(Exception):
    """Base class of every error raised by claude-usage."""


class ConfigurationError(ClaudeUsageError, ValueError):
    """An argument or environment variable has a value the library refuses.

    Raised before any request is made, e.g. a plain ``http://`` base URL that
    is not a loopback address, or a timeout that is not a positive number.
    """


# -- credentials ---------------------------------------------------------------


class CredentialsError(ClaudeUsageError):
    """Base class of the errors about finding and reading credentials."""


class CredentialsNotFoundError(CredentialsError, LookupError):
    """No Claude Code credentials where the backend looked.

    The message says where that was, so the user knows which profile or
    store to log in to.
    """


class InvalidCredentialsError(CredentialsError, ValueError):
    """The credentials store exists but cannot be read or is malformed.

    The message never echoes the store's content: it may hold the token.
    """


class CredentialsUnavailableError(CredentialsError):
    """The credentials store is there but could not be read just now: it is
    locked, access was refused, or it did not answer in time.

    Asking again at once would not help (and may put another dialog in front
    of the user), so the shared cache backs off after one of these. ``advice``
    holds the lines of what to do about it, as ``doctor`` shows them.
    """

    def __init__(self, message: str, *, advice: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.advice = advice


class TokenExpiredError(CredentialsError):
    """The stored token's ``expiresAt`` lies in the past.

    No request is sent: Claude Code owns the refresh, so the user runs
    ``claude`` once and the stored token is renewed.
    """


class LoginEndedError(CredentialsError):
    """The stored login has ended: Claude Code keeps a logged-out or timed-out
    login as an empty ``accessToken`` (``expiresAt: 0``, often ``loginEnded``).

    Nothing is sent; the user logs in again with ``claude``.
    """


class InsufficientScopeError(CredentialsError):
    """The token's stored scopes are known and lack ``user:profile``, which the
    usage endpoint requires.

    Claude Code never sends such a token to the endpoint (it would earn a 403
    and spend the account's rate-limit budget), and neither does this
    library. ``missing_scope`` names the scope; ``source`` where the token
    came from.
    """

    def __init__(self, message: str, *, missing_scope: str = "user:profile", source: str | None = None) -> None:
        super().__init__(message)
        self.missing_scope = missing_scope
        #: Where the token came from (a path, an item, CLAUDE_CODE_OAUTH_TOKEN).
        self.source = source


class NoBackendError(CredentialsError, LookupError):
    """No credential backend can be used: none installed, none viable here,
    or an explicitly chosen one is unknown or unavailable."""


class BackendUnavailable(ClaudeUsageError):
    """Raised by :meth:`CredentialBackend.priority` when a backend cannot
    work on this machine; the message is the reason, shown to users."""


# -- the API -------------------------------------------------------------------


class ApiError(ClaudeUsageError):
    """The usage endpoint answered with a status that is not a success.

    ``status`` is the HTTP status code; ``request_id`` the server's request
    id when it sent one (quote it when reporting a problem); ``error_type``
    the ``error.type`` of an Anthropic error body (``"permission_error"``...).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        request_id: str | None = None,
        error_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.request_id = request_id
        self.error_type = error_type

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_api_error, (type(self), str(self), dict(self.__dict__)))


def _rebuild_api_error(cls: type[ApiError], message: str, state: dict[str, object]) -> ApiError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class AuthenticationError(ApiError):
    """401: the API rejected the token. Never retried: repeated 401s earn an
    hour-long rate limit."""


class PermissionDeniedError(ApiError):
    """403: the token is valid but may not read usage.

    ``missing_scope`` names the scope the server asked for (typically
    ``user:profile``, missing from ``claude setup-token`` tokens).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 403,
        request_id: str | None = None,
        error_type: str | None = None,
        missing_scope: str | None = None,
    ) -> None:
        super().__init__(message, status=status, request_id=request_id, error_type=error_type)
        self.missing_scope = missing_scope


class RateLimitError(ApiError):
    """The usage endpoint is limiting requests (not your usage limit).

    Raised for a 429, for a 403 that carries no Anthropic error body (an edge
    or CDN throttling), and for a 2xx whose body is the error envelope
    ``{"error": {"type": "rate_limit_error"}}``, as Claude Code reads all
    three. ``status`` says which; ``retry_after`` is the number of seconds
    the server asked us to wait (from a number or an HTTP date), ``None``
    when it gave none."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 429,
        request_id: str | None = None,
        error_type: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, request_id=request_id, error_type=error_type)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the server, or a gateway in front of it, failed."""


class NetworkError(ClaudeUsageError, ConnectionError):
    """The request did not complete: connection refused or reset, DNS, TLS,
    a proxy failure or a timeout."""


class NetworkTimeoutError(NetworkError, TimeoutError):
    """The server did not answer within the configured timeout."""


class ResponseFormatError(ClaudeUsageError, ValueError):
    """The server answered 2xx with something that is not a usage body:
    HTML, an empty or truncated body, invalid JSON, or the wrong shape."""


class ResponseTooLargeError(ResponseFormatError):
    """The response body exceeded the size limit (1 MiB) and was not read."""
