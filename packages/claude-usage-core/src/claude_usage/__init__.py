"""How much of their Claude Pro/Max limits a subscriber has used.

>>> from claude_usage import get_usage
>>> usage = get_usage()                      # doctest: +SKIP
>>> usage.five_hour.utilization              # doctest: +SKIP
53.0

Every public name is importable from here. They are loaded on first use
(PEP 562), so ``import claude_usage`` stays as cheap as starting Python:
a statusline that renders from the cache never imports attrs, cattrs,
requests or the entry-point machinery.
"""

from __future__ import annotations

from claude_usage._version import __version__

# Not `from typing import TYPE_CHECKING`: importing typing (or importlib)
# would cost more than everything else a cached statusline render does.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from claude_usage._convert import parse_usage, unstructure_usage
    from claude_usage._registry import BackendStatus, backend_names, backend_statuses
    from claude_usage._secret import SecretToken
    from claude_usage.api import get_usage, load_credentials
    from claude_usage.backend import CredentialBackend
    from claude_usage.cache import CachedUsage, UsageCache
    from claude_usage.client import ClientConfig, UsageClient
    from claude_usage.credentials import Credentials, parse_claude_code_credentials
    from claude_usage.errors import (
        ApiError,
        AuthenticationError,
        BackendUnavailable,
        ClaudeUsageError,
        ConfigurationError,
        CredentialsError,
        CredentialsNotFoundError,
        InsufficientScopeError,
        InvalidCredentialsError,
        LoginEndedError,
        NetworkError,
        NetworkTimeoutError,
        NoBackendError,
        PermissionDeniedError,
        RateLimitError,
        ResponseFormatError,
        ResponseTooLargeError,
        ServerError,
        TokenExpiredError,
    )
    from claude_usage.forecast import Forecast, forecast_limit, forecast_window
    from claude_usage.history import History
    from claude_usage.models import CreditWindow, ExtraUsage, Limit, PromoCredit, UsageData, UsageWindow

_ERRORS = (
    "ApiError",
    "AuthenticationError",
    "BackendUnavailable",
    "ClaudeUsageError",
    "ConfigurationError",
    "CredentialsError",
    "CredentialsNotFoundError",
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
)

_LAZY: dict[str, str] = {
    **dict.fromkeys(_ERRORS, "claude_usage.errors"),
    "get_usage": "claude_usage.api",
    "load_credentials": "claude_usage.api",
    "UsageData": "claude_usage.models",
    "UsageWindow": "claude_usage.models",
    "Limit": "claude_usage.models",
    "ExtraUsage": "claude_usage.models",
    "CreditWindow": "claude_usage.models",
    "PromoCredit": "claude_usage.models",
    "Credentials": "claude_usage.credentials",
    "parse_claude_code_credentials": "claude_usage.credentials",
    "SecretToken": "claude_usage._secret",
    "CredentialBackend": "claude_usage.backend",
    "UsageClient": "claude_usage.client",
    "UsageCache": "claude_usage.cache",
    "CachedUsage": "claude_usage.cache",
    "ClientConfig": "claude_usage.client",
    "parse_usage": "claude_usage._convert",
    "unstructure_usage": "claude_usage._convert",
    "Forecast": "claude_usage.forecast",
    "forecast_window": "claude_usage.forecast",
    "forecast_limit": "claude_usage.forecast",
    "History": "claude_usage.history",
    "BackendStatus": "claude_usage._registry",
    "backend_names": "claude_usage._registry",
    "backend_statuses": "claude_usage._registry",
}

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BackendStatus",
    "BackendUnavailable",
    "CachedUsage",
    "ClaudeUsageError",
    "ClientConfig",
    "ConfigurationError",
    "CredentialBackend",
    "Credentials",
    "CredentialsError",
    "CredentialsNotFoundError",
    "CreditWindow",
    "ExtraUsage",
    "Forecast",
    "History",
    "InsufficientScopeError",
    "InvalidCredentialsError",
    "Limit",
    "LoginEndedError",
    "NetworkError",
    "NetworkTimeoutError",
    "NoBackendError",
    "PermissionDeniedError",
    "PromoCredit",
    "RateLimitError",
    "ResponseFormatError",
    "ResponseTooLargeError",
    "SecretToken",
    "ServerError",
    "TokenExpiredError",
    "UsageCache",
    "UsageClient",
    "UsageData",
    "UsageWindow",
    "__version__",
    "backend_names",
    "backend_statuses",
    "forecast_limit",
    "forecast_window",
    "get_usage",
    "load_credentials",
    "parse_claude_code_credentials",
    "parse_usage",
    "unstructure_usage",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'claude_usage' has no attribute {name!r}")
    value = getattr(__import__(module, fromlist=[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
