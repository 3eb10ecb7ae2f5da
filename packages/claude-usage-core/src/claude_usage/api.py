"""The public entry points: :func:`get_usage` and :func:`load_credentials`."""

from __future__ import annotations

from claude_usage._frames import detached
from claude_usage.backend import CredentialBackend
from claude_usage.client import UsageClient
from claude_usage.credentials import Credentials
from claude_usage.models import UsageData
from claude_usage.selection import select_and_load

__all__ = ["get_usage", "load_credentials", "select_and_load"]


@detached
def load_credentials(backend: CredentialBackend | str | None = None, *, config_dir: str | None = None) -> Credentials:
    """Read credentials the way :func:`get_usage` would, without a request.

    The result holds the token: use it for one request and drop it.
    """
    return select_and_load(backend, config_dir=config_dir)[1]


@detached
def get_usage(
    backend: CredentialBackend | str | None = None,
    *,
    config_dir: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
    user_agent: str | None = None,
    ca_bundle: str | None = None,
    client: UsageClient | None = None,
    max_age: float | None = None,
) -> UsageData:
    """Read the stored Claude Code token, ask the usage endpoint, return the data.

    ``backend`` is a :class:`CredentialBackend` instance or the name of an
    installed one; without it ``CLAUDE_USAGE_BACKEND`` or the best backend
    for this platform is used. ``config_dir`` reads another Claude Code
    profile, as ``CLAUDE_CONFIG_DIR`` would, without touching the
    environment. ``base_url``, ``timeout``, ``user_agent`` and ``ca_bundle``
    override ``CLAUDE_USAGE_BASE_URL``, ``CLAUDE_USAGE_TIMEOUT``,
    ``CLAUDE_USAGE_USER_AGENT`` and ``CLAUDE_USAGE_CA_BUNDLE``; pass
    ``client`` instead to reuse one connection across calls.

    ``max_age`` (seconds) goes through the shared cache every claude-usage
    process uses (:class:`~claude_usage.cache.UsageCache`): data at most that
    old is returned without a request, concurrent callers send one request
    between them, and a back-off the server asked for is respected. When the
    cache could only offer older data, the error that kept it from
    refreshing is raised (use ``UsageCache.get`` to accept stale data).

    One request at most, no retries. Every failure is a :class:`ClaudeUsageError`
    whose traceback and chained exceptions hold nothing of the token.
    """
    if client is not None:
        return _fetch(client, backend, config_dir, max_age)
    with UsageClient(base_url=base_url, timeout=timeout, user_agent=user_agent, ca_bundle=ca_bundle) as own:
        return _fetch(own, backend, config_dir, max_age)


def _fetch(
    client: UsageClient, backend: CredentialBackend | str | None, config_dir: str | None, max_age: float | None
) -> UsageData:
    if max_age is None:
        return client.fetch(select_and_load(backend, config_dir=config_dir)[1])
    from claude_usage.cache import UsageCache

    cached = UsageCache().get(backend, config_dir=config_dir, max_age=max_age, client=client)
    if cached.stale and cached.error is not None:
        raise cached.error
    return cached.data
