"""The two ways to read a generic password out of the login Keychain.

``SecurityReader`` runs ``/usr/bin/security find-generic-password -a ACCOUNT
-w -s SERVICE``, as Claude Code does. Claude Code creates its item with
``security add-generic-password`` and no ``-T``/``-A``, so the item's access
list trusts ``/usr/bin/security`` alone: this reader never makes macOS ask
for a password. The secret comes back on its stdout (never on a command
line), and a read that takes longer than its timeout is killed and reaped.

``KeyringReader`` goes through ``keyring``, i.e. the Security framework from
the Python binary. macOS asks for the login password on the first read and
again whenever Claude Code rewrites the item (every token refresh) or the
Python binary changes. It is the opt-in (``CLAUDE_USAGE_KEYCHAIN_READER=
keyring``), and how a user plugs in a keyring backend of their own.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from typing import Any, Protocol

from claude_usage.errors import ConfigurationError, InvalidCredentialsError, NoBackendError
from claude_usage_creds_macos.errors import (
    KeychainAccessDeniedError,
    KeychainError,
    KeychainInteractionNotAllowedError,
    KeychainLockedError,
    KeychainTimeoutError,
)

__all__ = [
    "DEFAULT_PROGRAM",
    "ENV_READER",
    "KEYRING_TIMEOUT",
    "READ_TIMEOUT",
    "KeychainReader",
    "KeyringReader",
    "SecurityReader",
    "choose_reader",
]

DEFAULT_PROGRAM = "/usr/bin/security"
ENV_READER = "CLAUDE_USAGE_KEYCHAIN_READER"
#: Claude Code's own timeout for the same call.
READ_TIMEOUT = 2.0
#: keyring may show a dialog: give a person time to answer it.
KEYRING_TIMEOUT = 30.0
#: Claude Code's items are a few kilobytes; an overflow item holds the rest.
MAX_ITEM_BYTES = 1024 * 1024

# find-generic-password exits with the low byte of the Security framework's status.
EXIT_NOT_FOUND = 44  # errSecItemNotFound (-25300)
EXIT_INTERACTION_NOT_ALLOWED = 36  # errSecInteractionNotAllowed (-25308): Claude Code calls it "locked"
EXIT_AUTH_FAILED = 51  # errSecAuthFailed (-25293)
EXIT_USER_CANCELED = 128  # errSecUserCanceled (-128)
_NO_INTERACTION = re.compile(r"interaction is not allowed", re.IGNORECASE)


class KeychainReader(Protocol):
    """Reads one generic password; ``None`` when there is no such item."""

    name: str
    timeout: float

    def describe(self) -> str: ...

    def unavailable(self) -> str | None:
        """Why this reader cannot work here, or None."""

    def read(self, service: str, account: str, *, deadline: float) -> str | None:
        """The item's secret; the read ends by ``deadline`` (time.monotonic())."""


class SecurityReader:
    """``/usr/bin/security find-generic-password``: what Claude Code runs."""

    name = "security"

    def __init__(self, program: str = DEFAULT_PROGRAM, *, timeout: float = READ_TIMEOUT) -> None:
        self.program = program
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"<SecurityReader {self.program} timeout={self.timeout:g}s>"

    def describe(self) -> str:
        return f"{self.program} (no password prompts, {self.timeout:g}s timeout)"

    def unavailable(self) -> str | None:
        if not os.path.isabs(self.program):
            return f"{self.program} is not an absolute path (the program is never looked up on PATH)"
        if not os.access(self.program, os.X_OK):
            return f"{self.program} is not there to run (it is on every Mac)"
        return None

    def read(self, service: str, account: str, *, deadline: float) -> str | None:
        import subprocess

        what = f"the Keychain item {service!r}"
        if not os.path.isabs(self.program):
            # A bare name would be looked up on PATH: whatever sits there first
            # would be handed the secret.
            raise NoBackendError(f"cannot read {what}: {self.unavailable()}")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timed_out(what, self.timeout)
        # An absolute path, no shell; the secret arrives on stdout only.
        command = [self.program, "find-generic-password", "-a", account, "-w", "-s", service]
        try:
            result = subprocess.run(  # noqa: S603 - fixed program, arguments are names, no shell
                command,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=remaining,
                check=False,
            )
        except subprocess.TimeoutExpired:
            # subprocess.run has killed and reaped the child.
            failure: Exception = _timed_out(what, self.timeout)
        except OSError as exc:
            failure = NoBackendError(f"cannot run {self.program} to read {what} ({exc.strerror or type(exc).__name__})")
        else:
            return _answer(result.returncode, result.stdout, result.stderr, what, self.program)
        raise failure


def _answer(code: int, stdout: bytes, stderr: bytes, what: str, program: str) -> str | None:
    """What find-generic-password's exit status and output mean."""
    if code == 0:
        if len(stdout) > MAX_ITEM_BYTES:
            raise InvalidCredentialsError(f"{what} is {len(stdout)} bytes, too large to be Claude Code's login")
        if not stdout.isascii():
            # Claude Code escapes everything outside printable ASCII, so `-w`
            # prints its JSON verbatim; anything else is not its item. (Checked,
            # not caught: a decoding error would carry the bytes.)
            raise InvalidCredentialsError(f"{what} is not Claude Code's JSON (not ASCII text)")
        text = stdout.decode("ascii").strip()
        if not text:
            raise InvalidCredentialsError(f"{what} is empty; run `claude` and log in again")
        return text
    message = stderr.decode("utf-8", "replace")
    if code == EXIT_NOT_FOUND:
        return None
    if _NO_INTERACTION.search(message):
        raise KeychainInteractionNotAllowedError(
            f"the login Keychain is locked and cannot ask for its password in this session "
            f"(over SSH, or no one logged in at the Mac's screen), so {what} cannot be read"
        )
    if code == EXIT_INTERACTION_NOT_ALLOWED:
        raise KeychainLockedError(
            f"the login Keychain is locked, so {what} cannot be read; unlock it "
            "(log in at the Mac, or run `security unlock-keychain`) and try again"
        )
    if code in (EXIT_USER_CANCELED, EXIT_AUTH_FAILED):
        raise KeychainAccessDeniedError(f"access to {what} was refused (a Keychain dialog was cancelled or denied)")
    raise KeychainError(f"reading {what} failed ({program} exited with status {code})")


def _timed_out(what: str, timeout: float) -> KeychainTimeoutError:
    return KeychainTimeoutError(
        f"the Keychain did not answer within {timeout:g}s while reading {what}: "
        "a Keychain dialog may be waiting for you on the Mac's screen"
    )


class KeyringReader:
    """Through ``keyring`` (the Security framework from this Python): may
    make macOS ask for the login password."""

    name = "keyring"

    def __init__(self, *, timeout: float = KEYRING_TIMEOUT) -> None:
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"<KeyringReader timeout={self.timeout:g}s>"

    def describe(self) -> str:
        return f"keyring (may ask for the login password on macOS, {self.timeout:g}s timeout)"

    def unavailable(self) -> str | None:
        return None

    def read(self, service: str, account: str, *, deadline: float) -> str | None:
        import threading

        keyring = _keyring()
        outcome: list[Any] = []

        def ask() -> None:
            try:
                outcome.append(keyring.get_password(service, account))
            except BaseException as exc:  # handed to the caller below
                outcome.append(exc)

        # A dialog nobody answers must not hold the refresh lock for ever: the
        # thread is left behind (a daemon, gone with the process) at the deadline.
        worker = threading.Thread(target=ask, name="claude-usage-keyring", daemon=True)
        worker.start()
        worker.join(max(0.0, deadline - time.monotonic()))
        if not outcome:
            raise _timed_out(f"the Keychain item {service!r}", self.timeout)
        answer = outcome.pop()
        if isinstance(answer, BaseException):
            raise _keyring_failure(answer, service) from None
        return answer if isinstance(answer, str) else None


def _keyring() -> Any:
    import keyring

    return keyring


# Security framework status codes, as keyring's macOS backend reports them.
_INTERACTION_NOT_ALLOWED = -25308
_AUTH_FAILED = -25293


def _status_code(error: BaseException) -> int | None:
    found = re.search(r"\((-?\d+)", str(error))
    return int(found.group(1)) if found else None


def _keyring_failure(error: BaseException, service: str) -> Exception:
    """keyring's exception as one of ours, quoting nothing of its text (it
    could hold anything) but the status code."""
    from keyring.errors import KeyringError, KeyringLocked, NoKeyringError

    if isinstance(error, NoKeyringError):
        return NoBackendError(
            "the keychain backend found no keyring backend to read from; "
            "configure one (PYTHON_KEYRING_BACKEND) or use another credential backend"
        )
    if isinstance(error, KeyringLocked):
        # keyring's macOS backend reports a denied prompt (-128) as "locked".
        return KeychainAccessDeniedError(
            f"access to the Keychain item {service!r} was denied; run again and choose Allow "
            "(or Always Allow) when macOS asks"
        )
    if isinstance(error, KeyringError):
        code = _status_code(error)
        if code == _INTERACTION_NOT_ALLOWED:
            return KeychainInteractionNotAllowedError(
                "the login Keychain is locked and cannot ask for the password here (over SSH?); "
                "unlock it with `security unlock-keychain` and try again"
            )
        if code == _AUTH_FAILED:
            return KeychainLockedError(
                "the login Keychain refused to open (locked, or this Python is not allowed); "
                "unlock it with `security unlock-keychain` and try again"
            )
        return InvalidCredentialsError(
            f"reading the Keychain item {service!r} failed ({type(error).__name__}, status {code})"
        )
    return InvalidCredentialsError(f"reading the Keychain item {service!r} failed ({type(error).__name__})")


def choose_reader(environ: Mapping[str, str] | None = None) -> KeychainReader:
    """``CLAUDE_USAGE_KEYCHAIN_READER`` (``security`` or ``keyring``) when
    set; else ``/usr/bin/security`` when it exists (every Mac), else keyring."""
    env = os.environ if environ is None else environ
    value = env.get(ENV_READER, "").strip().lower()
    if value == "security":
        return SecurityReader()
    if value == "keyring":
        return KeyringReader()
    if value:
        raise ConfigurationError(f"{ENV_READER} must be `security` or `keyring`, not {value!r}")
    return SecurityReader() if os.access(DEFAULT_PROGRAM, os.X_OK) else KeyringReader()
