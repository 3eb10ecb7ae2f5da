"""Read the token Claude Code keeps in the macOS login Keychain.

The item is the one Claude Code 2.1.332 reads, named as it names it:

* service ``Claude Code-credentials``; ``Claude Code-custom-oauth-credentials``
  under an approved ``CLAUDE_CODE_CUSTOM_OAUTH_URL``; followed by
  ``-<first 8 hex of sha256(NFC dir)>`` when a directory was selected by
  ``CLAUDE_SECURESTORAGE_CONFIG_DIR`` (when defined, even empty: empty means
  the default item) or ``CLAUDE_CONFIG_DIR``;
* account ``$USER``, else the login name; ``claude-code-user`` when that does
  not match ``^[a-zA-Z0-9._-]+$``. No other account is ever tried.

It is read through ``/usr/bin/security`` (no password prompts, 2 s timeout)
or, opted into, ``keyring``: see :mod:`claude_usage_creds_macos.readers`. A
login sealed into an overflow item is opened with the key the main item
holds (:mod:`claude_usage_creds_macos.sealed`). Nothing heavy is imported
until the Keychain is read.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Mapping

from claude_usage import _defaults
from claude_usage.backend import CredentialBackend
from claude_usage.credentials import Credentials, parse_claude_code_credentials
from claude_usage.errors import BackendUnavailable, ConfigurationError, CredentialsNotFoundError
from claude_usage.profiles import storage_dir
from claude_usage_creds_macos.errors import (
    KeychainAccessDeniedError,
    KeychainError,
    KeychainInteractionNotAllowedError,
    KeychainLockedError,
    KeychainTimeoutError,
    SealedLoginError,
)
from claude_usage_creds_macos.readers import KeychainReader, choose_reader

__all__ = [
    "BASE_SERVICE",
    "CUSTOM_OAUTH_SERVICE",
    "FALLBACK_ACCOUNT",
    "KeychainAccessDeniedError",
    "KeychainBackend",
    "KeychainError",
    "KeychainInteractionNotAllowedError",
    "KeychainLockedError",
    "KeychainTimeoutError",
    "SealedLoginError",
    "keychain_account",
    "keychain_service",
]

BASE_SERVICE = "Claude Code-credentials"
CUSTOM_OAUTH_SERVICE = "Claude Code-custom-oauth-credentials"
FALLBACK_ACCOUNT = "claude-code-user"
_ACCOUNT_PATTERN = re.compile(r"^[a-zA-Z0-9._-]+$")


def keychain_service(config_dir: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The service name Claude Code uses for that profile.

    The directory string is hashed as given, only NFC-normalised: no ``~``
    expansion, no trailing-slash stripping, no resolving. Raises
    ConfigurationError for a ``CLAUDE_CODE_CUSTOM_OAUTH_URL`` Claude Code
    would refuse.
    """
    env = os.environ if environ is None else environ
    base = CUSTOM_OAUTH_SERVICE if _defaults.custom_oauth_origin(env) else BASE_SERVICE
    directory = storage_dir(config_dir, env)
    if directory is None:
        return base
    digest = hashlib.sha256(directory.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{base}-{digest[:8]}"


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
    """The macOS login Keychain, read the way Claude Code reads it.

    ``reader`` chooses how (a :class:`~claude_usage_creds_macos.readers.SecurityReader`
    with another program path, in tests); by default
    ``CLAUDE_USAGE_KEYCHAIN_READER``, else ``/usr/bin/security`` when it
    exists, else keyring.
    """

    name = "keychain"

    def __init__(self, *, config_dir: str | None = None, reader: KeychainReader | None = None) -> None:
        super().__init__(config_dir=config_dir)
        self._reader = reader

    @property
    def reader(self) -> KeychainReader:
        """The reader this backend uses (ConfigurationError for a bad
        ``CLAUDE_USAGE_KEYCHAIN_READER``)."""
        return self._reader if self._reader is not None else choose_reader()

    def service(self) -> str:
        return keychain_service(self.config_dir)

    def account(self) -> str:
        return keychain_account()

    def priority(self) -> float:
        try:
            why = self.reader.unavailable()
            self.service()
        except ConfigurationError as exc:
            raise BackendUnavailable(str(exc)) from None
        if why is not None:
            raise BackendUnavailable(why)
        # Above the file backend (5 on macOS), which stays the fallback there.
        if sys.platform == "darwin":
            return 20.0
        if not _configured_elsewhere(self.reader):
            raise BackendUnavailable(MACOS_ONLY)
        return 0.0  # by name only: Claude Code writes no Keychain here

    def describe(self) -> str:
        try:
            return f"macOS Keychain item {self.service()!r}, account {self.account()!r} (via {self.reader.name})"
        except ConfigurationError as exc:
            return f"macOS Keychain ({exc})"

    def details(self) -> dict[str, str]:
        """The reader, service and account, for ``doctor``."""
        found: dict[str, str] = {}
        try:
            found["reader"] = self.reader.describe()
        except ConfigurationError as exc:
            found["reader"] = f"none ({exc})"
        try:
            found["service"] = self.service()
        except ConfigurationError as exc:
            found["service"] = f"none ({exc})"
        found["account"] = self.account()
        return found

    def read_credentials(self) -> Credentials:
        reader = self.reader
        service, account = self.service(), self.account()
        where = f"Keychain item {service!r} (account {account!r})"
        directory = storage_dir(self.config_dir)
        if directory is not None:
            where += f" for profile {directory!r}"
        # One deadline for the item and its overflow, as in Claude Code.
        deadline = time.monotonic() + reader.timeout
        secret = reader.read(service, account, deadline=deadline)
        if secret is None:
            raise CredentialsNotFoundError(f"no {where}; run `claude` and log in")
        try:
            blob = json.loads(secret)
        except ValueError:
            blob = None  # parse_claude_code_credentials says what is wrong
        from claude_usage_creds_macos import sealed

        pointer = sealed.overflow_pointer(blob)
        if pointer is None or not isinstance(blob, dict):
            return parse_claude_code_credentials(secret, source=where)
        del secret
        overflow = f"{service}-overflow-{pointer['slot']}"
        stored = reader.read(overflow, account, deadline=deadline)
        if stored is None:
            raise CredentialsNotFoundError(
                f"the login in the {where} is sealed in the Keychain item {overflow!r}, which is missing; "
                "run `claude` and log in again"
            )
        merged = sealed.merge_login(blob, pointer, sealed.open_sections(stored, pointer["key"], overflow))
        return parse_claude_code_credentials(json.dumps(merged), source=f"{where} (sealed in {overflow!r})")


#: Why the backend cannot be used off macOS (``backends``, ``doctor``).
MACOS_ONLY = "macOS only (Claude Code keeps its login in the Keychain only on macOS)"


def _configured_elsewhere(reader: KeychainReader) -> bool:
    """Whether a Keychain reader was set up on purpose off macOS, so that the
    backend may be chosen by name: keyring installed and configured
    (``PYTHON_KEYRING_BACKEND``; keyring is a dependency on macOS only), or a
    ``security`` program where macOS keeps it. Claude Code writes to neither
    elsewhere, so otherwise the backend is "macOS only"."""
    if reader.name == "keyring":
        from importlib.util import find_spec

        return bool(os.environ.get("PYTHON_KEYRING_BACKEND")) and find_spec("keyring") is not None
    return True  # a runnable `security` program (priority() checked it) was put there on purpose
