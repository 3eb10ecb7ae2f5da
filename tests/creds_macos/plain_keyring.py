"""A real ``keyring`` backend holding generic passwords in a dict.

Only what keyring's macOS backend does: one password per (service, account),
and ``get_credential`` inherited from keyring's base class, which, like the
macOS backend, cannot pick "any account". ``PrepopulatedKeyring`` starts
with the items listed in the JSON file named by ``PLAIN_KEYRING_ITEMS`` (a
list of ``[service, account, password]``), for subprocesses that load it
through ``PYTHON_KEYRING_BACKEND``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

__all__ = ["ITEMS_ENV", "PlainKeyring", "PrepopulatedKeyring"]

ITEMS_ENV = "PLAIN_KEYRING_ITEMS"


class PlainKeyring(KeyringBackend):
    """Generic passwords in a dict keyed by (service, account)."""

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


class PrepopulatedKeyring(PlainKeyring):
    """A PlainKeyring filled from the JSON file named by PLAIN_KEYRING_ITEMS."""

    def __init__(self) -> None:
        super().__init__()
        source = os.environ.get(ITEMS_ENV)
        if source:
            for service, username, password in json.loads(Path(source).read_text(encoding="utf-8")):
                self.set_password(str(service), str(username), str(password))
