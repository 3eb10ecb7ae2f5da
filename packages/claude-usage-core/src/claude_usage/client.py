"""The usage API client: configuration, one request, and what its answer means.

``requests`` is imported on the first :meth:`UsageClient.fetch`, not when
this module is, so that code which only reads a cache never pays for it.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import os
import re
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import attrs

from claude_usage import _defaults
from claude_usage._frames import detached
from claude_usage._secret import SecretToken, scrub
from claude_usage._version import __version__
from claude_usage.credentials import Credentials
from claude_usage.errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    InsufficientScopeError,
    PermissionDeniedError,
    RateLimitError,
    ResponseFormatError,
    ServerError,
    TokenExpiredError,
)
from claude_usage.models import UsageData

if TYPE_CHECKING:
    import requests

    from claude_usage._http import Reply

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "DEFAULT_USER_AGENT",
    "MAX_BODY_BYTES",
    "USAGE_PATH",
    "ClientConfig",
    "UsageClient",
]

log = logging.getLogger("claude_usage")

DEFAULT_BASE_URL = _defaults.DEFAULT_BASE_URL
USAGE_PATH = "/api/oauth/usage"
DEFAULT_TIMEOUT = 10.0
MAX_BODY_BYTES = 1024 * 1024
#: Retry-After values above this (seconds) are read as this.
MAX_RETRY_AFTER = 3600.0
ANTHROPIC_BETA = "oauth-2025-04-20"
#: The endpoint puts clients whose User-Agent does not start with
#: ``claude-code/`` into a much harsher rate-limit bucket (persistent 429s),
#: so the default presents the Claude Code version it was checked against and
#: names this library after it.
CLAUDE_CODE_VERSION = "2.1.332"
DEFAULT_USER_AGENT = f"claude-code/{CLAUDE_CODE_VERSION} (claude-usage/{__version__})"

ENV_BASE_URL = _defaults.ENV_BASE_URL
ENV_TIMEOUT = "CLAUDE_USAGE_TIMEOUT"
ENV_USER_AGENT = "CLAUDE_USAGE_USER_AGENT"
ENV_CA_BUNDLE = "CLAUDE_USAGE_CA_BUNDLE"


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _redacted(url: str) -> str:
    """``url`` as it may appear in a message: without any user info."""
    scheme, sep, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    if "@" in netloc:
        netloc = "<redacted>@" + netloc.rsplit("@", 1)[1]
    return f"{scheme}{sep}{netloc}{slash}{path}" if sep else ("<redacted>" if "@" in url else url)


def validate_base_url(url: str) -> str:
    """Return ``url`` without a trailing slash, or raise ConfigurationError.

    ``https`` is required, except for loopback hosts: the token must never
    cross a network in clear text. Messages never repeat a password the URL
    may carry.
    """
    shown = _redacted(url)
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        parts.port  # noqa: B018  # raises ValueError for a malformed port
    except ValueError:
        raise ConfigurationError(f"{shown!r} is not a valid URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ConfigurationError(f"base URL {shown!r} must be an https:// URL with a host")
    if parts.username or parts.password:
        raise ConfigurationError("the base URL must not contain a user name or password")
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConfigurationError(
            f"refusing plain http:// to {host}: the token may only travel unencrypted to a loopback address"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError("the base URL must not contain a query or fragment")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _positive_seconds(value: float | str, origin: str) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigurationError(f"{origin} must be a positive number of seconds, not {value!r}")
    return seconds


@attrs.frozen
class ClientConfig:
    """Where and how requests are sent. Build it with :meth:`resolve`."""

    base_url: str = DEFAULT_BASE_URL
    timeout: float = DEFAULT_TIMEOUT
    user_agent: str = DEFAULT_USER_AGENT
    ca_bundle: str | None = None
    max_bytes: int = MAX_BODY_BYTES

    @property
    def url(self) -> str:
        return self.base_url + USAGE_PATH

    @classmethod
    def resolve(
        cls,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        user_agent: str | None = None,
        ca_bundle: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> ClientConfig:
        """Arguments first, then ``CLAUDE_USAGE_*`` variables, then defaults."""
        env = os.environ if environ is None else environ
        url = validate_base_url(base_url or _defaults.default_base_url(env))
        if timeout is not None:
            seconds = _positive_seconds(timeout, "timeout")
        elif env.get(ENV_TIMEOUT):
            seconds = _positive_seconds(env[ENV_TIMEOUT], ENV_TIMEOUT)
        else:
            seconds = DEFAULT_TIMEOUT
        agent = user_agent or env.get(ENV_USER_AGENT) or DEFAULT_USER_AGENT
        if not agent.isprintable() or not agent.isascii():
            raise ConfigurationError("the User-Agent must be printable ASCII")
        bundle = ca_bundle or env.get(ENV_CA_BUNDLE) or None
        if bundle is not None and not os.path.exists(bundle):
            raise ConfigurationError(f"CA bundle {bundle!r} does not exist")
        return cls(base_url=url, timeout=seconds, user_agent=agent, ca_bundle=bundle)


class UsageClient:
    """Fetches usage for given credentials; reuses its connection across calls.

    Configuration is resolved once, at construction (see
    :meth:`ClientConfig.resolve`). The client keeps no credentials: each
    :meth:`fetch` takes them, sends one request and forgets them. Use one
    client per thread, and close it (or use it as a context manager) when
    done.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        user_agent: str | None = None,
        ca_bundle: str | None = None,
        config: ClientConfig | None = None,
    ) -> None:
        self.config = config or ClientConfig.resolve(
            base_url=base_url, timeout=timeout, user_agent=user_agent, ca_bundle=ca_bundle
        )
        self._session: requests.Session | None = None

    def __repr__(self) -> str:
        return f"<UsageClient {self.config.url} timeout={self.config.timeout:g}s>"

    def __enter__(self) -> UsageClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connection, if any."""
        if self._session is not None:
            self._session.close()
            self._session = None

    @detached
    def fetch(self, credentials: Credentials) -> UsageData:
        """Send one usage request with ``credentials`` and return the data.

        Raises :class:`TokenExpiredError` without sending anything when the
        stored expiry has passed, and a typed :class:`ApiError`,
        :class:`NetworkError` or :class:`ResponseFormatError` otherwise.
        Never retries.
        """
        return self._exchange(credentials)[0]

    @detached
    def fetch_document(self, credentials: Credentials) -> tuple[UsageData, dict[str, Any]]:
        """Like :meth:`fetch`, and also the decoded body as the API sent it
        (what the shared cache stores, so no field the models drop is lost)."""
        return self._exchange(credentials)

    def _exchange(self, credentials: Credentials) -> tuple[UsageData, dict[str, Any]]:
        if credentials.is_expired():
            assert credentials.expires_at is not None
            raise TokenExpiredError(
                f"the stored Claude token expired at {credentials.expires_at:%Y-%m-%d %H:%M} UTC; "
                "run `claude` once so it renews the token, then try again"
            )
        _require_profile_scope(credentials)
        from claude_usage import _http

        if self._session is None:
            self._session = _http.new_session()
        config = self.config
        log.debug("GET %s", config.url)
        started = time.monotonic()
        reply = _http.send(
            self._session,
            config.url,
            credentials.access_token,
            headers={
                "Accept": "application/json",
                "anthropic-beta": ANTHROPIC_BETA,
                "User-Agent": config.user_agent,
            },
            timeout=config.timeout,
            verify=config.ca_bundle or True,
            max_bytes=config.max_bytes,
        )
        log.debug(
            "answered %d in %.0f ms (%d bytes)", reply.status, (time.monotonic() - started) * 1000, len(reply.body)
        )
        return interpret(reply, credentials.access_token)


#: The scope the usage endpoint requires (its 403 says so).
PROFILE_SCOPE = "user:profile"


def _require_profile_scope(credentials: Credentials) -> None:
    """Refuse, before sending, a token whose known scopes lack user:profile.

    Claude Code never sends such a token to this endpoint: the answer is a
    certain 403 that spends the account's rate-limit budget. Unknown scopes
    (older stored logins) are tried.
    """
    scopes = credentials.scopes
    if scopes is None or PROFILE_SCOPE in scopes:
        return
    have = " ".join(scopes) or "none"
    if credentials.source == _defaults.ENV_OAUTH_TOKEN:
        remedy = (
            f"{_defaults.ENV_OAUTH_TOKEN} is taken to be inference-only, as Claude Code takes it, "
            f"unless {_defaults.ENV_OAUTH_SCOPES} names {PROFILE_SCOPE}: if the token does have it, set "
            f"{_defaults.ENV_OAUTH_SCOPES}='user:inference {PROFILE_SCOPE}'; otherwise unset "
            f"{_defaults.ENV_OAUTH_TOKEN} (or pass --backend file or keychain) to use the login `claude` stores"
        )
    else:
        where = f" in {credentials.source}" if credentials.source else ""
        remedy = (
            f"the stored login{where} was made without it (e.g. by `claude setup-token`); "
            "run `claude`, then /login, to store a full claude.ai login"
        )
    raise InsufficientScopeError(
        f"not sent: this token lacks the {PROFILE_SCOPE} scope the usage endpoint requires (scopes: {have}); {remedy}",
        missing_scope=PROFILE_SCOPE,
        source=credentials.source,
    )


def interpret(reply: Reply, token: SecretToken) -> tuple[UsageData, dict[str, Any]]:
    """Turn a reply into data and its decoded body, or into the typed error
    its status means."""
    if 200 <= reply.status < 300:
        return _parse_body(reply, token)
    raise _error_for(reply, token)


def _parse_body(reply: Reply, token: SecretToken) -> tuple[UsageData, dict[str, Any]]:
    from claude_usage._convert import parse_usage

    body = reply.body
    content_type = reply.headers.get("content-type", "").lower()
    if not body.strip():
        raise ResponseFormatError(f"the server answered {reply.status} with an empty body")
    if "html" in content_type or body.lstrip()[:1] == b"<":
        raise ResponseFormatError(
            "the server answered with HTML, not JSON (a proxy, a captive portal or a wrong CLAUDE_USAGE_BASE_URL?)"
        )
    try:
        document = json.loads(body)
    except UnicodeDecodeError:
        problem = "is not valid UTF-8"
    except json.JSONDecodeError as exc:
        problem = f"is not valid JSON, truncated or garbled at byte {exc.pos}"
    except (RecursionError, ValueError):
        problem = "is not valid JSON"
    else:
        _raise_in_band_error(reply, document, token)
        # parse_usage rejects anything but an object, so the body is a dict here.
        return parse_usage(document), document
    raise ResponseFormatError(f"the usage response {problem}")


def _raise_in_band_error(reply: Reply, document: Any, token: SecretToken) -> None:
    """A 2xx whose body is an error envelope instead of usage: Claude Code
    reads ``rate_limit_error`` as the endpoint limiting requests."""
    from claude_usage.models import USAGE_KEYS

    if not isinstance(document, dict) or any(key in document for key in USAGE_KEYS):
        return
    error = document.get("error")
    if not isinstance(error, dict):
        return
    kind = error.get("type") if isinstance(error.get("type"), str) else None
    request_id = scrub(_printable(reply.headers["request-id"]), token) if "request-id" in reply.headers else None
    ref = f" [request {request_id}]" if request_id else ""
    if kind == "rate_limit_error":
        wait = retry_after_seconds(reply.headers.get("retry-after"))
        raise RateLimitError(
            f"the usage endpoint is temporarily limiting requests (not your usage limit); {_when(wait)}{ref}",
            status=reply.status,
            error_type=kind,
            retry_after=wait,
            request_id=request_id,
        )
    said = f" ({scrub(_printable(kind), token)})" if kind else ""
    raise ResponseFormatError(f"the server answered {reply.status} with an error{said} instead of usage data{ref}")


def _printable(text: str) -> str:
    return "".join(ch for ch in text[:100] if ch.isprintable())


def _when(wait: float | None) -> str:
    return f"retry in {format_wait(wait)}" if wait else "retry later, at least a few minutes from now"


def _is_anthropic_error(body: bytes) -> bool:
    """Whether ``body`` is an Anthropic API error (``{"type": "error",
    "error": {"type": ...}}``), as opposed to an edge or CDN answer."""
    try:
        document = json.loads(body) if body.strip() else None
    except (ValueError, RecursionError):
        return False
    error = document.get("error") if isinstance(document, dict) else None
    return isinstance(error, dict) and isinstance(error.get("type"), str)


_SCOPE = re.compile(r"scope requirement\s+([\w:.-]+)")


def _error_details(reply: Reply, token: SecretToken) -> tuple[str | None, str | None, str | None]:
    """(error type, server message, request id) from an error body, scrubbed."""
    error_type = message = None
    request_id = reply.headers.get("request-id")
    try:
        document: Any = json.loads(reply.body) if reply.body.strip() else None
    except (ValueError, RecursionError):
        document = None
    if isinstance(document, dict):
        error = document.get("error")
        if isinstance(error, dict):
            error_type = error.get("type") if isinstance(error.get("type"), str) else None
            message = error.get("message") if isinstance(error.get("message"), str) else None
        if isinstance(document.get("request_id"), str):
            request_id = document["request_id"]
    if message is not None:
        # One short printable line, and never anything the server echoed of the token.
        message = scrub(" ".join(message.split())[:200], token)
        message = "".join(ch for ch in message if ch.isprintable())
    if request_id is not None:
        request_id = scrub("".join(ch for ch in request_id[:100] if ch.isprintable()), token)
    return error_type, message, request_id


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: a number or an HTTP date."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if not math.isfinite(seconds):
        return None
    # A broken or hostile server must not silence every process for years:
    # the largest back-off reported for this endpoint is about an hour.
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def format_wait(seconds: float) -> str:
    """``45 s``, ``12 min``, ``2 h 5 min``: how long to wait, for messages."""
    seconds = math.ceil(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def _error_for(reply: Reply, token: SecretToken) -> ApiError:
    status = reply.status
    error_type, message, request_id = _error_details(reply, token)
    said = f": {message}" if message else ""
    ref = f" [request {request_id}]" if request_id else ""
    common: dict[str, Any] = {"status": status, "request_id": request_id, "error_type": error_type}
    if status == 401:
        return AuthenticationError(
            f"the API rejected the token (401{said}); run `claude` to log in again{ref}", **common
        )
    if status == 403 and not _is_anthropic_error(reply.body):
        # Claude Code reads a 403 without an Anthropic error body (an edge or
        # CDN answer) as throttling, not as a verdict on the token.
        wait = retry_after_seconds(reply.headers.get("retry-after"))
        return RateLimitError(
            f"the usage endpoint is temporarily limiting requests (403 from the edge, not your usage limit); "
            f"{_when(wait)}{ref}",
            retry_after=wait,
            **common,
        )
    if status == 403:
        match = _SCOPE.search(message or "")
        if match:
            scope = match.group(1)
            return PermissionDeniedError(
                f"this token lacks the {scope} scope needed to read usage (403): tokens from "
                "`claude setup-token` or CLAUDE_CODE_OAUTH_TOKEN are inference-only; unset "
                f"CLAUDE_CODE_OAUTH_TOKEN and use the login that `claude` stores{ref}",
                missing_scope=scope,
                **common,
            )
        return PermissionDeniedError(f"the API refused access (403{said}){ref}", **common)
    if status == 429:
        wait = retry_after_seconds(reply.headers.get("retry-after"))
        return RateLimitError(
            f"rate limited by the usage endpoint (429); {_when(wait)}, and poll less often{ref}",
            retry_after=wait,
            **common,
        )
    if 500 <= status < 600:
        return ServerError(f"the server failed ({status}{said}); try again in a few minutes{ref}", **common)
    if 300 <= status < 400:
        target = reply.headers.get("location")
        where = f" to {scrub(target[:200], token)}" if target else ""
        return ApiError(
            f"the server redirected ({status}){where}; redirects are never followed: check CLAUDE_USAGE_BASE_URL",
            **common,
        )
    return ApiError(f"the usage endpoint answered {status}{said}{ref}", **common)
