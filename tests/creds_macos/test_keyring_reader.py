"""The opt-in ``keyring`` reader (``CLAUDE_USAGE_KEYCHAIN_READER=keyring``).

``PlainKeyring`` (plain_keyring.py) is a genuine ``keyring.backend.KeyringBackend``
installed with keyring's own configuration (``keyring.set_keyring`` here,
``PYTHON_KEYRING_BACKEND`` in the subprocess tests), so the reader runs
unchanged. Failures come from small keyring backends that raise what
keyring's macOS backend raises, or that never answer (a dialog nobody
clicks).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.compat import properties
from keyring.errors import KeyringError, KeyringLocked

import support
from claude_usage._secret import SecretToken
from claude_usage.api import select_and_load
from claude_usage.errors import CredentialsNotFoundError, InvalidCredentialsError, NoBackendError
from claude_usage.testing import CredentialBackendContract
from claude_usage_creds_macos.keychain_backend import (
    KeychainAccessDeniedError,
    KeychainBackend,
    KeychainInteractionNotAllowedError,
    KeychainLockedError,
    KeychainTimeoutError,
)
from claude_usage_creds_macos.readers import KeyringReader
from creds_macos.plain_keyring import ITEMS_ENV, PlainKeyring

PLAIN = "Claude Code-credentials"
HERE = Path(__file__).resolve().parent


def hashed(directory: str) -> str:
    return f"{PLAIN}-{hashlib.sha256(directory.encode('utf-8')).hexdigest()[:8]}"


def blob_json(token: str) -> str:
    return json.dumps(support.credentials_blob(token))


@pytest.fixture(autouse=True)
def keyring_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_USAGE_KEYCHAIN_READER", "keyring")


@pytest.fixture
def use_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[KeyringBackend], KeyringBackend]]:
    """Install keyring backends with ``keyring.set_keyring``; the keyring
    that was configured before is restored afterwards. PYTHON_KEYRING_BACKEND
    names it too: off macOS the backend is usable only with keyring configured."""
    previous = getattr(keyring.core, "_keyring_backend", None)

    def install(backend: KeyringBackend) -> KeyringBackend:
        keyring.set_keyring(backend)
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", f"{type(backend).__module__}.{type(backend).__qualname__}")
        return backend

    yield install
    if previous is not None:
        keyring.set_keyring(previous)
    else:
        keyring.core._keyring_backend = None


@pytest.fixture
def ring(use_keyring: Callable[[KeyringBackend], KeyringBackend]) -> PlainKeyring:
    installed = PlainKeyring()
    use_keyring(installed)
    return installed


class RaisingKeyring(KeyringBackend):
    """Raises the given keyring error, as keyring's macOS backend does."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("only installed explicitly by the tests")

    def __init__(self, kind: type[KeyringError], status: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.kind = kind
        self.status = status

    def get_password(self, service: str, username: str) -> str | None:
        raise self.kind(f"Can't get password from keychain: {self.status}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.kind(f"Can't store password on keychain: {self.status}")


class UnansweredKeyring(KeyringBackend):
    """A read that waits on a dialog nobody answers."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("only installed explicitly by the tests")

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait(30)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NotImplementedError


class TestKeyringContract(CredentialBackendContract):
    store: PlainKeyring
    token: str

    @pytest.fixture(autouse=True)
    def _store(self, ring: PlainKeyring, contract_token: str) -> None:
        self.store = ring
        self.token = contract_token

    def make_backend(self) -> KeychainBackend:
        return KeychainBackend()

    def store_token(self, token: str) -> None:
        self.store.set_password(PLAIN, "tester", blob_json(token))

    def store_nothing(self) -> None:
        self.store.items.clear()

    def store_garbage(self) -> None:
        text = blob_json(self.token)
        self.store.set_password(PLAIN, "tester", text[: text.index(self.token) + len(self.token) // 2])


def test_the_reader_is_keyring(ring: PlainKeyring, token: str) -> None:
    ring.set_password(hashed("/p/one"), "tester", blob_json(token))
    backend = KeychainBackend(config_dir="/p/one")
    assert isinstance(backend.reader, KeyringReader)
    assert backend.read_credentials().access_token == SecretToken(token)
    assert "via keyring" in backend.describe()


def test_only_the_users_account_is_read(ring: PlainKeyring, token: str) -> None:
    """keyring's macOS backend cannot pick "any account"; neither do we."""
    ring.set_password(PLAIN, "someone-else", blob_json(token))
    assert keyring.get_credential(PLAIN, None) is None
    with pytest.raises(CredentialsNotFoundError) as caught:
        KeychainBackend().read_credentials()
    assert "'tester'" in str(caught.value)


def test_denied_prompt_is_access_denied(use_keyring: Callable[[KeyringBackend], KeyringBackend]) -> None:
    use_keyring(RaisingKeyring(KeyringLocked, "(-128, 'Keychain Access Denied')"))
    with pytest.raises(KeychainAccessDeniedError) as caught:
        KeychainBackend().read_credentials()
    assert isinstance(caught.value, PermissionError)
    assert PLAIN in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("(-25308, 'User interaction is not allowed.')", KeychainInteractionNotAllowedError),
        ("(-25308, 'Unknown Error')", KeychainInteractionNotAllowedError),
        ("(-25293, 'Security Auth Failure: make sure executable is signed with codesign util')", KeychainLockedError),
    ],
)
def test_locked_keychain(
    use_keyring: Callable[[KeyringBackend], KeyringBackend], status: str, kind: type[Exception]
) -> None:
    use_keyring(RaisingKeyring(KeyringError, status))
    with pytest.raises(KeychainLockedError) as caught:
        KeychainBackend().read_credentials()
    assert type(caught.value) is kind
    assert "security unlock-keychain" in str(caught.value)


def test_other_keyring_error_is_invalid_and_quotes_nothing(
    use_keyring: Callable[[KeyringBackend], KeyringBackend],
) -> None:
    use_keyring(RaisingKeyring(KeyringError, "(-67701, 'sk-ant-oat01-SECRETSECRETSECRET')"))
    with pytest.raises(InvalidCredentialsError) as caught:
        KeychainBackend().read_credentials()
    assert "-67701" in str(caught.value)
    assert "SECRETSECRET" not in str(caught.value) + repr(caught.value)


def test_fail_keyring_is_no_backend(use_keyring: Callable[[KeyringBackend], KeyringBackend]) -> None:
    use_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    with pytest.raises(NoBackendError, match="PYTHON_KEYRING_BACKEND"):
        KeychainBackend().read_credentials()


def test_an_unanswered_dialog_times_out(use_keyring: Callable[[KeyringBackend], KeyringBackend]) -> None:
    unanswered = UnansweredKeyring()
    use_keyring(unanswered)
    started = time.monotonic()
    try:
        with pytest.raises(KeychainTimeoutError, match="dialog may be waiting"):
            KeychainBackend(reader=KeyringReader(timeout=0.5)).read_credentials()
        assert time.monotonic() - started < 1.5
    finally:
        unanswered.release.set()


def test_the_keyring_timeout_leaves_time_to_answer_a_dialog() -> None:
    assert KeyringReader().timeout == 30.0


def _env_with_items(tmp_path: Path, items: list[list[str]], **extra: str) -> dict[str, str]:
    items_file = tmp_path / "items.json"
    items_file.write_text(json.dumps(items))
    env = dict(os.environ)
    env.update(
        {
            "PYTHON_KEYRING_BACKEND": "plain_keyring.PrepopulatedKeyring",
            ITEMS_ENV: str(items_file),
            "PYTHONPATH": os.pathsep.join([str(HERE), *filter(None, [env.get("PYTHONPATH")])]),
            "CLAUDE_USAGE_KEYCHAIN_READER": "keyring",
            **extra,
        }
    )
    return env


_CHILD = """
import json, sys
import keyring
from claude_usage._secret import SecretToken
from claude_usage.api import select_and_load

backend, credentials = select_and_load("keychain")
ring = keyring.get_keyring()
print(json.dumps({
    "backend": backend.name,
    "keyring": type(ring).__module__ + "." + type(ring).__name__,
    "service": backend.service(),
    "matches": credentials.access_token == SecretToken(sys.argv[1]),
}))
"""


def test_keyring_configured_by_environment_end_to_end(tmp_path: Path, token: str) -> None:
    profile = "/Users/me/.claude-work"
    env = _env_with_items(
        tmp_path,
        [[PLAIN, "tester", blob_json(support.make_token())], [hashed(profile), "tester", blob_json(token)]],
        CLAUDE_CONFIG_DIR=profile,
    )
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, token], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == {
        "backend": "keychain",
        "keyring": "plain_keyring.PrepopulatedKeyring",
        "service": hashed(profile),
        "matches": True,
    }


def test_keyring_environment_without_the_item_fails_cleanly(tmp_path: Path, token: str) -> None:
    env = _env_with_items(
        tmp_path,
        [[PLAIN, "tester", blob_json(token)]],
        CLAUDE_CONFIG_DIR="/Users/me/.claude-work",
        CLAUDE_USAGE_BASE_URL="http://127.0.0.1:9",
    )
    result = support.run_cli("--backend", "keychain", "show", env=env)
    assert result.returncode == 3
    assert hashed("/Users/me/.claude-work") in result.stderr
    support.assert_no_token(result.stdout + result.stderr, token)


def test_chosen_by_name_follows_the_profile(ring: PlainKeyring, token: str) -> None:
    ring.set_password(PLAIN, "tester", blob_json(support.make_token()))
    ring.set_password(hashed("/Users/me/.claude-work"), "tester", blob_json(token))
    backend, credentials = select_and_load("keychain", config_dir="/Users/me/.claude-work")
    assert backend.name == "keychain"
    assert credentials.access_token == SecretToken(token)
