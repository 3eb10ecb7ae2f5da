"""Finding credential backends through entry points and choosing one.

Entry points are scanned once per process (``importlib.metadata`` is slow to
import and slower to scan) and only when a backend is actually needed.
A plugin that fails to load, to construct or to report its priority is
logged and passed over; only an explicit choice fails loudly.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import attrs

from claude_usage import _defaults
from claude_usage.backend import CredentialBackend
from claude_usage.errors import BackendUnavailable, CredentialsNotFoundError, NoBackendError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = ["ENTRY_POINT_GROUP", "ENV_BACKEND", "BackendStatus", "backend_statuses", "candidates", "resolve_explicit"]

log = logging.getLogger("claude_usage")

ENTRY_POINT_GROUP = "claude_usage.backends"
ENV_BACKEND = _defaults.ENV_BACKEND

#: This project's backends, by entry-point name, and the distribution that
#: brings each: what the install hint may name (only those not installed).
OUR_BACKENDS = (
    ("file", "claude-usage-creds-linux (the credentials file)"),
    ("keychain", "claude-usage-creds-macos (the Keychain, on macOS)"),
)


def install_hint(statuses: Sequence[BackendStatus]) -> str:
    """What to install or choose; never names a backend already installed."""
    installed = {status.name for status in statuses}
    missing = [text for name, text in OUR_BACKENDS if name not in installed]
    if not missing:
        return "choose a backend that can be used here with --backend or CLAUDE_USAGE_BACKEND"
    return f"install {' or '.join(missing)}, e.g. `pip install claude-usage`, or pass a backend"


@functools.cache
def _entry_points() -> tuple[EntryPoint, ...]:
    from importlib.metadata import entry_points

    found: dict[str, EntryPoint] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        # The same distribution seen twice on sys.path: the first one wins,
        # as it would for an import.
        found.setdefault(entry.name, entry)
    return tuple(sorted(found.values(), key=lambda entry: entry.name))


def backend_names() -> list[str]:
    """The names of every installed backend."""
    return [entry.name for entry in _entry_points()]


@attrs.frozen
class BackendStatus:
    """What ``claude-usage backends`` shows about one installed backend."""

    name: str
    origin: str
    priority: float | None
    reason: str | None
    description: str
    backend: CredentialBackend | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def automatic(self) -> bool:
        """Whether automatic selection may choose it here."""
        return self.priority is not None and self.priority > 0

    @property
    def state(self) -> str:
        """``priority 10``, ``available by name only`` or ``unavailable: why``."""
        if self.priority is None:
            return f"unavailable: {self.reason}"
        return f"priority {self.priority:g}" if self.automatic else "available by name only"


def would_choose(statuses: Sequence[BackendStatus], explicit: str | None) -> str | None:
    """The backend an explicit choice or automatic selection points at."""
    if explicit is not None:
        return explicit if any(s.name == explicit and s.priority is not None for s in statuses) else None
    viable = _automatic_in_order(statuses)
    return viable[0].name if viable else None


def _automatic_in_order(statuses: Sequence[BackendStatus]) -> list[BackendStatus]:
    """The backends automatic selection may use, highest priority first
    (ties by name, so the order never depends on installation order)."""
    return sorted((s for s in statuses if s.automatic), key=lambda s: (-(s.priority or 0), s.name))


@functools.cache
def _origin(entry: EntryPoint) -> str:
    # Reading a distribution's name parses its METADATA file: once is enough.
    dist = getattr(entry, "dist", None)
    return f"{dist.name} {dist.version}" if dist is not None else entry.value


@functools.cache
def _load(entry: EntryPoint) -> object:
    return entry.load()


def _instantiate(entry: EntryPoint, config_dir: str | None) -> CredentialBackend:
    cls = _load(entry)
    if not (isinstance(cls, type) and issubclass(cls, CredentialBackend)):
        raise TypeError(f"{entry.value} is not a CredentialBackend subclass")
    backend = cls() if config_dir is None else cls(config_dir=config_dir)
    if not type(backend).name:
        # An instance attribute, so a class shared by two entry points keeps both names.
        backend.name = entry.name  # type: ignore[misc]
    return backend


def _status(entry: EntryPoint, config_dir: str | None, *, describe: bool = True) -> BackendStatus:
    origin = _origin(entry)
    try:
        backend = _instantiate(entry, config_dir)
    except Exception as exc:  # a broken plugin must not break the others
        log.warning("credential backend %r (%s) failed to load: %s: %s", entry.name, origin, type(exc).__name__, exc)
        return BackendStatus(entry.name, origin, None, f"failed to load ({type(exc).__name__})", "")
    # Descriptions are for people (`claude-usage backends`); selection skips them.
    description = _safe_describe(backend) if describe else ""
    try:
        priority = float(backend.priority())
    except BackendUnavailable as exc:
        return BackendStatus(entry.name, origin, None, str(exc) or "unavailable", description, backend)
    except Exception as exc:
        log.warning("credential backend %r raised %s from priority()", entry.name, type(exc).__name__)
        return BackendStatus(entry.name, origin, None, f"priority() failed ({type(exc).__name__})", description)
    return BackendStatus(entry.name, origin, priority, None, description, backend)


def _safe_describe(backend: CredentialBackend) -> str:
    try:
        return backend.describe()
    except Exception:
        return type(backend).__name__


def backend_statuses(config_dir: str | None = None) -> list[BackendStatus]:
    """Every installed backend with its priority or why it is unavailable."""
    return [_status(entry, config_dir) for entry in _entry_points()]


def resolve_explicit(name: str, config_dir: str | None = None) -> CredentialBackend:
    """The backend called ``name``, or NoBackendError saying why not."""
    entries = {entry.name: entry for entry in _entry_points()}
    if name not in entries:
        installed = ", ".join(entries) or "none"
        raise NoBackendError(f"unknown credential backend {name!r}; installed: {installed}")
    status = _status(entries[name], config_dir, describe=False)
    if status.backend is None or status.priority is None:
        raise NoBackendError(f"credential backend {name!r} cannot be used here: {status.reason}")
    return status.backend


def explicit_choice(backend: str | None) -> str | None:
    """The backend name asked for by argument or ``CLAUDE_USAGE_BACKEND``."""
    return backend or os.environ.get(ENV_BACKEND, "").strip() or None


def candidates(config_dir: str | None = None) -> Iterator[CredentialBackend]:
    """Viable backends, highest priority first; NoBackendError if none."""
    statuses = [_status(entry, config_dir, describe=False) for entry in _entry_points()]
    viable = [status for status in _automatic_in_order(statuses) if status.backend is not None]
    if not viable:
        raise NoBackendError(_no_backend_message(statuses))
    for status in viable:
        assert status.backend is not None
        yield status.backend


def _no_backend_message(statuses: list[BackendStatus]) -> str:
    if not statuses:
        return f"no credential backend is installed; {install_hint(statuses)}"
    reasons = "; ".join(f"{status.name}: {status.reason or 'only used when chosen by name'}" for status in statuses)
    hint = f"; {install_hint(statuses)}" if all(status.name == "env" for status in statuses) else ""
    return f"no credential backend can be used here ({reasons}){hint}"


def combine_not_found(errors: list[CredentialsNotFoundError]) -> CredentialsNotFoundError:
    """One not-found error naming every place that was tried."""
    if len(errors) == 1:
        return errors[0]
    return CredentialsNotFoundError("no Claude credentials found: " + "; ".join(str(error) for error in errors))
