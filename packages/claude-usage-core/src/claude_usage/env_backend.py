"""The ``env`` backend: the token in ``CLAUDE_CODE_OAUTH_TOKEN``.

Claude Code prefers this variable over any stored credentials, so this
backend has the highest priority whenever it is set. Such tokens usually come
from ``claude setup-token`` and are inference-only, so, as Claude Code does,
the token's scopes are read from ``CLAUDE_CODE_OAUTH_SCOPES`` (whitespace
separated), ``user:inference`` alone when unset: the client then sends
nothing, and the error names the variable to set for a token that does have
``user:profile``. ``CLAUDE_CODE_SUBSCRIPTION_TYPE`` and
``CLAUDE_CODE_RATE_LIMIT_TIER`` fill the other fields.
"""

from __future__ import annotations

import os

from claude_usage import _defaults
from claude_usage.backend import CredentialBackend
from claude_usage.credentials import Credentials
from claude_usage.errors import BackendUnavailable, CredentialsNotFoundError

__all__ = ["ENV_VAR", "EnvBackend"]

ENV_VAR = _defaults.ENV_OAUTH_TOKEN


class EnvBackend(CredentialBackend):
    """The token in the CLAUDE_CODE_OAUTH_TOKEN environment variable."""

    name = "env"

    def priority(self) -> float:
        if self.config_dir is not None:
            raise BackendUnavailable(f"{ENV_VAR} belongs to no profile, and a profile (config_dir) was asked for")
        if not os.environ.get(ENV_VAR, "").strip():
            raise BackendUnavailable(f"{ENV_VAR} is not set")
        return 100.0

    def read_credentials(self) -> Credentials:
        value = os.environ.get(ENV_VAR, "").strip()
        if not value:
            raise CredentialsNotFoundError(f"{ENV_VAR} is not set or empty")
        # The variable carries a bare token: no expiry known; the scopes are
        # what Claude Code assumes for it.
        scopes = os.environ.get(_defaults.ENV_OAUTH_SCOPES, "").split() or ["user:inference"]
        return Credentials(
            access_token=value,
            scopes=scopes,
            subscription_type=os.environ.get(_defaults.ENV_SUBSCRIPTION_TYPE) or None,
            rate_limit_tier=os.environ.get(_defaults.ENV_RATE_LIMIT_TIER) or None,
            source=ENV_VAR,
        )
