"""The shared usage cache: one small file per account/profile, used by every
process, so that ten statuslines, a dashboard and ``watch`` together send one
request per TTL, and a 429 silences all of them until the server's back-off
ends.

* Keyed by a fingerprint of where the credentials come from (backend choice,
  profile directory, whether ``CLAUDE_CODE_OAUTH_TOKEN`` is in play, base
  URL), never by the token: the cache holds only what the API answered.
* Directory 0700, files 0600, written to a temporary file and renamed, so a
  reader sees the old file or the new one, never half of one. A corrupt or
  foreign file is ignored and replaced.
* A refresh holds an exclusive lock; processes that find the cache stale at
  the same time wait for the lock, re-read, and find it fresh: one request.
* When the endpoint limits requests (429, an edge's 403, or a 2xx carrying
  a ``rate_limit_error``) the back-off the server asked for (or, when it gave
  none, 5 min as Claude Code waits, doubling up to an hour on repeats) is
  stored and the last good value is served, marked stale, until it ends.
  On 401/403 no request is sent again until the credentials change (their
  stored metadata: Claude Code rewrites it when it logs in or refreshes), or
  for an hour at most; five minutes for a bare token such as
  ``CLAUDE_CODE_OAUTH_TOKEN``, whose change cannot be seen. Network and
  server failures back off from 10 s to 5 min.
* A credential store that cannot be read (locked, access denied, no answer
  in time, nothing there) is not asked again for a minute, doubling to 15
  minutes, so that renders do not put one Keychain dialog after another in
  front of the user. A change of the profile's credentials file lifts it, and
  ``max_age=0`` (``show --max-age 0``) asks once anyway. A store is read
  while the refresh lock is held only through backends whose reads are
  bounded (the Keychain reader's own 2 s timeout).

Every decision (served from the cache and how old, request sent, no request
and why and until when) is logged at DEBUG on the ``claude_usage.cache``
logger, which is what ``-v`` shows. ``retry_now=True`` sends one request
despite a local back-off (after a network or server failure, or a 401/403
block), never despite a 429: that back-off is the server's.

Reading a fresh entry imports only the standard library: this is the path
every statusline render takes.
"""

from __future__ import annotations

import os
import sys
import time

from claude_usage import _fastjson
from claude_usage._defaults import (
    ENV_BACKEND,
    ENV_OAUTH_SCOPES,
    ENV_OAUTH_TOKEN,
    ENV_RATE_LIMIT_TIER,
    ENV_SUBSCRIPTION_TYPE,
    default_base_url,
)
from claude_usage._paths import cache_dir
from claude_usage.profiles import credentials_file, storage_dir

# Not typing.TYPE_CHECKING: typing and pathlib stay off the render path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from hashlib import sha256
    from pathlib import Path
    from typing import Any

    from claude_usage.backend import CredentialBackend
    from claude_usage.client import UsageClient
    from claude_usage.credentials import Credentials
    from claude_usage.errors import ClaudeUsageError
    from claude_usage.history import History
    from claude_usage.models import UsageData
else:
    # The builtin module: hashlib would load OpenSSL on every render. It is
    # _sha2 from Python 3.12 on, _sha256 before; chosen by version, since a
    # failed import searches every sys.path entry (a cost on every render).
    try:
        if sys.version_info >= (3, 12):
            from _sha2 import sha256
        else:
            from _sha256 import sha256
    except ImportError:  # pragma: no cover - other interpreters
        from hashlib import sha256

__all__ = [
    "DEFAULT_MAX_AGE",
    "CacheEntry",
    "CachedUsage",
    "UsageCache",
    "cache_key",
]

CACHE_VERSION = 1
DEFAULT_MAX_AGE = 60.0
#: Without a Retry-After, Claude Code waits 5 minutes (capped at an hour); this
#: cache starts there and doubles on repeated limits, never asking sooner.
RATE_LIMIT_BACKOFF = (300.0, 3600.0)
FAILURE_BACKOFF = (10.0, 300.0)
AUTH_BLOCK_SECONDS = 3600.0
BARE_TOKEN_BLOCK_SECONDS = 300.0
CREDENTIALS_BACKOFF = (60.0, 900.0)
#: The longest back-off this library sets (Retry-After is capped at an hour too).
MAX_BACKOFF = 3600.0
#: Clock differences smaller than this are ignored; larger backward jumps
#: make an entry's timestamps untrustworthy, and they are disregarded.
CLOCK_SLACK = 5.0
MAX_CACHE_BYTES = 2 * 1024 * 1024
DEFAULT_LOCK_TIMEOUT = 15.0
#: A refresh records its attempt before it sends: for the request's timeout
#: plus this much it counts as in flight, then (if nothing replaced it, the
#: process was killed or hung) as a failure, backed off FAILURE_BACKOFF[0].
ATTEMPT_GRACE = 2.0
#: How long a background refresh that was asked for but has not started
#: sending yet keeps other renders from asking for another one.
CLAIM_SECONDS = 5.0
#: The request timeout of a background refresh (Claude Code's own for this
#: endpoint): nobody waits on it, so it can be as patient as Claude Code.
BACKGROUND_TIMEOUT = 5.0


def backend_selection(backend: str | None) -> str:
    """The backend a name (or its absence) selects: the name, else
    ``CLAUDE_USAGE_BACKEND``, else ``"auto"``."""
    return backend or os.environ.get(ENV_BACKEND, "").strip() or "auto"


def env_token_wins(selection: str, config_dir: str | None) -> bool:
    """Whether ``CLAUDE_CODE_OAUTH_TOKEN`` is the account read: the env
    backend outranks every store when its variable is set and no profile
    was asked for."""
    return selection in ("auto", "env") and config_dir is None and bool(os.environ.get(ENV_OAUTH_TOKEN, "").strip())


def cache_key(
    backend: CredentialBackend | str | None = None,
    *,
    config_dir: str | None = None,
    base_url: str | None = None,
) -> str:
    """A non-reversible name for the account/profile a request would use.

    It changes with everything that changes which credentials are read, and
    never depends on the token itself.
    """
    env = os.environ
    if backend is None or isinstance(backend, str):
        selection = backend_selection(backend)
        explicit_profile = config_dir
    else:
        selection = f"{type(backend).__module__}.{type(backend).__qualname__}"
        explicit_profile = backend.config_dir if config_dir is None else config_dir
    # The env backend's token is a different account, so a different file.
    env_token = env_token_wins(selection, explicit_profile)
    material = "\0".join(
        [
            selection,
            storage_dir(explicit_profile) or "",
            "env-token" if env_token else "",
            _normal_url(base_url or default_base_url(env)),
            env.get("USER", ""),
        ]
    )
    return sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def _normal_url(url: str) -> str:
    """The base URL as the client normalises it (scheme in lower case, no
    trailing slash), without importing urllib: the statusline's cheap lookup
    and the client's refresh must name the same file."""
    scheme, separator, rest = url.strip().partition("://")
    return (scheme.lower() + separator + rest if separator else url.strip()).rstrip("/")


def _log(message: str, *args: object) -> None:
    """Log one cache decision at DEBUG (``-v``) without importing logging on
    the render path: when nothing imported it, no handler can be configured."""
    logging = sys.modules.get("logging")
    if logging is not None:
        logging.getLogger("claude_usage.cache").debug(message, *args)


def _span(seconds: float) -> str:
    """``42s``, ``12m05s``, ``1h00m``: a short duration for log lines."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _clock(epoch: float) -> str:
    """``14:05:03 UTC``: when a back-off ends, for log lines."""
    return time.strftime("%H:%M:%S UTC", time.gmtime(epoch))


def _bypassable(entry: CacheEntry) -> bool:
    """Whether ``retry_now`` may skip this back-off: every one this library
    sets on its own; a rate limit's is the server's and always holds."""
    return _kind(entry) != "RateLimitError"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _valid_attempt(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("state") in ("claimed", "sending")
        and isinstance(value.get("id"), str)
        and _number(value.get("at")) is not None
        and _number(value.get("until")) is not None
    )


def _time_left(until: float, set_at: float, now: float) -> float:
    """Seconds until ``until``; 0 when past, or when the clock moved
    backwards since ``set_at`` (the end can no longer be trusted). Never
    longer than any back-off this library sets, whatever the file says."""
    if now < set_at - CLOCK_SLACK:
        return 0.0
    return min(max(0.0, until - now), MAX_BACKOFF)


def _valid_held_block(value: Any) -> bool:
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("stamp"), str)
        or not isinstance(value.get("error"), dict)
    ):
        return False
    until, set_at = _number(value.get("until")), _number(value.get("set_at"))
    # Never longer than any block this library sets, whatever the file says.
    return until is not None and set_at is not None and until - set_at <= MAX_BACKOFF


def _attempt_id() -> str:
    return f"{os.getpid()}-{time.time_ns()}"


class CacheEntry:
    """One cache file: the last good body and the back-off state."""

    __slots__ = (
        "attempt",
        "backoff_set_at",
        "backoff_until",
        "blocked_stamp",
        "body",
        "checked_stamp",
        "error",
        "failures",
        "fetched_at",
        "held_block",
        "store_stamp",
    )

    def __init__(
        self,
        body: dict[str, Any] | None = None,
        fetched_at: float | None = None,
        *,
        backoff_until: float | None = None,
        backoff_set_at: float | None = None,
        error: dict[str, Any] | None = None,
        failures: int = 0,
        blocked_stamp: str | None = None,
        store_stamp: str | None = None,
        attempt: dict[str, Any] | None = None,
        held_block: dict[str, Any] | None = None,
        checked_stamp: str | None = None,
    ) -> None:
        self.body = body
        self.fetched_at = fetched_at
        self.backoff_until = backoff_until
        self.backoff_set_at = backoff_set_at
        self.error = error
        self.failures = failures
        self.blocked_stamp = blocked_stamp
        #: Set with a credential back-off: the credentials file as it was then.
        self.store_stamp = store_stamp
        #: A refresh under way: ``{"state": "claimed" | "sending", "id",
        #: "at", "until"}``. "claimed": a background refresh was started and
        #: has not sent yet; "sending": a request is out. Written before the
        #: request, replaced by its outcome, so a refresh that is killed or
        #: hangs is seen as one, never as "nobody tried".
        self.attempt = attempt
        #: A 401/403 block still in force when the credential store then
        #: failed: ``{"stamp", "until", "set_at", "error"}``. The store's
        #: back-off takes the entry's place; once the store answers with the
        #: same credentials, the block is put back, so the token the API
        #: rejected is not sent again before the block ends.
        self.held_block = held_block
        #: With a 401/403 block: the credentials file (its stamp, never its
        #: content) as it was when the block was last held against the
        #: credentials. Only a change from it is worth a background check,
        #: so a file rewritten with the same login starts one check, not one
        #: per render.
        self.checked_stamp = checked_stamp

    def held_block_remaining(self, now: float) -> float:
        """Seconds left of a block kept through a store failure; 0 when none
        (the rules of :meth:`backoff_remaining`)."""
        held = self.held_block
        return 0.0 if held is None else _time_left(float(held["until"]), float(held["set_at"]), now)

    @classmethod
    def from_json(cls, document: Any) -> CacheEntry | None:
        """The entry, or None for anything that is not one of ours."""
        if not isinstance(document, dict) or document.get("version") != CACHE_VERSION:
            return None
        body = document.get("body")
        error = document.get("error")
        failures = document.get("failures")
        stamp = document.get("blocked_stamp")
        store = document.get("store_stamp")
        attempt = document.get("attempt")
        held = document.get("held_block")
        checked = document.get("checked_stamp")
        return cls(
            body if isinstance(body, dict) else None,
            _number(document.get("fetched_at")),
            backoff_until=_number(document.get("backoff_until")),
            backoff_set_at=_number(document.get("backoff_set_at")),
            error=error if isinstance(error, dict) else None,
            failures=failures if isinstance(failures, int) and not isinstance(failures, bool) else 0,
            blocked_stamp=stamp if isinstance(stamp, str) else None,
            store_stamp=store if isinstance(store, str) else None,
            attempt=attempt if _valid_attempt(attempt) else None,
            held_block=held if _valid_held_block(held) else None,
            checked_stamp=checked if isinstance(checked, str) else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "version": CACHE_VERSION,
            "fetched_at": self.fetched_at,
            "body": self.body,
            "backoff_until": self.backoff_until,
            "backoff_set_at": self.backoff_set_at,
            "error": self.error,
            "failures": self.failures,
            "blocked_stamp": self.blocked_stamp,
            "store_stamp": self.store_stamp,
            "attempt": self.attempt,
            "held_block": self.held_block,
            "checked_stamp": self.checked_stamp,
        }

    def replaced(self, **changes: Any) -> CacheEntry:
        """This entry with ``changes`` (fields by their JSON names)."""
        document = self.to_json()  # every field, so none is forgotten when one is added
        document.update(changes)
        copy = CacheEntry.from_json(document)
        assert copy is not None  # to_json writes what from_json reads
        return copy

    def with_attempt(self, state: str, attempt_id: str, now: float, seconds: float) -> CacheEntry:
        """This entry, with a refresh recorded as under way."""
        return self.replaced(attempt={"state": state, "id": attempt_id, "at": now, "until": now + seconds})

    def attempt_live(self, now: float, state: str | None = None) -> bool:
        """Whether a recorded attempt (of ``state``, or any) is still within
        its time: in flight, as far as anyone without the lock can tell."""
        attempt = self.attempt
        if attempt is None or (state is not None and attempt["state"] != state):
            return False
        return float(attempt["at"]) - CLOCK_SLACK <= now < float(attempt["until"])

    def refresh_under_way(self, now: float) -> bool:
        """Whether a refresh was claimed or sent and is still within its time."""
        return self.attempt_live(now, "claimed") or self.attempt_live(now, "sending")

    def abandoned_remaining(self, now: float) -> float:
        """Back-off left after a request that was sent and never answered
        (its process killed or hung): 0 when there is none."""
        attempt = self.attempt
        if attempt is None or attempt["state"] != "sending" or now < float(attempt["at"]) - CLOCK_SLACK:
            return 0.0
        return min(max(0.0, float(attempt["until"]) + FAILURE_BACKOFF[0] - now), MAX_BACKOFF)

    def age(self, now: float) -> float | None:
        return None if self.fetched_at is None else now - self.fetched_at

    def is_fresh(self, now: float, max_age: float) -> bool:
        age = self.age(now)
        return self.body is not None and age is not None and -CLOCK_SLACK <= age <= max_age

    def backoff_remaining(self, now: float) -> float:
        """Seconds of back-off left; 0 when none, or when the clock moved
        backwards since it was set (its end can no longer be trusted)."""
        if self.backoff_until is None or self.backoff_set_at is None:
            return 0.0
        return _time_left(self.backoff_until, self.backoff_set_at, now)


class CachedUsage:
    """What the cache served: the body, when it was fetched, and whether it
    is stale (with the error that kept it from being refreshed)."""

    __slots__ = ("_data", "body", "error", "fetched_at", "stale")

    def __init__(
        self, body: dict[str, Any], fetched_at: float, *, stale: bool = False, error: ClaudeUsageError | None = None
    ) -> None:
        self.body = body
        self.fetched_at = fetched_at
        self.stale = stale
        self.error = error
        self._data: UsageData | None = None

    @property
    def data(self) -> UsageData:
        """The parsed :class:`UsageData` (parsed on first use)."""
        if self._data is None:
            from claude_usage._convert import parse_usage

            self._data = parse_usage(self.body)
        return self._data

    def age(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.fetched_at

    def __repr__(self) -> str:
        state = "stale" if self.stale else "fresh"
        return f"<CachedUsage {state}, fetched {self.age():.0f}s ago>"


def read_entry(path: str | os.PathLike[str]) -> CacheEntry | None:
    """The entry at ``path``; None when missing, unreadable, corrupt or foreign."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CACHE_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_CACHE_BYTES:
        return None
    try:
        document = _fastjson.loads(data)
    except (ValueError, RecursionError):
        return None
    return CacheEntry.from_json(document)


def write_entry(path: str | os.PathLike[str], entry: CacheEntry) -> bool:
    """Write atomically with mode 0600; False (never an exception) when the
    directory cannot be written: a read-only cache only costs requests."""
    from claude_usage._files import write_private  # not on a cached render's path

    try:
        text = _fastjson.dumps(entry.to_json())
    except (TypeError, ValueError):
        return False
    return write_private(path, text)


def _credentials_stamp(backend: CredentialBackend, credentials: Credentials) -> str:
    """A fingerprint of the credentials' metadata (never the token): changes
    when Claude Code logs in again or refreshes."""
    parts = [
        backend.name or type(backend).__name__,
        str(backend.config_dir),
        credentials.expires_at.isoformat() if credentials.expires_at else "",
        " ".join(credentials.scopes or ()),
        credentials.subscription_type or "",
        credentials.rate_limit_tier or "",
    ]
    return sha256("\0".join(parts).encode()).hexdigest()[:16]


def _backoff(bounds: tuple[float, float], failures: int) -> float:
    low, high = bounds
    return float(min(high, low * 2 ** max(0, failures - 1)))


class UsageCache:
    """The shared cache. ``directory`` defaults to ``$CLAUDE_USAGE_CACHE_DIR``
    or the user's cache directory (``~/.cache/claude-usage`` on Linux)."""

    def __init__(
        self, directory: str | os.PathLike[str] | None = None, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> None:
        self._directory = os.fspath(directory) if directory is not None else cache_dir()
        self.lock_timeout = lock_timeout

    def __repr__(self) -> str:
        return f"<UsageCache {self._directory}>"

    @property
    def directory(self) -> Path:
        from pathlib import Path

        return Path(self._directory)

    def _file_for(self, key: str) -> str:
        return os.path.join(self._directory, f"usage-{key}.json")

    def path_for(self, key: str) -> Path:
        """The cache file of ``key`` (see :func:`cache_key`)."""
        from pathlib import Path

        return Path(self._file_for(key))

    def peek(
        self,
        backend: CredentialBackend | str | None = None,
        *,
        config_dir: str | None = None,
        base_url: str | None = None,
    ) -> CacheEntry | None:
        """The stored entry, without locking or fetching (standard library only)."""
        return read_entry(self._file_for(cache_key(backend, config_dir=config_dir, base_url=base_url)))

    def history(
        self,
        backend: CredentialBackend | str | None = None,
        *,
        config_dir: str | None = None,
        base_url: str | None = None,
        now: float | None = None,
    ) -> History:
        """The account's observation log (:mod:`claude_usage.history`): what
        its windows read over the last days, for recent-rate forecasts."""
        from claude_usage.history import load_history

        return load_history(self._file_for(cache_key(backend, config_dir=config_dir, base_url=base_url)), now)

    def observe_rate_limits(
        self,
        rate_limits: object,
        backend: CredentialBackend | str | None = None,
        *,
        config_dir: str | None = None,
        base_url: str | None = None,
        now: float | None = None,
    ) -> History:
        """Add a statusline's stdin ``rate_limits`` to the account's
        observation log (no request is sent; nothing is written when no value
        changed); the log's recent end. Standard library only."""
        from claude_usage.history import observe_rate_limits

        path = self._file_for(cache_key(backend, config_dir=config_dir, base_url=base_url))
        return observe_rate_limits(path, rate_limits, now)

    def refresh_in_background(
        self,
        backend: str | None = None,
        *,
        config_dir: str | None = None,
        base_url: str | None = None,
        max_age: float = DEFAULT_MAX_AGE,
        timeout: float = BACKGROUND_TIMEOUT,
    ) -> bool:
        """Start one refresh in a process of its own, unless none is needed.

        For programs that must never wait on the network (a statusline
        render): this returns at once, and the refreshed entry appears in
        the cache for the next read. Nothing is started while the entry is
        fresh, while a back-off holds, or while another refresh is claimed
        or in flight, so any number of callers start one between them. The
        child runs in a session of its own (killing the caller's process
        group does not stop it), holds the refresh lock, and records its
        request before sending, so a refresh that is killed or hangs counts
        as a failure with a back-off, never as "nobody tried".

        Uses the standard library only. ``backend`` is a name (an instance
        cannot be handed to another process). True when a refresh was
        started.
        """
        path = self._file_for(cache_key(backend, config_dir=config_dir, base_url=base_url))
        store = _store_file(backend, config_dir)
        # max_age=0 lifts a credential back-off for one asking caller (`show
        # --max-age 0`); renders asking it each time would ask the store each
        # time (one Keychain dialog per render): here it never does.
        max_age = max(max_age, 0.001)
        if not _wants_refresh(read_entry(path), time.time(), max_age, store):
            return False
        from claude_usage._lock import FileLock

        lock = FileLock(path + ".lock", 0.0)
        try:
            os.makedirs(self._directory, mode=0o700, exist_ok=True)
            if not lock.acquire():
                _log("no refresh started: another process is refreshing")
                return False
        except OSError:
            return False  # a cache we cannot write could not share the result either
        try:
            entry = read_entry(path)
            now = time.time()
            if not _wants_refresh(entry, now, max_age, store):
                return False
            claim = _attempt_id()
            if not write_entry(path, (entry or CacheEntry()).with_attempt("claimed", claim, now, CLAIM_SECONDS)):
                return False
        finally:
            lock.release()
        arguments = ["--cache-dir", self._directory, "--claim", claim, "--max-age", repr(max_age)]
        arguments += ["--timeout", repr(timeout)]
        for flag, value in (("--backend", backend), ("--config-dir", config_dir), ("--base-url", base_url)):
            if value is not None:
                arguments += [flag, value]
        from claude_usage._spawn import spawn_detached

        started = spawn_detached(arguments)
        _log("refresh started in the background" if started else "the background refresh could not be started")
        return started

    def wait_for_refresh(
        self,
        backend: str | None = None,
        *,
        config_dir: str | None = None,
        base_url: str | None = None,
        budget: float = 1.0,
    ) -> CacheEntry | None:
        """Wait at most ``budget`` seconds for a refresh under way to record
        its outcome; the entry as it is then (standard library only)."""
        path = self._file_for(cache_key(backend, config_dir=config_dir, base_url=base_url))
        deadline = time.monotonic() + max(0.0, budget)
        while True:
            entry = read_entry(path)
            now = time.time()
            if entry is None or not entry.refresh_under_way(now) or time.monotonic() >= deadline:
                return entry
            time.sleep(0.02)

    def run_claimed_refresh(
        self,
        claim: str,
        backend: str | None = None,
        *,
        config_dir: str | None = None,
        max_age: float = DEFAULT_MAX_AGE,
        client: UsageClient | None = None,
    ) -> bool:
        """The background process's side of :meth:`refresh_in_background`:
        refresh, through the lock and every back-off, if the claim recorded
        in the cache is still ``claim``. Never raises a ClaudeUsageError
        (failures are recorded in the cache). True when it refreshed."""
        from claude_usage._lock import FileLock
        from claude_usage.client import UsageClient
        from claude_usage.errors import ClaudeUsageError

        own_client = client is None
        active = client if client is not None else UsageClient(timeout=BACKGROUND_TIMEOUT)
        path = self._file_for(cache_key(backend, config_dir=config_dir, base_url=active.config.base_url))
        lock = FileLock(path + ".lock", CLAIM_SECONDS)
        try:
            if not lock.acquire():
                return False
            try:
                entry = read_entry(path)
                attempt = entry.attempt if entry is not None else None
                if entry is None or attempt is None or attempt["state"] != "claimed" or attempt["id"] != claim:
                    return False  # refreshed, or claimed anew, by someone else meanwhile
                store = _store_file(backend, config_dir)
                try:
                    if self._from_entry(entry, max_age, store, locked=True) is not None:
                        return False
                    self._refresh(path, entry, backend, config_dir, active, store, max_age)
                except ClaudeUsageError:
                    return False
                return True
            finally:
                lock.release()
        finally:
            if own_client:
                active.close()

    def get(
        self,
        backend: CredentialBackend | str | None = None,
        *,
        config_dir: str | None = None,
        max_age: float = DEFAULT_MAX_AGE,
        client: UsageClient | None = None,
        lock_timeout: float | None = None,
        retry_now: bool = False,
    ) -> CachedUsage:
        """Usage no older than ``max_age`` seconds, fetching at most once.

        ``max_age=0`` asks for fresh data but never overrides a back-off the
        server asked for: then the last good value comes back with
        ``stale=True`` and ``error`` set. Raises when there is no value at
        all to serve. ``lock_timeout`` bounds how long to wait for another
        process's refresh (a statusline passes something short).
        ``retry_now=True`` (``doctor --retry-now``) sends one request even
        during a back-off this library set itself (after a network, server or
        format failure, or a 401/403), for a user who has fixed the cause;
        a 429's back-off still holds.
        """
        from claude_usage._frames import detach
        from claude_usage.errors import ClaudeUsageError

        try:
            return self._get(backend, config_dir, max_age, client, lock_timeout, retry_now)
        except ClaudeUsageError as exc:
            error = detach(exc)
        raise error

    def _get(
        self,
        backend: CredentialBackend | str | None,
        config_dir: str | None,
        max_age: float,
        client: UsageClient | None,
        lock_timeout: float | None,
        retry_now: bool = False,
    ) -> CachedUsage:
        from claude_usage._lock import FileLock
        from claude_usage.client import UsageClient
        from claude_usage.errors import NetworkTimeoutError

        own_client = client is None
        active = client if client is not None else UsageClient()
        try:
            path = self._file_for(cache_key(backend, config_dir=config_dir, base_url=active.config.base_url))
            store = _store_file(backend, config_dir)
            served = self._from_entry(read_entry(path), max_age, store, retry_now)
            if served is not None:
                return served
            timeout = self.lock_timeout if lock_timeout is None else lock_timeout
            lock: FileLock | None = FileLock(path + ".lock", timeout)
            try:
                os.makedirs(self._directory, mode=0o700, exist_ok=True)
                locked = lock.acquire() if lock is not None else False
            except OSError:
                lock, locked = None, False  # a read-only cache: fetch without sharing
            try:
                entry = read_entry(path)
                if entry is not None and locked and entry.attempt is not None and entry.attempt["state"] == "sending":
                    # We hold the lock, so whoever recorded that request is gone.
                    entry = _abandoned(path, entry)
                served = self._from_entry(entry, max_age, store, retry_now, locked=locked)
                if served is not None:
                    return served
                if lock is not None and not locked:
                    # Someone else is refreshing and did not finish in time.
                    _log("no request sent: another process is refreshing and did not finish within %gs", timeout)
                    if entry is not None and entry.body is not None and entry.fetched_at is not None:
                        return CachedUsage(
                            entry.body,
                            entry.fetched_at,
                            stale=True,
                            error=NetworkTimeoutError("another process is refreshing the usage cache"),
                        )
                    raise NetworkTimeoutError("another claude-usage process is refreshing the cache; try again shortly")
                return self._refresh(path, entry, backend, config_dir, active, store, max_age, retry_now)
            finally:
                if lock is not None and locked:
                    lock.release()
        finally:
            if own_client:
                active.close()

    def _from_entry(
        self, entry: CacheEntry | None, max_age: float, store: str, retry_now: bool = False, *, locked: bool = False
    ) -> CachedUsage | None:
        """Serve from the entry when it is fresh, or when a back-off forbids
        asking (stale, or raising the stored error when there is no body).
        ``locked``: the caller holds the refresh lock, so no one else is
        refreshing now."""
        if entry is None:
            return None
        now = time.time()
        if entry.is_fresh(now, max_age) and entry.body is not None and entry.fetched_at is not None:
            _log("cache hit: data from %s ago (max age %gs), no request sent", _span(now - entry.fetched_at), max_age)
            return CachedUsage(entry.body, entry.fetched_at)
        if not locked and entry.attempt is not None and entry.attempt_live(now, "sending"):
            sent = _span(now - float(entry.attempt["at"]))
            _log("a request is in flight (sent %s ago by another process): waiting for it", sent)
            return None  # the caller waits for the lock, then reads its outcome
        abandoned = entry.abandoned_remaining(now)
        if abandoned > 0 and not retry_now:
            _log(
                "no request sent: the last request never got an answer (its process was stopped or hung); "
                "not asked again until %s (%s left)",
                _clock(now + abandoned),
                _span(abandoned),
            )
            from claude_usage.errors import NetworkTimeoutError

            unanswered: ClaudeUsageError = NetworkTimeoutError(
                f"the last refresh never finished; retrying in {_span(abandoned)}"
            )
            if entry.body is None or entry.fetched_at is None:
                raise unanswered
            return CachedUsage(entry.body, entry.fetched_at, stale=True, error=unanswered)
        remaining = entry.backoff_remaining(now)
        if remaining <= 0 or entry.blocked_stamp is not None:
            # A 401/403 block depends on the credentials: _refresh reads
            # them and decides without sending anything.
            return None
        if entry.store_stamp is not None and not _credentials_backoff_holds(entry, max_age, store):
            _log(
                "the credential back-off is lifted: %s",
                "fresh data was asked for" if max_age <= 0 else "the credentials file changed",
            )
            return None
        if retry_now and _bypassable(entry):
            return None  # _refresh says so and sends
        _log(
            "no request sent: back-off after %s until %s (%s left); %s",
            _describe(entry),
            _clock(now + remaining),
            _span(remaining),
            "no data to serve"
            if entry.fetched_at is None or entry.body is None
            else f"serving data from {_span(now - entry.fetched_at)} ago",
        )
        error = _rebuild_error(entry.error, remaining)
        if entry.body is None or entry.fetched_at is None:
            raise error
        return CachedUsage(entry.body, entry.fetched_at, stale=True, error=error)

    def _refresh(
        self,
        path: str,
        entry: CacheEntry | None,
        backend: CredentialBackend | str | None,
        config_dir: str | None,
        client: UsageClient,
        store: str,
        max_age: float = DEFAULT_MAX_AGE,
        retry_now: bool = False,
    ) -> CachedUsage:
        from claude_usage.errors import ClaudeUsageError, CredentialsError
        from claude_usage.selection import select_and_load

        previous = entry or CacheEntry()
        try:
            chosen, credentials = select_and_load(backend, config_dir=config_dir)
        except CredentialsError as exc:
            return _credentials_failed(path, previous, exc, store)
        stamp = _credentials_stamp(chosen, credentials)
        # A token from CLAUDE_CODE_OAUTH_TOKEN carries only what the
        # environment says of it: a new token there cannot be told apart.
        credentials_metadata_known = credentials.source != ENV_OAUTH_TOKEN and any(
            value is not None
            for value in (
                credentials.expires_at,
                credentials.scopes,
                credentials.subscription_type,
                credentials.rate_limit_tier,
            )
        )
        now = time.time()
        if not retry_now:
            previous = _restore_held_block(path, previous, stamp, store, now)
        remaining = previous.backoff_remaining(now)
        if previous.blocked_stamp == stamp and remaining > 0 and not retry_now:
            del credentials
            _confirm_block(path, previous, store)
            _log(
                "no request sent: %s; blocked until %s (%s left) or until the credentials change (a new login)",
                _describe(previous),
                _clock(now + remaining),
                _span(remaining),
            )
            raise _rebuild_error(previous.error, remaining)
        if remaining > 0 and previous.blocked_stamp not in (None, stamp):
            _log("the credentials changed since %s: the block is lifted", _describe(previous))
        elif remaining > 0:
            _log("retry now: ignoring the back-off after %s (%s left)", _describe(previous), _span(remaining))
        if previous.fetched_at is None or previous.body is None:
            _log("sending a request: no cached data yet")
        else:
            _log(
                "sending a request: cached data from %s ago is older than the max age %gs",
                _span(now - previous.fetched_at),
                max_age,
            )
        attempt = previous.attempt
        attempt_id = attempt["id"] if attempt is not None and attempt["state"] == "claimed" else _attempt_id()
        write_entry(path, previous.with_attempt("sending", attempt_id, now, client.config.timeout + ATTEMPT_GRACE))
        failure: ClaudeUsageError | None = None
        try:
            _, body = client.fetch_document(credentials)
        except ClaudeUsageError as exc:
            failure = exc
        del credentials

        if failure is None:
            stored = write_entry(path, CacheEntry(body, now))
            if stored:
                from claude_usage.history import observe_body

                observe_body(path, body, now)
            _log("request answered: usage stored in the cache" if stored else "request answered (cache not writable)")
            return CachedUsage(body, now)

        if isinstance(failure, CredentialsError):
            # Found before sending (an expired token, a login without
            # user:profile): remembered like an unreadable store, so renders
            # do not read the store again and again; a new login lifts it.
            _log("no request sent: %s, found before sending", type(failure).__name__)
            return _credentials_failed(path, previous, failure, store)
        return _request_failed(path, previous, failure, stamp, credentials_metadata_known, now, store)


def _restore_held_block(path: str, previous: CacheEntry, stamp: str, store: str, now: float) -> CacheEntry:
    """The entry with a block held through a store failure put back in
    force, when the store now answers with the credentials the API rejected
    (see :attr:`CacheEntry.held_block`); else the entry as it was."""
    held = previous.held_block
    if held is None or previous.held_block_remaining(now) <= 0:
        return previous
    if held["stamp"] != stamp:
        _log("the credentials changed since the store failed during a block: the block is lifted")
        return previous
    restored = CacheEntry(
        previous.body,
        previous.fetched_at,
        backoff_until=held["until"],
        backoff_set_at=held["set_at"],
        error=held["error"],
        failures=1,
        blocked_stamp=stamp,
        checked_stamp=_store_stamp(store),
    )
    write_entry(path, restored)
    return restored


def _confirm_block(path: str, entry: CacheEntry, store: str) -> None:
    """Record that a block was held against the credentials as they are now,
    and clear a claim: a background check is not started again until the
    credentials file changes (see :attr:`CacheEntry.checked_stamp`)."""
    checked = _store_stamp(store)
    if entry.checked_stamp != checked or entry.attempt is not None:
        write_entry(path, entry.replaced(checked_stamp=checked, attempt=None))


def _request_failed(
    path: str,
    previous: CacheEntry,
    failure: ClaudeUsageError,
    stamp: str,
    metadata_known: bool,
    now: float,
    store: str,
) -> CachedUsage:
    """Record a request that failed, with the back-off its kind calls for;
    serve the last good value (stale) or raise."""
    from claude_usage.errors import (
        ApiError,
        AuthenticationError,
        NetworkError,
        PermissionDeniedError,
        RateLimitError,
        ResponseFormatError,
    )

    kept = previous.body, previous.fetched_at
    if isinstance(failure, RateLimitError):
        failures = previous.failures + 1 if _kind(previous) == "RateLimitError" else 1
        wait = failure.retry_after if failure.retry_after else _backoff(RATE_LIMIT_BACKOFF, failures)
    elif isinstance(failure, (AuthenticationError, PermissionDeniedError)):
        # A bare token (CLAUDE_CODE_OAUTH_TOKEN) carries no metadata, so a
        # new one cannot be told from the old without keeping something
        # derived from the token: block it briefly instead.
        failures, wait = 1, AUTH_BLOCK_SECONDS if metadata_known else BARE_TOKEN_BLOCK_SECONDS
    elif isinstance(failure, (ApiError, NetworkError, ResponseFormatError)):
        failures = previous.failures + 1 if _kind(previous) == type(failure).__name__ else 1
        wait = _backoff(FAILURE_BACKOFF, failures)
    else:
        _log("no request sent: %s, found before sending; no back-off", type(failure).__name__)
        previous.attempt = None
        write_entry(path, previous)  # nothing was sent: no attempt to remember
        raise failure
    auth = isinstance(failure, (AuthenticationError, PermissionDeniedError))
    _log(
        "request failed (%s): no request until %s (%s)%s",
        type(failure).__name__,
        _clock(now + wait),
        _span(wait),
        " or until the credentials change" if auth else "",
    )
    blocked = stamp if auth else None
    write_entry(
        path,
        CacheEntry(
            kept[0],
            kept[1],
            backoff_until=now + wait,
            backoff_set_at=now,
            error=_error_document(failure),
            failures=failures,
            blocked_stamp=blocked,
            checked_stamp=_store_stamp(store) if blocked is not None else None,
        ),
    )
    if blocked is None and kept[0] is not None and kept[1] is not None:
        return CachedUsage(kept[0], kept[1], stale=True, error=failure)
    raise failure


def _wants_refresh(entry: CacheEntry | None, now: float, max_age: float, store: str) -> bool:
    """Whether a background refresh should start for this entry now."""
    if entry is None:
        return True
    if entry.is_fresh(now, max_age):
        return False
    if entry.refresh_under_way(now) or entry.abandoned_remaining(now) > 0:
        return False
    if entry.backoff_remaining(now) <= 0:
        return True
    if entry.store_stamp is not None:
        return not _credentials_backoff_holds(entry, max_age, store)
    if entry.blocked_stamp is not None:
        # A 401/403 block lifts when the credentials change: for a login
        # kept in the file, a change since the block was last held against
        # it shows that cheaply.
        if entry.checked_stamp is not None:
            return _store_stamp(store) != entry.checked_stamp
        try:
            return os.stat(store).st_mtime > (entry.backoff_set_at or now)
        except OSError:
            return False
    return False


def _abandoned(path: str, entry: CacheEntry) -> CacheEntry:
    """Record a request whose process never wrote its outcome (killed, or
    hung past its timeout) as the failure it is, and return the new entry."""
    attempt = entry.attempt
    assert attempt is not None
    now = time.time()
    failures = entry.failures + 1 if _kind(entry) == "NetworkTimeoutError" else 1
    wait = _backoff(FAILURE_BACKOFF, failures)
    until = max(now, attempt["until"]) + wait
    _log("the request sent %s ago never got an answer (its process was stopped or hung)", _span(now - attempt["at"]))
    from claude_usage.errors import NetworkTimeoutError

    replaced = CacheEntry(
        entry.body,
        entry.fetched_at,
        backoff_until=until,
        backoff_set_at=now,
        error=_error_document(NetworkTimeoutError("the last refresh never got an answer (stopped or hung)")),
        failures=failures,
    )
    write_entry(path, replaced)
    return replaced


def _store_file(backend: CredentialBackend | str | None, config_dir: str | None) -> str:
    """The credentials file of the profile a request would use: its changes
    (a new login) lift a credential back-off."""
    if config_dir is None and backend is not None and not isinstance(backend, str):
        config_dir = backend.config_dir
    return credentials_file(config_dir)


def _file_stamp(path: str) -> str:
    """What the file looks like now (never its content)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"error {exc.errno}"
    return f"{info.st_mtime_ns}:{info.st_size}:{info.st_ino}"


def _store_stamp(store: str) -> str:
    """The credentials file as it is now, and the variables that change what
    a token from the environment is taken to be: a change of either (a new
    login, CLAUDE_CODE_OAUTH_SCOPES set to what the token has) lifts a
    credential back-off."""
    variables = (ENV_OAUTH_SCOPES, ENV_SUBSCRIPTION_TYPE, ENV_RATE_LIMIT_TIER)
    return "\0".join([_file_stamp(store), *(os.environ.get(name, "") for name in variables)])


def _credentials_backoff_holds(entry: CacheEntry, max_age: float, store: str) -> bool:
    """A credential back-off stands until it ends, unless fresh data is
    demanded (``max_age=0`` asks once) or the credentials file changed."""
    return max_age > 0 and _store_stamp(store) == entry.store_stamp


def _credentials_failed(path: str, previous: CacheEntry, failure: ClaudeUsageError, store: str) -> CachedUsage:
    """Remember that the store could not be read, then serve the last good
    value (stale) or raise: the next renders do not ask the store again."""
    now = time.time()
    failures = previous.failures + 1 if previous.store_stamp is not None else 1
    wait = _backoff(CREDENTIALS_BACKOFF, failures)
    # A 401/403 block in force is kept through the store's failure (see
    # CacheEntry.held_block), or the rejected token would go out again as
    # soon as the store answers.
    held = previous.held_block if previous.held_block_remaining(now) > 0 else None
    if previous.blocked_stamp is not None and previous.backoff_remaining(now) > 0 and previous.error is not None:
        held = {
            "stamp": previous.blocked_stamp,
            "until": previous.backoff_until,
            "set_at": previous.backoff_set_at,
            "error": previous.error,
        }
    _log(
        "credentials could not be read (%s): the store is not asked again until %s (%s)",
        type(failure).__name__,
        _clock(now + wait),
        _span(wait),
    )
    write_entry(
        path,
        CacheEntry(
            previous.body,
            previous.fetched_at,
            backoff_until=now + wait,
            backoff_set_at=now,
            error=_error_document(failure),
            failures=failures,
            store_stamp=_store_stamp(store),
            held_block=held,
        ),
    )
    if previous.body is not None and previous.fetched_at is not None:
        return CachedUsage(previous.body, previous.fetched_at, stale=True, error=failure)
    raise failure


def _kind(entry: CacheEntry) -> str | None:
    return entry.error.get("type") if entry.error else None


#: What each stored failure means, for the log and ``doctor``.
_FAILURES = {
    "RateLimitError": "a rate limit from the server (429)",
    "AuthenticationError": "a 401 (token rejected)",
    "PermissionDeniedError": "a 403 (permission denied)",
    "ServerError": "a server error",
    "NetworkError": "a network failure",
    "NetworkTimeoutError": "a timeout",
    "ResponseFormatError": "an answer that was not a usage response",
}


def _describe(entry: CacheEntry) -> str:
    """``a 429 (the server's rate limit)``: the failure a back-off follows."""
    kind = _kind(entry)
    status = entry.error.get("status") if entry.error else None
    if entry.store_stamp is not None:
        return f"a credential store that could not be read ({kind or 'unknown failure'})"
    if kind == "ServerError" and isinstance(status, int):
        return f"a server error (HTTP {status})"
    if kind in _FAILURES:
        return _FAILURES[kind]
    return f"an HTTP {status} answer" if isinstance(status, int) and status else "a failed request"


def _error_document(error: ClaudeUsageError) -> dict[str, Any]:
    return {
        "type": type(error).__name__,
        "module": type(error).__module__,
        "core_type": next(
            (cls.__name__ for cls in type(error).__mro__ if cls.__module__ == "claude_usage.errors"), None
        ),
        "message": str(error),
        "status": getattr(error, "status", None),
    }


def _rebuild_error(document: dict[str, Any] | None, remaining: float) -> ClaudeUsageError:
    """The error a back-off stands for, with the time left in its message."""
    from claude_usage import errors
    from claude_usage.client import format_wait

    kind = document.get("type") if document else None
    message = document.get("message") if document else None
    status = document.get("status") if document else None
    wait = format_wait(remaining)
    if kind == "RateLimitError":
        # Said as it was first said: a 429, an edge's 403 and a 2xx envelope
        # are all the endpoint limiting requests, and .status tells which.
        code = status if isinstance(status, int) else 429
        if code == 429:
            what = "rate limited by the usage endpoint (429)"
        elif code == 403:
            what = "the usage endpoint is temporarily limiting requests (403 from the edge, not your usage limit)"
        else:
            what = "the usage endpoint is temporarily limiting requests (not your usage limit)"
        return errors.RateLimitError(f"{what}; retry in {wait} (shared back-off)", status=code, retry_after=remaining)
    cls = getattr(errors, kind, None) if isinstance(kind, str) else None
    text = message if isinstance(message, str) else "the last request failed"
    held = f"{text} (not retried for another {wait}; `claude-usage doctor --retry-now` tries once now)"
    if isinstance(cls, type) and issubclass(cls, errors.ApiError):
        code = status if isinstance(status, int) else 0
        return cls(held, status=code)
    if isinstance(cls, type) and issubclass(cls, (errors.NetworkError, errors.ResponseFormatError)):
        return cls(held)
    credentials = _credentials_error_class(document)
    if credentials is not None:
        return credentials(f"{text} (not asked again for another {wait})")
    return errors.NetworkError(held)


def _credentials_error_class(document: dict[str, Any] | None) -> type[ClaudeUsageError] | None:
    """The class of a recorded credential failure: the backend's own
    (``KeychainLockedError``) when one of our packages defines it, else the
    core class it derives from; None for anything else."""
    from claude_usage import errors

    if not document:
        return None
    name, module, core = document.get("type"), document.get("module"), document.get("core_type")
    if isinstance(name, str) and isinstance(module, str) and module.split(".")[0].startswith("claude_usage"):
        import importlib

        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError:
            found = None
        if isinstance(found, type) and issubclass(found, errors.CredentialsError):
            return found
    fallback = getattr(errors, core, None) if isinstance(core, str) else None
    return fallback if isinstance(fallback, type) and issubclass(fallback, errors.CredentialsError) else None
