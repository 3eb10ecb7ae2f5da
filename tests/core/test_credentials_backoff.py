"""The shared cache backs off after a credential store failed to answer.

A backend here reads nothing real: it raises the failure the test chooses
and counts how often it was asked, which is what the back-off is about (each
ask of a locked Keychain can be a dialog in front of the user). The file
whose changes lift the back-off is the profile's real ``.credentials.json``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import support
from claude_usage import CredentialBackend, Credentials, parse_claude_code_credentials
from claude_usage.cache import CREDENTIALS_BACKOFF, UsageCache, read_entry
from claude_usage.errors import (
    AuthenticationError,
    CredentialsError,
    CredentialsNotFoundError,
    CredentialsUnavailableError,
    InvalidCredentialsError,
    TokenExpiredError,
)


class LockedError(CredentialsUnavailableError):
    """A store-specific failure defined outside claude-usage's packages."""


class FlakyStore(CredentialBackend):
    """Fails with ``failure`` while it is set, else reads ``token``."""

    name = "flaky"

    def __init__(self, *, config_dir: str | None = None, token: str = "") -> None:
        super().__init__(config_dir=config_dir)
        self.failure: Exception | None = None
        self.token = token
        #: A new login changes it (the cache tells logins apart by metadata, never the token).
        self.expires_at_ms = support.FAR_FUTURE_MS
        self.reads = 0

    def priority(self) -> float:
        return 0.0

    def read_credentials(self) -> Credentials:
        self.reads += 1
        if self.failure is not None:
            raise self.failure
        blob = support.credentials_blob(self.token, expires_at_ms=self.expires_at_ms)
        return parse_claude_code_credentials(json.dumps(blob), source="flaky")


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    directory = tmp_path / "profile"
    directory.mkdir()
    return directory


@pytest.fixture
def store(profile: Path, token: str) -> FlakyStore:
    backend = FlakyStore(config_dir=str(profile), token=token)
    backend.failure = LockedError("the store is locked")
    return backend


@pytest.fixture
def cache(tmp_path: Path) -> UsageCache:
    return UsageCache(tmp_path / "cache")


def entry_of(cache: UsageCache) -> Any:
    files = sorted(cache.directory.glob("usage-*.json"))
    assert len(files) == 1
    entry = read_entry(files[0])
    assert entry is not None
    return files[0], entry


def expire(cache: UsageCache) -> None:
    """Move the back-off's end into the past, as time passing would."""
    path, _ = entry_of(cache)
    document = json.loads(path.read_text())
    document["backoff_until"] = time.time() - 1
    document["backoff_set_at"] = time.time() - 2
    path.write_text(json.dumps(document))


def test_a_locked_store_is_asked_once_then_left_alone(cache: UsageCache, store: FlakyStore) -> None:
    with pytest.raises(LockedError):
        cache.get(store, max_age=60)
    for _ in range(5):
        with pytest.raises(CredentialsUnavailableError) as caught:
            cache.get(store, max_age=60)
        assert "the store is locked" in str(caught.value)
        assert "not asked again for another" in str(caught.value)
        assert isinstance(caught.value, CredentialsError)
    assert store.reads == 1
    _, entry = entry_of(cache)
    assert entry.backoff_until - entry.backoff_set_at == CREDENTIALS_BACKOFF[0] == 60.0


def test_max_age_zero_still_asks_once(cache: UsageCache, store: FlakyStore) -> None:
    with pytest.raises(LockedError):
        cache.get(store, max_age=60)
    with pytest.raises(LockedError):
        cache.get(store, max_age=0)
    assert store.reads == 2
    with pytest.raises(CredentialsUnavailableError):
        cache.get(store, max_age=60)
    assert store.reads == 2


def test_a_change_of_the_credentials_file_lifts_the_back_off(
    cache: UsageCache, store: FlakyStore, profile: Path
) -> None:
    with pytest.raises(LockedError):
        cache.get(store, max_age=60)
    support.write_credentials(profile, support.credentials_blob(support.make_token()))
    with pytest.raises(LockedError):
        cache.get(store, max_age=60)
    assert store.reads == 2
    with pytest.raises(CredentialsUnavailableError):
        cache.get(store, max_age=60)
    assert store.reads == 2
    # Rewritten (a token refresh): lifted again.
    path = profile / ".credentials.json"
    os.utime(path, ns=(time.time_ns(), path.stat().st_mtime_ns + 1_000_000))
    with pytest.raises(LockedError):
        cache.get(store, max_age=60)
    assert store.reads == 3


def test_the_back_off_doubles_and_is_capped(cache: UsageCache, store: FlakyStore) -> None:
    waits = []
    for _ in range(7):
        with pytest.raises(LockedError):
            cache.get(store, max_age=60)
        _, entry = entry_of(cache)
        waits.append(round(entry.backoff_until - entry.backoff_set_at))
        expire(cache)
    assert waits == [60, 120, 240, 480, 900, 900, 900]
    assert store.reads == 7


def test_not_found_backs_off_too_and_keeps_its_type(cache: UsageCache, store: FlakyStore) -> None:
    store.failure = CredentialsNotFoundError("no item 'x'; run `claude` and log in")
    with pytest.raises(CredentialsNotFoundError):
        cache.get(store, max_age=60)
    with pytest.raises(CredentialsNotFoundError) as caught:
        cache.get(store, max_age=60)
    assert "no item 'x'" in str(caught.value)
    assert store.reads == 1


@pytest.mark.parametrize(
    "failure",
    [InvalidCredentialsError("garbage in the store"), TokenExpiredError("expired")],
    ids=["invalid", "expired"],
)
def test_other_credential_failures_are_remembered_too(cache: UsageCache, store: FlakyStore, failure: Exception) -> None:
    """Every credentials failure, not only an unreadable store: a statusline
    render in another process reads the reason from the cache, and nobody
    reads a broken store again and again."""
    store.failure = failure
    for _ in range(3):
        with pytest.raises(type(failure)):
            cache.get(store, max_age=60)
    assert store.reads == 1


def test_last_good_value_is_served_stale_meanwhile(
    api: HTTPServer, cache: UsageCache, store: FlakyStore, body: dict[str, Any]
) -> None:
    store.failure = None
    support.serve_once(api, body)
    assert not cache.get(store, max_age=60).stale
    store.failure = LockedError("the store is locked")
    first = cache.get(store, max_age=0)
    assert first.stale
    assert isinstance(first.error, LockedError)
    later = cache.get(store, max_age=0.001)
    assert later.stale
    assert isinstance(later.error, CredentialsUnavailableError)
    assert later.body == body
    assert store.reads == 2
    assert len(api.log) == 1


def test_success_clears_the_back_off(
    api: HTTPServer, cache: UsageCache, store: FlakyStore, body: dict[str, Any]
) -> None:
    with pytest.raises(LockedError):
        cache.get(store, max_age=60)
    store.failure = None
    support.serve(api, body)
    assert not cache.get(store, max_age=0).stale
    _, entry = entry_of(cache)
    assert entry.backoff_until is None
    assert entry.store_stamp is None
    assert entry.failures == 0


UNAUTHORIZED = {"type": "error", "error": {"type": "authentication_error", "message": "Invalid bearer token"}}


def blocked_by_a_401(api: HTTPServer, cache: UsageCache, store: FlakyStore) -> None:
    """The store reads a login the API rejects: the cache blocks it."""
    store.failure = None
    support.serve(api, UNAUTHORIZED, status=401)
    with pytest.raises(AuthenticationError):
        cache.get(store, max_age=60)


def test_a_store_failure_during_a_401_block_keeps_the_block(
    api: HTTPServer, cache: UsageCache, store: FlakyStore
) -> None:
    """A 401 blocks the token until the credentials change. A store that
    fails meanwhile (locked, say) and then reads the same token again must
    not let that token be sent again before the block ends."""
    blocked_by_a_401(api, cache, store)
    store.failure = LockedError("the store is locked")
    with pytest.raises(LockedError):
        cache.get(store, max_age=60)
    with pytest.raises(CredentialsUnavailableError):
        cache.get(store, max_age=60)  # the credential back-off: the store is not asked
    assert store.reads == 2
    # The store answers again, with the same token, once its back-off is over.
    store.failure = None
    expire(cache)
    for _ in range(3):
        with pytest.raises(AuthenticationError) as caught:
            cache.get(store, max_age=60)
        assert "401" in str(caught.value) or "token" in str(caught.value)
    assert len(api.log) == 1, "the token the API rejected was sent again"
    _, entry = entry_of(cache)
    assert entry.blocked_stamp is not None and entry.store_stamp is None
    assert entry.error is not None and entry.error["type"] == "AuthenticationError"
    # A new login (another token) lifts the block, as ever.
    store.token = support.make_token()
    store.expires_at_ms -= 3_600_000
    with pytest.raises(AuthenticationError):
        cache.get(store, max_age=60)
    assert len(api.log) == 2


def test_a_store_failure_after_the_block_ended_carries_no_block(
    api: HTTPServer, cache: UsageCache, store: FlakyStore
) -> None:
    blocked_by_a_401(api, cache, store)
    expire(cache)  # the block is over
    store.failure = LockedError("the store is locked")
    with pytest.raises(LockedError):
        cache.get(store, max_age=60)
    _, entry = entry_of(cache)
    assert entry.blocked_stamp is None


def test_a_held_block_outlasts_a_second_store_failure_and_a_new_login_lifts_it(
    api: HTTPServer, cache: UsageCache, store: FlakyStore
) -> None:
    blocked_by_a_401(api, cache, store)
    store.failure = LockedError("the store is locked")
    for _ in range(2):  # the store's back-off ends, and the store is still locked
        with pytest.raises(LockedError):
            cache.get(store, max_age=60)
        expire(cache)
    _, entry = entry_of(cache)
    assert entry.held_block is not None and entry.held_block["error"]["type"] == "AuthenticationError"
    # The store comes back with a new login: the block does not apply to it.
    store.failure = None
    store.token = support.make_token()
    store.expires_at_ms -= 3_600_000
    with pytest.raises(AuthenticationError):
        cache.get(store, max_age=60)
    assert len(api.log) == 2
