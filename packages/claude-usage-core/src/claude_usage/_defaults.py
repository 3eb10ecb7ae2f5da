"""Names and defaults shared by modules that must stay light to import."""

from __future__ import annotations

DEFAULT_BASE_URL = "https://api.anthropic.com"
ENV_BASE_URL = "CLAUDE_USAGE_BASE_URL"
ENV_BACKEND = "CLAUDE_USAGE_BACKEND"
ENV_OAUTH_TOKEN = "CLAUDE_CODE_OAUTH_TOKEN"  # noqa: S105 - a variable name, not a secret
ENV_CUSTOM_OAUTH_URL = "CLAUDE_CODE_CUSTOM_OAUTH_URL"
#: The only origins Claude Code 2.1.332 accepts in CLAUDE_CODE_CUSTOM_OAUTH_URL (FedStart).
APPROVED_CUSTOM_OAUTH_ORIGINS = ("https://claude.fedstart.com", "https://claude-staging.fedstart.com")

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def custom_oauth_origin(environ: Mapping[str, str]) -> str | None:
    """The approved origin ``CLAUDE_CODE_CUSTOM_OAUTH_URL`` names, or None
    when it is unset or empty.

    As in Claude Code, one trailing slash is dropped and anything that is not
    an approved origin is refused (a ConfigurationError, before any store is
    read): a login kept for another origin must never be sent elsewhere.
    """
    value = environ.get(ENV_CUSTOM_OAUTH_URL) or ""
    if not value:
        return None
    origin = value[:-1] if value.endswith("/") else value
    if origin not in APPROVED_CUSTOM_OAUTH_ORIGINS:
        from claude_usage.errors import ConfigurationError

        raise ConfigurationError(
            f"{ENV_CUSTOM_OAUTH_URL} is not an approved endpoint (Claude Code accepts only "
            + " and ".join(APPROVED_CUSTOM_OAUTH_ORIGINS)
            + "); unset it or fix it"
        )
    return origin
