"""Choosing a credential backend and reading its credentials.

This sits below both :mod:`claude_usage.api` and :mod:`claude_usage.cache`:
the data flows backend -> credentials -> client, and the cache wraps the
client, so neither of them may be needed to pick a backend.
"""

from __future__ import annotations

import logging

from claude_usage.backend import CredentialBackend
from claude_usage.credentials import Credentials
from claude_usage.errors import ClaudeUsageError, CredentialsNotFoundError, InvalidCredentialsError

__all__ = ["select_and_load"]

log = logging.getLogger("claude_usage")


def _read(backend: CredentialBackend) -> Credentials:
    name = backend.name or type(backend).__name__
    try:
        credentials = backend.read_credentials()
    except ClaudeUsageError:
        raise
    except Exception as exc:
        # A third-party backend's own exception: its text could hold anything,
        # so only its type is reported.
        failure = type(exc).__name__
    else:
        if not isinstance(credentials, Credentials):
            raise InvalidCredentialsError(
                f"credential backend {name!r} returned {type(credentials).__name__}, not Credentials"
            )
        log.debug("credentials read by the %r backend", name)
        return credentials
    raise InvalidCredentialsError(f"credential backend {name!r} failed unexpectedly ({failure})")


def select_and_load(
    backend: CredentialBackend | str | None = None, *, config_dir: str | None = None
) -> tuple[CredentialBackend, Credentials]:
    """Choose a backend as :func:`get_usage` does and read its credentials.

    An explicit choice (an instance, a name, or ``CLAUDE_USAGE_BACKEND``) is
    used alone. Otherwise the viable backends are tried in priority order,
    moving on only when one finds no credentials (the Keychain first, then
    the file, on macOS); any other error stops the search.
    """
    from claude_usage import _registry

    if isinstance(backend, CredentialBackend):
        return backend, _read(backend)
    name = _registry.explicit_choice(backend)
    if name is not None:
        chosen = _registry.resolve_explicit(name, config_dir)
        return chosen, _read(chosen)
    missing: list[CredentialsNotFoundError] = []
    for candidate in _registry.candidates(config_dir):
        log.debug("trying the %r credential backend", candidate.name)
        try:
            return candidate, _read(candidate)
        except CredentialsNotFoundError as exc:
            missing.append(exc)
    raise _registry.combine_not_found(missing)
