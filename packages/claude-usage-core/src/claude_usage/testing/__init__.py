"""A contract test suite every credential backend can run (needs pytest).

Subclass :class:`CredentialBackendContract` in a test module, name the class
``Test...`` and implement the hooks; pytest then runs every ``test_*`` method
below against your backend. The shipped ``file`` and ``keychain`` backends run
it, and so does the example third-party backend in ``examples/``::

    from claude_usage.testing import CredentialBackendContract

    class TestMyBackend(CredentialBackendContract):
        @pytest.fixture(autouse=True)
        def _store(self, tmp_path):       # arrange an empty store per test
            self.dir = tmp_path

        def make_backend(self):
            return MyBackend(directory=self.dir)

        def store_token(self, token):
            (self.dir / "token").write_text(token)

        def store_nothing(self):
            pass

        def store_garbage(self):
            (self.dir / "token").write_bytes(b"\\x00\\xff")

The suite checks what users rely on: a priority or a clear
``BackendUnavailable``, not-found and invalid kept apart, and the token in no
``repr``, message, chained exception or traceback frame.
"""

from __future__ import annotations

import gc
import pickle
import secrets
import traceback
import types
from typing import Any

import pytest

from claude_usage._secret import SecretToken
from claude_usage.backend import CredentialBackend
from claude_usage.credentials import Credentials
from claude_usage.errors import (
    BackendUnavailable,
    ClaudeUsageError,
    CredentialsNotFoundError,
    InvalidCredentialsError,
)

__all__ = ["CredentialBackendContract", "assert_secret_free", "fresh_token"]

PUBLIC_PREFIX = "sk-ant-oat01-"


def fresh_token() -> str:
    """A token of the real shape, unique per call."""
    return PUBLIC_PREFIX + secrets.token_urlsafe(48)


def _slices(token: str, width: int = 8) -> list[str]:
    start = len(PUBLIC_PREFIX) if token.startswith(PUBLIC_PREFIX) else 0
    return [token[i : i + width] for i in range(max(0, start - width + 1), len(token) - width + 1)]


def assert_secret_free(text: str, token: str) -> None:
    """Fail if ``text`` holds the token or any 8-character slice of its
    secret part."""
    for part in _slices(token):
        assert part not in text, "a slice of the token leaked"


def _error_text(error: BaseException) -> str:
    parts = [repr(error), str(error), "".join(traceback.format_exception(error))]
    for value in vars(error).values() if hasattr(error, "__dict__") else ():
        parts.append(repr(value))
    return "\n".join(parts)


def _read_error(backend: CredentialBackend) -> ClaudeUsageError | None:
    """The error ``read_credentials`` raises, caught in a frame that holds no
    token (the test's own frame does: ``contract_token`` is one of its
    locals, and the traceback starts at the frame that caught the error)."""
    try:
        backend.read_credentials()
    except ClaudeUsageError as exc:
        return exc
    return None


def _frames_hold(error: BaseException, token: str) -> bool:
    tb = error.__traceback__
    while tb is not None:
        for value in tb.tb_frame.f_locals.values():
            if isinstance(value, str) and token in value:
                return True
            if isinstance(value, (bytes, bytearray)) and token.encode() in value:
                return True
        tb = tb.tb_next
    return False


class CredentialBackendContract:
    """Tests any :class:`CredentialBackend` must pass. Implement the hooks."""

    # -- hooks ----------------------------------------------------------------

    def make_backend(self) -> CredentialBackend:
        """A backend instance reading the store the other hooks arrange."""
        raise NotImplementedError

    def store_token(self, token: str) -> None:
        """Make the store hold Claude credentials with ``token``."""
        raise NotImplementedError

    def store_nothing(self) -> None:
        """Make the store hold no credentials (missing item, missing file)."""
        raise NotImplementedError

    def store_garbage(self) -> None:
        """Make the store hold something unreadable. Skip if impossible."""
        pytest.skip("this store cannot hold malformed credentials")

    # -- the contract ---------------------------------------------------------

    @pytest.fixture
    def contract_token(self) -> str:
        return fresh_token()

    def test_has_a_name(self) -> None:
        backend = self.make_backend()
        assert isinstance(backend.name, str)
        assert backend.name, "set `name` to the entry-point name users select it by"

    def test_priority_is_a_number_or_unavailable(self) -> None:
        backend = self.make_backend()
        reason: str | None = None
        try:
            priority = backend.priority()
        except BackendUnavailable as exc:
            reason = str(exc)
        if reason is not None:
            assert reason.strip(), "BackendUnavailable needs a reason users can read"
            assert "\n" not in reason
            return
        assert isinstance(priority, (int, float))
        assert not isinstance(priority, bool)

    def test_reads_the_stored_token(self, contract_token: str) -> None:
        self.store_token(contract_token)
        credentials = self.make_backend().read_credentials()
        assert isinstance(credentials, Credentials)
        assert credentials.access_token == SecretToken(contract_token)

    def test_missing_credentials_are_not_found(self) -> None:
        self.store_nothing()
        with pytest.raises(CredentialsNotFoundError) as caught:
            self.make_backend().read_credentials()
        assert str(caught.value).strip()
        assert "\n" not in str(caught.value)

    def test_unreadable_credentials_are_invalid(self, contract_token: str) -> None:
        self.store_garbage()
        with pytest.raises(InvalidCredentialsError) as caught:
            self.make_backend().read_credentials()
        assert "\n" not in str(caught.value)

    def test_nothing_shows_the_token(self, contract_token: str) -> None:
        self.store_token(contract_token)
        backend = self.make_backend()
        credentials = backend.read_credentials()
        for text in (repr(backend), str(backend), repr(credentials), str(credentials)):
            assert_secret_free(text, contract_token)
        try:
            backend.describe()
        except Exception as exc:  # pragma: no cover - reported as a failure
            pytest.fail(f"describe() raised {type(exc).__name__}")
        assert_secret_free(backend.describe(), contract_token)

    def test_credentials_refuse_to_pickle(self, contract_token: str) -> None:
        self.store_token(contract_token)
        credentials = self.make_backend().read_credentials()
        with pytest.raises(TypeError):
            pickle.dumps(credentials)
        with pytest.raises(TypeError):
            pickle.dumps(credentials.access_token)

    def test_errors_carry_no_secret(self, contract_token: str) -> None:
        """Errors raised while the store holds a token (or garbage around
        one) say nothing of it, chain nothing, and keep no frame holding it."""
        errors: list[BaseException] = []
        for arrange in (self.store_nothing, self.store_garbage):
            try:
                arrange()
            except pytest.skip.Exception:
                continue
            caught = _read_error(self.make_backend())
            if caught is not None:
                errors.append(caught)
        for error in errors:
            assert error.__context__ is None or error.__suppress_context__
            assert error.__cause__ is None
            assert_secret_free(_error_text(error), contract_token)
            assert not _frames_hold(error, contract_token)

    def test_backend_keeps_no_copy(self, contract_token: str) -> None:
        """After a read, nothing reachable from the backend object holds the
        token: no cached credentials, no remembered blob."""
        self.store_token(contract_token)
        backend = self.make_backend()
        credentials = backend.read_credentials()
        del credentials
        gc.collect()
        assert not _reachable_secret(backend, contract_token), "the backend kept the token"


def _reachable_secret(root: object, token: str, limit: int = 10_000) -> bool:
    """Whether ``root`` reaches a string, bytes or SecretToken holding ``token``
    through instance data (modules, classes and functions are not followed)."""
    wanted = SecretToken(token)
    seen: set[int] = set()
    pending: list[Any] = [root]
    while pending and len(seen) < limit:
        obj = pending.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            if token in obj:
                return True
            continue
        if isinstance(obj, (bytes, bytearray)):
            if token.encode() in obj:
                return True
            continue
        if isinstance(obj, SecretToken):
            if obj == wanted:
                return True
            continue
        if isinstance(obj, (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType)):
            continue
        pending.extend(gc.get_referents(obj))
    return False
