"""The ``keychain`` credential backend for claude-usage."""

from claude_usage_creds_macos.keychain_backend import (
    KeychainAccessDeniedError,
    KeychainBackend,
    KeychainLockedError,
    keychain_account,
    keychain_service,
)

__all__ = [
    "KeychainAccessDeniedError",
    "KeychainBackend",
    "KeychainLockedError",
    "__version__",
    "keychain_account",
    "keychain_service",
]
__version__ = "0.1.0"
