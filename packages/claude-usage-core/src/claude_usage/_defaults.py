"""Names and defaults shared by modules that must stay light to import."""

from __future__ import annotations

DEFAULT_BASE_URL = "https://api.anthropic.com"
ENV_BASE_URL = "CLAUDE_USAGE_BASE_URL"
ENV_BACKEND = "CLAUDE_USAGE_BACKEND"
ENV_OAUTH_TOKEN = "CLAUDE_CODE_OAUTH_TOKEN"  # noqa: S105 - a variable name, not a secret
ENV_OAUTH_SCOPES = "CLAUDE_CODE_OAUTH_SCOPES"
ENV_SUBSCRIPTION_TYPE = "CLAUDE_CODE_SUBSCRIPTION_TYPE"
ENV_RATE_LIMIT_TIER = "CLAUDE_CODE_RATE_LIMIT_TIER"
ENV_CUSTOM_OAUTH_URL = "CLAUDE_CODE_CUSTOM_OAUTH_URL"

#: The origins Claude Code accepts in CLAUDE_CODE_CUSTOM_OAUTH_URL (FedStart).
#: Claude Code also accepts an internal staging origin of Anthropic's own,
#: which no user has a login for: left out on purpose.
APPROVED_CUSTOM_OAUTH_ORIGINS = ("https://claude.fedstart.com", "https://claude-staging.fedstart.com")

# TYPE_CHECKING without importing typing (this module is on the render path).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def custom_oauth_origin(environ: Mapping[str, str]) -> str | None:
    """The approved origin CLAUDE_CODE_CUSTOM_OAUTH_URL selects, ``None`` when
    it is unset or empty.

    Claude Code refuses any other value ("not an approved endpoint"), and so
    does this: :class:`~claude_usage.errors.ConfigurationError` (exit 2).
    One trailing slash is allowed, as Claude Code allows it.
    """
    value = environ.get(ENV_CUSTOM_OAUTH_URL, "")
    if not value:
        return None
    origin = value[:-1] if value.endswith("/") else value
    if origin in APPROVED_CUSTOM_OAUTH_ORIGINS:
        return origin
    from claude_usage.errors import ConfigurationError

    allowed = " or ".join(APPROVED_CUSTOM_OAUTH_ORIGINS)
    raise ConfigurationError(f"{ENV_CUSTOM_OAUTH_URL} is not an approved endpoint (Claude Code accepts {allowed})")


def default_base_url(environ: Mapping[str, str]) -> str:
    """The base URL before any argument: CLAUDE_USAGE_BASE_URL, else an
    approved CLAUDE_CODE_CUSTOM_OAUTH_URL (the origin Claude Code itself asks
    for usage), else the Anthropic API."""
    return environ.get(ENV_BASE_URL) or custom_oauth_origin(environ) or DEFAULT_BASE_URL
