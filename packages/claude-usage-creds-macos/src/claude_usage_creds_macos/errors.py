"""What can go wrong reading the Keychain, each with the advice that fits it.

All are :class:`~claude_usage.errors.CredentialsError` (exit code 3). Those
that mean "the Keychain could not answer now" derive from
:class:`~claude_usage.errors.CredentialsUnavailableError`, so the shared
cache backs off instead of asking again at the next render.
"""

from __future__ import annotations

from claude_usage.errors import CredentialsError, CredentialsUnavailableError

__all__ = [
    "KeychainAccessDeniedError",
    "KeychainError",
    "KeychainInteractionNotAllowedError",
    "KeychainLockedError",
    "KeychainTimeoutError",
    "SealedLoginError",
]

UNLOCK = "security unlock-keychain ~/Library/Keychains/login.keychain-db"


class KeychainError(CredentialsUnavailableError):
    """The Keychain did not hand out the item, for a reason on its side."""


class KeychainLockedError(KeychainError):
    """The login Keychain is locked (``security`` exit status 36)."""

    def __init__(self, message: str, *, advice: tuple[str, ...] | None = None) -> None:
        super().__init__(
            message,
            advice=advice
            if advice is not None
            else (
                "Unlock the login Keychain: log in at the Mac's screen, or run "
                f"`{UNLOCK}` in this terminal (it asks for your login password), then try again.",
            ),
        )


class KeychainInteractionNotAllowedError(KeychainLockedError):
    """The Keychain needs a dialog and this session cannot show one (over
    SSH, or with nobody logged in at the Mac's screen)."""

    def __init__(self, message: str, *, advice: tuple[str, ...] | None = None) -> None:
        super().__init__(
            message,
            advice=advice
            if advice is not None
            else (
                "This session cannot show Keychain dialogs (SSH, or no one logged in at the Mac's screen). "
                f"Unlock the Keychain from here with `{UNLOCK}`, or run claude-usage in the Mac's own session.",
            ),
        )


class KeychainAccessDeniedError(KeychainError, PermissionError):
    """A Keychain dialog was refused or cancelled."""

    def __init__(self, message: str, *, advice: tuple[str, ...] | None = None) -> None:
        super().__init__(
            message,
            advice=advice
            if advice is not None
            else (
                "A Keychain dialog was cancelled or refused. Run again and answer it (Allow). "
                "The default reader, /usr/bin/security, is trusted by Claude Code's item and needs no permission: "
                "unset CLAUDE_USAGE_KEYCHAIN_READER if it says keyring.",
            ),
        )


class KeychainTimeoutError(KeychainError, TimeoutError):
    """The Keychain did not answer in time: a dialog may be waiting."""

    def __init__(self, message: str, *, advice: tuple[str, ...] | None = None) -> None:
        super().__init__(
            message,
            advice=advice
            if advice is not None
            else (
                "A Keychain dialog may be waiting on the Mac's screen (to unlock the Keychain or to allow access): "
                "answer it, then try again. claude-usage will not ask again for a minute or more.",
            ),
        )


class SealedLoginError(CredentialsError):
    """The login is sealed in an overflow item and cannot be opened here
    (the ``sealed`` extra is not installed)."""

    advice: tuple[str, ...] = (
        "Claude Code sealed this login into an overflow Keychain item. Install the `sealed` extra "
        "(cryptography) to open it: pip install 'claude-usage-creds-macos[sealed]' "
        "(the claude-usage package installs it on macOS).",
    )
