"""Logins Claude Code sealed into an overflow item.

When the blob grows past what one Keychain item holds, Claude Code 2.1.332
moves sections of it into ``<service>-overflow-a`` or ``-b``: the base64 of
a 12-byte IV, the AES-256-GCM ciphertext of the sections' JSON, and the
16-byte tag. The main item keeps ``keychainOverflow: {slot, key, login?,
organizationUuid?, ...}`` with the base64 of the 32-byte key. With an
enterprise gateway the whole ``claudeAiOauth`` can move there.

Opening one needs ``cryptography`` (the ``sealed`` extra), imported only
when a sealed login is met.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from claude_usage.errors import InvalidCredentialsError
from claude_usage_creds_macos.errors import SealedLoginError

__all__ = ["IV_BYTES", "KEY_BYTES", "SLOTS", "TAG_BYTES", "merge_login", "open_sections", "overflow_pointer"]

SLOTS = ("a", "b")
IV_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
EXTRA_HINT = "pip install 'claude-usage-creds-macos[sealed]'"


def overflow_pointer(blob: object) -> dict[str, Any] | None:
    """The main item's ``keychainOverflow`` when it names a slot and a key,
    and the login itself was moved (no ``claudeAiOauth`` left): only then is
    the overflow item worth reading."""
    if not isinstance(blob, dict) or "claudeAiOauth" in blob:
        return None
    pointer = blob.get("keychainOverflow")
    if isinstance(pointer, dict) and pointer.get("slot") in SLOTS and isinstance(pointer.get("key"), str):
        return pointer
    return None


def open_sections(sealed: str, key: str, item: str) -> dict[str, Any]:
    """The sections sealed in the overflow item called ``item``."""
    try:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        raise SealedLoginError(
            f"the login is sealed in the Keychain item {item!r}, and opening it needs the `sealed` extra "
            f"(cryptography): {EXTRA_HINT}"
        ) from None
    try:
        raw_key = base64.b64decode(key)
        data = base64.b64decode(sealed)
    except (binascii.Error, ValueError):
        raw_key, data = b"", b""
    if len(raw_key) != KEY_BYTES or len(data) < IV_BYTES + TAG_BYTES:
        raise InvalidCredentialsError(f"the sealed login in the Keychain item {item!r} is malformed; run `claude`")
    try:
        # AESGCM takes the ciphertext with the tag appended, as it is stored.
        plain = AESGCM(raw_key).decrypt(data[:IV_BYTES], data[IV_BYTES:], None)
        sections = json.loads(plain.decode("utf-8"))
    except (InvalidTag, UnicodeDecodeError, ValueError):
        sections = None
    if not isinstance(sections, dict):
        raise InvalidCredentialsError(
            f"the Keychain item {item!r} does not open with the key in the main item "
            "(an older or a foreign seal); run `claude` and log in again"
        )
    return sections


def merge_login(blob: dict[str, Any], pointer: dict[str, Any], sections: dict[str, Any]) -> dict[str, Any]:
    """The main blob with the login put back, as Claude Code merges it: the
    sealed ``claudeAiOauth`` counts only when the pointer says a login was
    moved and names the same organisation as the main item."""
    merged = {name: value for name, value in blob.items() if name != "keychainOverflow"}
    belongs = "login" in pointer and pointer.get("organizationUuid") == merged.get("organizationUuid")
    if belongs and "claudeAiOauth" in sections:
        merged["claudeAiOauth"] = sections["claudeAiOauth"]
    return merged
