"""The ``keychain`` credential backend for claude-usage."""

from claude_usage_creds_macos.errors import (
    KeychainAccessDeniedError,
    KeychainError,
    KeychainInteractionNotAllowedError,
    KeychainLockedError,
    KeychainTimeoutError,
    SealedLoginError,
)
from claude_usage_creds_macos.keychain_backend import KeychainBackend, keychain_account, keychain_service
from claude_usage_creds_macos.readers import KeyringReader, SecurityReader

__all__ = [
    "KeychainAccessDeniedError",
    "KeychainBackend",
    "KeychainError",
    "KeychainInteractionNotAllowedError",
    "KeychainLockedError",
    "KeychainTimeoutError",
    "KeyringReader",
    "SealedLoginError",
    "SecurityReader",
    "__version__",
    "keychain_account",
    "keychain_service",
]
__version__ = "0.1.0"
