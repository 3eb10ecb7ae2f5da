"""Read the token Claude Code keeps in the macOS Keychain, through ``keyring``.

Claude Code stores a generic password whose service is
``Claude Code-credentials`` for the default profile, and
``Claude Code-credentials-<first 8 hex of sha256(NFC(dir))>`` when
``CLAUDE_CONFIG_DIR`` (or ``CLAUDE_SECURESTORAGE_CONFIG_DIR``) is set and
non-empty; the account is the user name, or ``claude-code-user`` when the
name has characters outside ``[a-zA-Z0-9._-]``. Several items can share a
service (a legacy ``unknown`` account holding only MCP tokens), so the item is
looked up by service *and* account.

``keyring`` is imported only when the Keychain is read: it is slow to import
and a statusline rendering from the cache does not need it.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import unicodedata
from collections.abc import Mapping
from typing import Any

from claude_usage.backend import CredentialBackend
from claude_usage.credentials import Credentials, parse_claude_code_credentials
from claude_usage.errors import (
    BackendUnavailable,
    CredentialsError,
    CredentialsNotFoundError,
    InvalidCredentialsError,
    NoBackendError,
)
from claude_usage.profiles import storage_dir

__all__ = [
    "BASE_SERVICE",
    "FALLBACK_ACCOUNT",
    "KeychainAccessDeniedError",
    "KeychainBackend",
    "KeychainLockedError",
    "keychain_account",
    "keychain_service",
]

BASE_SERVICE = "Claude Code-credentials"
FALLBACK_ACCOUNT = "claude-code-user"
_ACCOUNT_PATTERN = re.compile(r"^[a-zA-Z0-9._-]+$")

# Security framework status codes, as keyring's macOS backend reports them.
_INTERACTION_NOT_ALLOWED = -25308
_AUTH_FAILED = -25293


class KeychainAccessDeniedError(CredentialsError, PermissionError):
    """The user (or policy) denied access to the Keychain item."""


class KeychainLockedError(CredentialsError):
    """The Keychain is locked and cannot prompt (e.g. over SSH)."""


def keychain_service(config_dir: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The service name Claude Code uses for that profile.

    The directory string is hashed as given: no ``~`` expansion, no
    trailing-slash stripping, no resolving, only NFC normalisation.
    """
    directory = storage_dir(config_dir, environ)
    if directory is None:
        return BASE_SERVICE
    digest = hashlib.sha256(unicodedata.normalize("NFC", directory).encode("utf-8")).hexdigest()
    return f"{BASE_SERVICE}-{digest[:8]}"


def _login_name() -> str | None:
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, OSError):
        return None


def keychain_account(environ: Mapping[str, str] | None = None) -> str:
    """The account Claude Code stores the item under: ``$USER`` (or the login
    name), or ``claude-code-user`` when that name does not match
    ``^[a-zA-Z0-9._-]+$``."""
    env = os.environ if environ is None else environ
    name = env.get("USER") or _login_name() or ""
    return name if _ACCOUNT_PATTERN.fullmatch(name) else FALLBACK_ACCOUNT


class KeychainBackend(CredentialBackend):
    """The macOS login Keychain, read through keyring."""

    name = "keychain"

    def service(self) -> str:
        return keychain_service(self.config_dir)

    def account(self) -> str:
        return keychain_account()

    def priority(self) -> float:
        # Above the file backend (5 on macOS), which stays the fallback there.
        if sys.platform == "darwin":
            return 20.0
        # Claude Code keeps its login in the Keychain on macOS only. Elsewhere
        # keyring (a dependency on macOS only) would talk to some other store,
        # which Claude Code never writes: usable only when keyring is installed
        # and configured (PYTHON_KEYRING_BACKEND), and only by name.
        if os.environ.get("PYTHON_KEYRING_BACKEND") and _keyring_installed():
            return 0.0
        raise BackendUnavailable("macOS only (Claude Code keeps its login in the Keychain only on macOS)")

    def describe(self) -> str:
        return f"macOS Keychain item {self.service()!r}, account {self.account()!r} (via keyring)"

    def read_credentials(self) -> Credentials:
        service, account = self.service(), self.account()
        item = f"Keychain item {service!r} (account {account!r})"
        if service != BASE_SERVICE:
            item += f" for profile {storage_dir(self.config_dir)!r}"
        secret = _get_password(service, account)
        if secret is None:
            other = _get_any_account(service)
            if other is None:
                raise CredentialsNotFoundError(f"no {item}; run `claude` and log in")
            secret, other_account = other
            item = item.replace(f"(account {account!r})", f"(account {other_account!r})")
        return parse_claude_code_credentials(secret, source=item)


def _keyring_installed() -> bool:
    from importlib.util import find_spec

    return find_spec("keyring") is not None


def _keyring() -> Any:
    import keyring

    return keyring


def _status_code(error: BaseException) -> int | None:
    found = re.search(r"\((-?\d+)", str(error))
    return int(found.group(1)) if found else None


def _get_password(service: str, account: str) -> str | None:
    keyring = _keyring()
    from keyring.errors import KeyringError, KeyringLocked, NoKeyringError

    failure: CredentialsError | None = None
    try:
        return keyring.get_password(service, account)  # type: ignore[no-any-return]
    except NoKeyringError:
        failure = NoBackendError(
            "the keychain backend found no keyring backend to read from; "
            "configure one (PYTHON_KEYRING_BACKEND) or use another credential backend"
        )
    except KeyringLocked:
        # keyring's macOS backend reports a denied prompt (-128) as "locked".
        failure = KeychainAccessDeniedError(
            f"access to the Keychain item {service!r} was denied; run again and choose Allow "
            "(or Always Allow) when macOS asks"
        )
    except KeyringError as exc:
        code = _status_code(exc)
        if code in (_INTERACTION_NOT_ALLOWED, _AUTH_FAILED):
            failure = KeychainLockedError(
                "the login Keychain is locked and cannot ask for the password here (over SSH?); "
                "unlock it with `security unlock-keychain` and try again"
            )
        else:
            failure = InvalidCredentialsError(
                f"reading the Keychain item {service!r} failed ({type(exc).__name__}, status {code})"
            )
    raise failure


def _get_any_account(service: str) -> tuple[str, str] | None:
    """The item of ``service`` under whatever account it was stored with
    (``$USER`` can differ from the name Claude Code saw, e.g. under sudo)."""
    keyring = _keyring()
    try:
        credential = keyring.get_credential(service, None)
    except Exception:
        return None
    if credential is None or not isinstance(credential.password, str):
        return None
    return credential.password, str(credential.username)
