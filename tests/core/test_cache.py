"""The shared cache, against a real loopback server and real files."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import claude_usage
import support
from claude_usage import CredentialBackend, Credentials, parse_claude_code_credentials
from claude_usage._lock import FileLock
from claude_usage._paths import cache_dir
from claude_usage.cache import CacheEntry, UsageCache, cache_key, read_entry


class StoreBackend(CredentialBackend):
    """Claude Code's JSON in a file the test controls."""

    name = "store"

    def __init__(self, path: Path, *, config_dir: str | None = None) -> None:
        super().__init__(config_dir=config_dir)
        self.path = path

    def priority(self) -> float:
        return 1.0

    def read_credentials(self) -> Credentials:
        return parse_claude_code_credentials(self.path.read_bytes(), source=str(self.path))


@pytest.fixture
def store(tmp_path: Path, token: str) -> Path:
    path = tmp_path / "store.json"
    path.write_text(json.dumps(support.credentials_blob(token)))
    return path


@pytest.fixture
def cache(tmp_path: Path) -> UsageCache:
    return UsageCache(tmp_path / "cache")


@pytest.fixture
def body() -> dict[str, Any]:
    return support.load_body("published_domain_2026_07.json")


def only_entry(cache: UsageCache) -> tuple[Path, CacheEntry]:
    files = sorted(cache.directory.glob("usage-*.json"))
    assert len(files) == 1, files
    entry = read_entry(files[0])
    assert entry is not None
    return files[0], entry


def test_fresh_entry_is_served_without_a_request(
    api: HTTPServer, cache: UsageCache, store: Path, body: dict[str, Any]
) -> None:
    support.serve_once(api, body)
    first = cache.get(StoreBackend(store), max_age=60)
    second = cache.get(StoreBackend(store), max_age=60)
    assert len(api.log) == 1
    assert not first.stale and not second.stale
    assert second.data.five_hour is not None and second.data.five_hour.utilization == 53.0
    assert second.body == body


def test_max_age_zero_fetches_again(api: HTTPServer, cache: UsageCache, store: Path, body: dict[str, Any]) -> None:
    support.serve_once(api, body)
    support.serve_once(api, {**body, "five_hour": {"utilization": 60.0, "resets_at": None}})
    cache.get(StoreBackend(store), max_age=60)
    again = cache.get(StoreBackend(store), max_age=0)
    assert len(api.log) == 2
    assert again.data.five_hour is not None and again.data.five_hour.utilization == 60.0


def test_files_are_private_and_hold_no_token(
    api: HTTPServer, cache: UsageCache, store: Path, token: str, body: dict[str, Any]
) -> None:
    support.serve_once(api, body)
    cache.get(StoreBackend(store))
    path, _ = only_entry(cache)
    assert stat.S_IMODE(cache.directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for file in cache.directory.iterdir():
        support.assert_no_token(file.read_bytes(), token)
        support.assert_no_token(file.name, token)


def test_429_serves_stale_and_stops_asking_for_retry_after(
    api: HTTPServer, cache: UsageCache, store: Path, body: dict[str, Any]
) -> None:
    support.serve_once(api, body)
    cache.get(StoreBackend(store))
    support.serve_once(api, {"error": {"type": "rate_limit_error"}}, status=429, headers={"Retry-After": "120"})
    stale = cache.get(StoreBackend(store), max_age=0)
    assert stale.stale
    assert isinstance(stale.error, claude_usage.RateLimitError)
    assert stale.body == body
    for _ in range(3):
        again = cache.get(StoreBackend(store), max_age=0)
        assert again.stale
        assert isinstance(again.error, claude_usage.RateLimitError)
        assert again.error.retry_after is not None and 100 < again.error.retry_after <= 120
    assert len(api.log) == 2, "no request may be sent during the server's back-off"
    _, entry = only_entry(cache)
    assert entry.backoff_remaining(time.time()) > 100


def test_429_without_retry_after_backs_off_exponentially(
    api: HTTPServer, cache: UsageCache, store: Path, body: dict[str, Any]
) -> None:
    support.serve_once(api, {"error": {"type": "rate_limit_error"}}, status=429, headers={"Retry-After": "0"})
    with pytest.raises(claude_usage.RateLimitError):
        cache.get(StoreBackend(store))
    path, entry = only_entry(cache)
    assert entry.backoff_until is not None and entry.backoff_set_at is not None
    assert entry.backoff_until - entry.backoff_set_at == pytest.approx(300.0)
    # Let the back-off lapse (rewrite its end into the past) and be limited again.
    document = json.loads(path.read_text())
    document["backoff_until"] = time.time() - 1
    path.write_text(json.dumps(document))
    support.serve_once(api, {"error": {"type": "rate_limit_error"}}, status=429)
    with pytest.raises(claude_usage.RateLimitError):
        cache.get(StoreBackend(store))
    _, entry = only_entry(cache)
    assert entry.failures == 2
    assert entry.backoff_until is not None and entry.backoff_set_at is not None
    assert entry.backoff_until - entry.backoff_set_at == pytest.approx(600.0)


def test_401_blocks_until_the_credentials_change(api: HTTPServer, cache: UsageCache, store: Path, token: str) -> None:
    support.serve_once(
        api, {"type": "error", "error": {"type": "authentication_error", "message": "Invalid"}}, status=401
    )
    with pytest.raises(claude_usage.AuthenticationError):
        cache.get(StoreBackend(store))
    with pytest.raises(claude_usage.AuthenticationError):
        cache.get(StoreBackend(store), max_age=0)
    assert len(api.log) == 1, "a 401 must not be retried with the same credentials"
    # Claude Code logs in again: new expiry, new token.
    store.write_text(
        json.dumps(support.credentials_blob(support.make_token(), expires_at_ms=support.FAR_FUTURE_MS + 1))
    )
    support.serve_once(api, support.load_body("published_domain_2026_07.json"))
    fresh = cache.get(StoreBackend(store))
    assert not fresh.stale
    assert len(api.log) == 2


def test_server_errors_back_off_briefly_and_serve_stale(
    api: HTTPServer, cache: UsageCache, store: Path, body: dict[str, Any]
) -> None:
    support.serve_once(api, body)
    cache.get(StoreBackend(store))
    support.serve_once(api, "bad gateway", status=502)
    stale = cache.get(StoreBackend(store), max_age=0)
    assert stale.stale and isinstance(stale.error, claude_usage.ServerError)
    again = cache.get(StoreBackend(store), max_age=0)
    assert again.stale and isinstance(again.error, claude_usage.ServerError)
    assert len(api.log) == 2
    _, entry = only_entry(cache)
    assert entry.backoff_until is not None and entry.backoff_set_at is not None
    assert entry.backoff_until - entry.backoff_set_at == pytest.approx(10.0)


def test_expired_token_is_remembered_without_a_request(
    api: HTTPServer, cache: UsageCache, tmp_path: Path, token: str, body: dict[str, Any]
) -> None:
    """Found before sending, an expired token is recorded like an unreadable
    store: a statusline render can then say why, and the next callers do not
    read the store again; a new login (the profile's credentials file
    changing) lifts it."""
    profile = tmp_path / "profile"
    credentials = support.write_credentials(profile, support.credentials_blob(token, expires_at_ms=support.PAST_MS))
    backend = StoreBackend(credentials, config_dir=str(profile))
    with pytest.raises(claude_usage.TokenExpiredError):
        cache.get(backend)
    _, entry = only_entry(cache)
    assert entry.error is not None and entry.error["type"] == "TokenExpiredError"
    assert entry.store_stamp is not None and entry.attempt is None
    with pytest.raises(claude_usage.TokenExpiredError, match="not asked again"):
        cache.get(backend)
    assert len(api.log) == 0
    support.write_credentials(profile, support.credentials_blob(token))  # Claude Code renewed it
    support.serve_once(api, body)
    assert not cache.get(backend).stale
    assert len(api.log) == 1


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b"\x00\xff\xfe", b"[]", b'{"version": 99}', b'{"version": 1, "body": "x", "fetched_at": "now"}'],
    ids=["empty", "truncated", "binary", "list", "foreign-version", "wrong-types"],
)
def test_corrupt_or_foreign_file_is_replaced(
    api: HTTPServer, cache: UsageCache, store: Path, body: dict[str, Any], content: bytes
) -> None:
    key = cache_key(StoreBackend(store), base_url=os.environ["CLAUDE_USAGE_BASE_URL"])
    cache.directory.mkdir(mode=0o700)
    cache.path_for(key).write_bytes(content)
    support.serve_once(api, body)
    result = cache.get(StoreBackend(store))
    assert not result.stale and result.body == body
    _, entry = only_entry(cache)
    assert entry.body == body


def test_unwritable_cache_still_answers(api: HTTPServer, tmp_path: Path, store: Path, body: dict[str, Any]) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be")
    cache = UsageCache(blocker / "cache")
    support.serve_once(api, body)
    support.serve_once(api, body)
    assert cache.get(StoreBackend(store)).body == body
    assert cache.get(StoreBackend(store)).body == body
    assert len(api.log) == 2, "without a cache every call asks, but none fails"


def test_clock_jump_backwards_invalidates_timestamps(
    api: HTTPServer, cache: UsageCache, store: Path, body: dict[str, Any]
) -> None:
    support.serve_once(api, body)
    cache.get(StoreBackend(store))
    path, _ = only_entry(cache)
    document = json.loads(path.read_text())
    future = time.time() + 3600  # written "an hour from now": the clock has since gone back
    document.update(fetched_at=future, backoff_set_at=future, backoff_until=future + 600)
    path.write_text(json.dumps(document))
    support.serve_once(api, body)
    result = cache.get(StoreBackend(store))
    assert not result.stale
    assert len(api.log) == 2


def test_key_separates_profiles_accounts_and_servers(store: Path, monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    keys = {
        cache_key(),
        cache_key(config_dir="/profiles/work"),
        cache_key(config_dir="/profiles/work/"),
        cache_key("file"),
        cache_key(base_url="http://127.0.0.1:1"),
    }
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", token)
    keys.add(cache_key())
    assert len(keys) == 6
    assert cache_key(config_dir="/profiles/work") == cache_key(config_dir="/profiles/work")
    for key in keys:
        support.assert_no_token(key, token)


def test_default_directory_follows_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    platformdirs = pytest.importorskip("platformdirs", reason="platformdirs is the reference being compared with")
    assert Path(cache_dir()) == Path(platformdirs.user_cache_dir("claude-usage", appauthor=False))
    monkeypatch.setenv("CLAUDE_USAGE_CACHE_DIR", "/somewhere/else")
    assert cache_dir() == "/somewhere/else"


def test_get_usage_max_age_uses_the_shared_cache(
    api: HTTPServer, store: Path, body: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_USAGE_CACHE_DIR", str(tmp_path / "shared"))
    support.serve_once(api, body)
    first = claude_usage.get_usage(StoreBackend(store), max_age=60)
    second = claude_usage.get_usage(StoreBackend(store), max_age=60)
    assert first == second
    assert len(api.log) == 1
    support.serve_once(api, {"error": {"type": "rate_limit_error"}}, status=429, headers={"Retry-After": "30"})
    with pytest.raises(claude_usage.RateLimitError):
        claude_usage.get_usage(StoreBackend(store), max_age=0)


@pytest.fixture
def lock_holder(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    path = tmp_path / "held.lock"
    code = (
        "import sys, time; from pathlib import Path; from claude_usage._lock import FileLock;"
        "lock = FileLock(Path(sys.argv[1]), 5); assert lock.acquire(); print('held', flush=True); time.sleep(60)"
    )
    process = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    yield process, path
    process.kill()
    process.wait()


def test_lock_of_a_killed_process_is_released(lock_holder: tuple[subprocess.Popen[str], Path]) -> None:
    process, path = lock_holder
    assert not FileLock(path, 0.2).acquire(), "the live holder keeps the lock"
    process.send_signal(signal.SIGKILL)
    process.wait()
    started = time.monotonic()
    lock = FileLock(path, 5)
    assert lock.acquire()
    lock.release()
    assert time.monotonic() - started < 1.0


def test_bare_token_auth_block_is_short(api: HTTPServer, cache: UsageCache, monkeypatch: pytest.MonkeyPatch) -> None:
    """CLAUDE_CODE_OAUTH_TOKEN has no metadata: a new token cannot be told
    from the old, so a 403 blocks for five minutes, not an hour."""
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", support.make_token())
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_SCOPES", "user:inference user:profile")
    support.serve_once(
        api,
        {"type": "error", "error": {"type": "permission_error", "message": "scope requirement user:profile"}},
        status=403,
    )
    with pytest.raises(claude_usage.PermissionDeniedError):
        cache.get("env")
    _, entry = only_entry(cache)
    assert entry.backoff_until is not None and entry.backoff_set_at is not None
    assert entry.backoff_until - entry.backoff_set_at == pytest.approx(300.0)


def test_absurd_retry_after_is_capped(api: HTTPServer, cache: UsageCache, store: Path) -> None:
    support.serve_once(api, {"error": {"type": "rate_limit_error"}}, status=429, headers={"Retry-After": "1e12"})
    with pytest.raises(claude_usage.RateLimitError) as caught:
        cache.get(StoreBackend(store))
    assert caught.value.retry_after == 3600.0
    _, entry = only_entry(cache)
    assert entry.backoff_remaining(time.time()) <= 3600.0


@pytest.mark.parametrize("written", ["HTTP://127.0.0.1:8765", "http://127.0.0.1:8765/", " http://127.0.0.1:8765 "])
def test_key_matches_the_clients_normalised_url(written: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The statusline peeks with the variable as written; a refresh keys by
    the client's normalised URL: both must name the same file."""
    from claude_usage.client import ClientConfig

    monkeypatch.setenv("CLAUDE_USAGE_BASE_URL", written)
    assert cache_key() == cache_key(base_url=ClientConfig.resolve().base_url)
