"""A real ``keyring`` backend that keeps its items in memory.

``MemoryKeyring`` is installed with keyring's own configuration
(``keyring.set_keyring(MemoryKeyring())`` or
``PYTHON_KEYRING_BACKEND=memory_keyring.PrepopulatedKeyring``), so the
Keychain backend under test goes through keyring's public API exactly as it
does on macOS. Items are keyed by ``(service, username)``: several accounts
may share one service, as Claude Code's items do (a legacy ``unknown``
account beside the user's).

``PrepopulatedKeyring`` starts with the items listed in the JSON file named
by ``MEMORY_KEYRING_ITEMS`` (a list of ``[service, username, password]``),
for subprocesses that load it through ``PYTHON_KEYRING_BACKEND``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.credentials import Credential, SimpleCredential
from keyring.errors import PasswordDeleteError

__all__ = ["ITEMS_ENV", "MemoryKeyring", "PrepopulatedKeyring"]

ITEMS_ENV = "MEMORY_KEYRING_ITEMS"


class MemoryKeyring(KeyringBackend):
    """Generic passwords in a dict keyed by (service, username)."""

    @properties.classproperty
    def priority(cls) -> float:
        return 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring leaves it unannotated
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.items[(service, username)]
        except KeyError:
            raise PasswordDeleteError(f"no item for service {service!r}, account {username!r}") from None

    def get_credential(self, service: str, username: str | None) -> Credential | None:
        """With a username, that item; without one, the first item stored
        under ``service`` (as the macOS backend returns the first match)."""
        if username is not None:
            password = self.get_password(service, username)
            return None if password is None else SimpleCredential(username, password)
        for (item_service, item_username), password in self.items.items():
            if item_service == service:
                return SimpleCredential(item_username, password)
        return None


class PrepopulatedKeyring(MemoryKeyring):
    """A MemoryKeyring filled from the JSON file named by MEMORY_KEYRING_ITEMS."""

    def __init__(self) -> None:
        super().__init__()
        source = os.environ.get(ITEMS_ENV)
        if source:
            for service, username, password in json.loads(Path(source).read_text(encoding="utf-8")):
                self.set_password(str(service), str(username), str(password))
