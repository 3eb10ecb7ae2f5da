"""The interface every credential backend implements.

A backend is a class registered under the entry-point group
``claude_usage.backends``; the entry point's name is the backend's name
(``env``, ``file``, ``keychain``...). Selection calls :meth:`priority` on an
instance: it returns how strongly the backend wants to be chosen, or raises
:class:`~claude_usage.BackendUnavailable` with the reason it cannot work
here. Only a priority above zero is chosen automatically; a backend that
works but should only be used on request (the Keychain backend on Linux)
returns ``0``.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

from claude_usage._frames import detached
from claude_usage.credentials import Credentials

__all__ = ["CredentialBackend"]


class CredentialBackend(abc.ABC):
    """Base class of credential backends.

    ``config_dir`` selects a Claude Code profile exactly as the
    ``CLAUDE_CONFIG_DIR`` environment variable would (the literal string);
    ``None`` means "follow the environment". Backends without a notion of
    profile may ignore it. Subclasses must accept it as a keyword argument:
    :func:`~claude_usage.get_usage` passes it when the caller asks for a
    profile.

    Every subclass's :meth:`read_credentials` is wrapped so that the errors it
    raises carry no frames that could hold the token (see ``SECURITY.md``).
    """

    #: The name users select the backend by; defaults to the entry-point name.
    name: ClassVar[str] = ""

    def __init__(self, *, config_dir: str | None = None) -> None:
        self.config_dir = config_dir

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        method = cls.__dict__.get("read_credentials")
        if method is not None and not getattr(method, "__claude_usage_detached__", False):
            cls.read_credentials = detached(method)  # type: ignore[method-assign]

    @abc.abstractmethod
    def priority(self) -> float:
        """How strongly this backend should be chosen here.

        Higher wins; ``<= 0`` means "usable, but only when asked for by
        name". Raise :class:`~claude_usage.BackendUnavailable` with a
        one-line reason when the backend cannot work here at all. Must be
        cheap and must not read the secret.
        """

    @abc.abstractmethod
    def read_credentials(self) -> Credentials:
        """Read the token and return it as :class:`~claude_usage.Credentials`.

        Raise :class:`~claude_usage.CredentialsNotFoundError` when there is
        nothing to read (saying where you looked) and
        :class:`~claude_usage.InvalidCredentialsError` when what is there is
        unusable; never put the secret or the store's content in a message.
        """

    def describe(self) -> str:
        """One line for ``claude-usage backends``: where this backend reads."""
        doc = (type(self).__doc__ or "").strip()
        return doc.splitlines()[0] if doc else type(self).__name__

    def details(self) -> dict[str, str]:
        """Labelled facts for ``claude-usage doctor`` about how this backend
        reads (which program, which item): never the secret. None by default."""
        return {}

    def __repr__(self) -> str:
        profile = "" if self.config_dir is None else f" config_dir={self.config_dir!r}"
        return f"<{type(self).__name__} {self.name or '?'}{profile}>"
