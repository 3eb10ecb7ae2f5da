"""What a credential backend hands to the client, and the parser of the JSON
blob Claude Code stores (the same on every platform).

The parser lives in core so that every store (file, Keychain, a third
party's vault holding Claude Code's blob) reads it the same way.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, NoReturn

import attrs

from claude_usage._frames import detached
from claude_usage._secret import SecretToken
from claude_usage.errors import CredentialsNotFoundError, InvalidCredentialsError, LoginEndedError

__all__ = ["Credentials", "parse_claude_code_credentials"]


def _to_secret(value: SecretToken | str) -> SecretToken:
    if isinstance(value, SecretToken):
        return value
    try:
        return SecretToken(value)
    except (TypeError, ValueError) as exc:
        message = str(exc)
    # Raised outside the except block so the error has no __context__.
    raise InvalidCredentialsError(message)


def _to_scopes(value: Sequence[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


@attrs.frozen
class Credentials:
    """An access token and what Claude Code stored beside it.

    ``access_token`` accepts a plain ``str`` and keeps it as a
    :class:`~claude_usage.SecretToken`, so the object's ``repr`` is safe to
    log; instances refuse to be pickled. ``expires_at`` is timezone-aware UTC
    when known: the client refuses to send an expired token. ``scopes`` is
    ``None`` when unknown; when known and without ``user:profile`` the client
    sends nothing, as Claude Code does. ``source`` names where the token came
    from (a path, a Keychain item, an environment variable), for messages.
    Keep an instance only as long as one request needs it.
    """

    access_token: SecretToken = attrs.field(converter=_to_secret)
    expires_at: datetime | None = None
    scopes: tuple[str, ...] | None = attrs.field(default=None, converter=_to_scopes)
    subscription_type: str | None = None
    rate_limit_tier: str | None = None
    source: str | None = attrs.field(default=None, eq=False)

    def __reduce__(self) -> NoReturn:
        raise TypeError("Credentials cannot be pickled: tokens are never serialised")

    def is_expired(self, now: datetime | None = None) -> bool:
        """Whether ``expires_at`` is known and not in the future."""
        if self.expires_at is None:
            return False
        return self.expires_at <= (now or datetime.now(timezone.utc))


def _fail(message: str) -> NoReturn:
    raise InvalidCredentialsError(message)


@detached
def parse_claude_code_credentials(data: str | bytes, *, source: str) -> Credentials:
    """Parse Claude Code's stored credentials JSON.

    ``source`` names where the blob came from (a path, a Keychain item) and
    is the only thing error messages quote: never the content, which holds
    the token. A blob with no ``claudeAiOauth`` (for instance one holding
    only ``mcpOAuth`` server tokens) raises :class:`CredentialsNotFoundError`;
    anything unreadable raises :class:`InvalidCredentialsError`. The refresh
    token is never read into any object.
    """
    blob = _load_json(data, source)
    if not isinstance(blob, dict):
        _fail(f"{source} does not hold a JSON object; run `claude` and log in again")
    oauth = blob.get("claudeAiOauth")
    if oauth is None:
        extra = " (only MCP server tokens)" if "mcpOAuth" in blob else ""
        raise CredentialsNotFoundError(f"{source} holds no Claude credentials{extra}; run `claude` and log in")
    if not isinstance(oauth, dict):
        _fail(f"{source}: claudeAiOauth is not a JSON object; run `claude` and log in again")
    token = oauth.get("accessToken")
    if token == "":
        # How Claude Code keeps a login that is over (logged out, or its time
        # limit reached): empty tokens, expiresAt 0, often loginEnded.
        why = " (its time limit was reached)" if oauth.get("loginEnded") == "time_limit" else ""
        raise LoginEndedError(f"the Claude login in {source} has ended{why}; run `claude` and log in again")
    if not isinstance(token, str):
        _fail(f"{source}: claudeAiOauth has no accessToken; run `claude` and log in again")
    try:
        secret = SecretToken(token)
    except ValueError:
        secret = None
    if secret is None:
        _fail(f"{source}: the accessToken contains characters no HTTP header can carry")
    return Credentials(
        access_token=secret,
        expires_at=_epoch_ms(oauth.get("expiresAt")),
        scopes=_str_list(oauth.get("scopes")),
        subscription_type=_str_or_none(oauth.get("subscriptionType")),
        rate_limit_tier=_str_or_none(oauth.get("rateLimitTier")),
        source=source,
    )


def _load_json(data: str | bytes, source: str) -> Any:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            _fail(f"{source} is not UTF-8 text; run `claude` and log in again")
    if not data.strip():
        _fail(f"{source} is empty; run `claude` and log in again")
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        # Only the position: JSONDecodeError's own text is safe, but a
        # position is all a user needs and keeps the rule simple.
        where = f"line {exc.lineno}, column {exc.colno}"
    except (RecursionError, ValueError):
        where = "too deeply nested"
    _fail(f"{source} is not valid JSON ({where}); run `claude` and log in again")


def _epoch_ms(value: object) -> datetime | None:
    # Metadata is advisory: a value of the wrong type is treated as absent
    # rather than making the token unusable.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        # Inside the try: math.isfinite raises OverflowError for an int too
        # large for a float (JSON allows any number of digits).
        if not math.isfinite(value):
            return None
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _str_list(value: object) -> tuple[str, ...] | None:
    if isinstance(value, list):
        # A list is a known set of scopes; entries that are not strings name
        # no scope (so a list of them still lacks user:profile).
        return tuple(item for item in value if isinstance(item, str))
    if isinstance(value, str):
        # OAuth writes scope lists as one space-separated string (RFC 6749 3.3).
        return tuple(value.split())
    return None
