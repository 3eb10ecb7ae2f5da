"""Names and defaults shared by modules that must stay light to import."""

DEFAULT_BASE_URL = "https://api.anthropic.com"
ENV_BASE_URL = "CLAUDE_USAGE_BASE_URL"
ENV_BACKEND = "CLAUDE_USAGE_BACKEND"
ENV_OAUTH_TOKEN = "CLAUDE_CODE_OAUTH_TOKEN"  # noqa: S105 - a variable name, not a secret
