"""The ``keychain`` backend through a real keyring backend held in memory.

``MemoryKeyring`` (memory_keyring.py) is a genuine ``keyring.backend.KeyringBackend``
installed with keyring's own configuration (``keyring.set_keyring`` here,
``PYTHON_KEYRING_BACKEND`` in the subprocess test), so the code under test
runs unchanged: it calls ``keyring.get_password``/``get_credential`` and
keyring dispatches to the memory store. Failure modes come from small
keyring backends that raise what keyring's macOS backend raises.

Expected service names are computed here with hashlib, independently of
``keychain_service``.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import re
import subprocess
import sys
import traceback
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
from claude_usage.credentials import Credentials
from claude_usage.errors import (
    BackendUnavailable,
    CredentialsError,
    CredentialsNotFoundError,
    InvalidCredentialsError,
    NoBackendError,
)
from claude_usage.testing import CredentialBackendContract
from claude_usage_creds_macos.keychain_backend import (
    KeychainAccessDeniedError,
    KeychainBackend,
    KeychainLockedError,
    keychain_account,
    keychain_service,
)
from creds_macos.memory_keyring import ITEMS_ENV, MemoryKeyring

PLAIN = "Claude Code-credentials"
HERE = Path(__file__).resolve().parent

# -- helpers ------------------------------------------------------------------


def hashed(directory: str) -> str:
    """Claude Code's service name for a CLAUDE_CONFIG_DIR value, computed
    here from the rule in domain.md. ``directory`` must already be NFC."""
    return f"{PLAIN}-{hashlib.sha256(directory.encode('utf-8')).hexdigest()[:8]}"


def blob_json(token: str, **kwargs: object) -> str:
    return json.dumps(support.credentials_blob(token, **kwargs))  # type: ignore[arg-type]


def holds(credentials: Credentials, token: str) -> bool:
    return credentials.access_token == SecretToken(token)


def read(backend: KeychainBackend | None = None) -> Credentials:
    return (backend or KeychainBackend()).read_credentials()


def error_text(error: BaseException) -> str:
    return "\n".join([str(error), repr(error), "".join(traceback.format_exception(error))])


@pytest.fixture
def use_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[KeyringBackend], KeyringBackend]]:
    """Install keyring backends with ``keyring.set_keyring``; the keyring
    that was configured before is restored afterwards. PYTHON_KEYRING_BACKEND
    names it too: off macOS the backend is usable only with keyring configured."""
    previous = getattr(keyring.core, "_keyring_backend", None)

    def install(backend: KeyringBackend) -> KeyringBackend:
        keyring.set_keyring(backend)
        assert keyring.get_keyring() is backend
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", f"{type(backend).__module__}.{type(backend).__qualname__}")
        return backend

    yield install
    if previous is not None:
        keyring.set_keyring(previous)
    else:
        # Nothing was configured yet: let keyring detect one on next use.
        keyring.core._keyring_backend = None


@pytest.fixture
def ring(use_keyring: Callable[[KeyringBackend], KeyringBackend]) -> MemoryKeyring:
    installed = MemoryKeyring()
    use_keyring(installed)
    return installed


# -- raising keyring backends ---------------------------------------------------


class RaisingKeyring(KeyringBackend):
    """Raises the given keyring error from every operation, as keyring's
    macOS backend does; never chosen by keyring's own detection."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("only installed explicitly by the tests")

    def __init__(self, kind: type[KeyringError], status: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.kind = kind
        self.status = status

    def get_password(self, service: str, username: str) -> str | None:
        # The text keyring's macOS backend builds: f"Can't get password from keychain: {api.Error(status, text)}".
        raise self.kind(f"Can't get password from keychain: {self.status}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.kind(f"Can't store password on keychain: {self.status}")


DENIED = (KeyringLocked, "(-128, 'Keychain Access Denied')")
INTERACTION_NOT_ALLOWED = (KeyringError, "(-25308, 'User interaction is not allowed.')")
INTERACTION_NOT_ALLOWED_AS_KEYRING_SAYS = (KeyringError, "(-25308, 'Unknown Error')")
AUTH_FAILED = (KeyringError, "(-25293, 'Security Auth Failure: make sure executable is signed with codesign util')")
OTHER_FAILURE = (KeyringError, "(-67701, 'sk-ant-oat01-SECRETSECRETSECRET')")


# -- the contract ---------------------------------------------------------------


class TestKeychainContract(CredentialBackendContract):
    """The shared backend contract, run against the memory keyring."""

    store: MemoryKeyring
    token: str

    @pytest.fixture(autouse=True)
    def _store(self, ring: MemoryKeyring, contract_token: str) -> None:
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


# -- service names ----------------------------------------------------------------


def test_plain_service_without_environment(ring: MemoryKeyring, token: str) -> None:
    assert keychain_service() == PLAIN
    assert KeychainBackend().service() == PLAIN
    ring.set_password(PLAIN, "tester", blob_json(token))
    assert holds(read(), token)


@pytest.mark.parametrize(
    "directory",
    [
        "/Users/me/.claude-work",
        "/Users/me/.claude-work/",
        "~/.claude",
        "relative/profile",
        "/Users/jos\u00e9/.claude",
    ],
)
def test_hashed_service_for_claude_config_dir(
    ring: MemoryKeyring, token: str, monkeypatch: pytest.MonkeyPatch, directory: str
) -> None:
    expected = hashed(directory)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", directory)
    assert keychain_service() == expected
    assert KeychainBackend().service() == expected
    ring.set_password(PLAIN, "tester", blob_json(support.make_token()))
    ring.set_password(expected, "tester", blob_json(token))
    assert holds(read(), token)


def test_known_hash_value() -> None:
    # A fixed vector, so the rule itself (sha256, hex, first 8) is pinned too.
    assert hashlib.sha256(b"/Users/me/.claude-work").hexdigest()[:8] == hashed("/Users/me/.claude-work")[-8:]
    assert (
        keychain_service("/Users/me/.claude-work")
        == "Claude Code-credentials-" + hashlib.sha256(b"/Users/me/.claude-work").hexdigest()[:8]
    )


def test_trailing_slash_is_a_different_profile(
    ring: MemoryKeyring, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    without, with_slash = "/Users/me/.claude-work", "/Users/me/.claude-work/"
    assert hashed(without) != hashed(with_slash)
    assert keychain_service(without) != keychain_service(with_slash)
    ring.set_password(hashed(without), "tester", blob_json(token))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", with_slash)
    with pytest.raises(CredentialsNotFoundError) as caught:
        read()
    assert hashed(with_slash) in str(caught.value)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", without)
    assert holds(read(), token)


def test_tilde_is_hashed_literally(
    home: Path, ring: MemoryKeyring, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    expanded = str(home / ".claude")
    assert keychain_service("~/.claude") == hashed("~/.claude")
    assert keychain_service("~/.claude") != hashed(expanded)
    ring.set_password(hashed(expanded), "tester", blob_json(support.make_token()))
    ring.set_password(hashed("~/.claude"), "tester", blob_json(token))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", "~/.claude")
    assert holds(read(), token)


def test_decomposed_unicode_is_nfc_normalised(ring: MemoryKeyring, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    decomposed, composed = "/Users/jose\u0301/.claude", "/Users/jos\u00e9/.claude"
    assert decomposed != composed
    raw_decomposed = f"{PLAIN}-{hashlib.sha256(decomposed.encode()).hexdigest()[:8]}"
    assert raw_decomposed != hashed(composed), "the two spellings hash apart unless normalised"
    assert keychain_service(decomposed) == hashed(composed)
    assert keychain_service(composed) == hashed(composed)
    ring.set_password(hashed(composed), "tester", blob_json(token))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", decomposed)
    assert holds(read(), token)


def test_home_dot_claude_is_still_hashed(
    home: Path, ring: MemoryKeyring, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CLAUDE_CONFIG_DIR=$HOME/.claude names the default directory, yet
    Claude Code stores the token under the hashed service."""
    directory = str(home / ".claude")
    ring.set_password(PLAIN, "tester", blob_json(support.make_token()))
    ring.set_password(hashed(directory), "tester", blob_json(token))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", directory)
    assert keychain_service() == hashed(directory) != PLAIN
    assert holds(read(), token)


def test_home_dot_claude_without_hashed_item_is_not_found(
    home: Path, ring: MemoryKeyring, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = str(home / ".claude")
    ring.set_password(PLAIN, "tester", blob_json(token))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", directory)
    with pytest.raises(CredentialsNotFoundError) as caught:
        read()
    assert hashed(directory) in str(caught.value)
    support.assert_no_token(error_text(caught.value), token)


@pytest.mark.parametrize("variable", ["CLAUDE_CONFIG_DIR", "CLAUDE_SECURESTORAGE_CONFIG_DIR"])
def test_empty_variable_is_unset(
    ring: MemoryKeyring, token: str, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "")
    assert keychain_service() == PLAIN
    ring.set_password(PLAIN, "tester", blob_json(token))
    assert holds(read(), token)


def test_securestorage_dir_takes_precedence(ring: MemoryKeyring, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", "/Users/me/.claude-work")
    monkeypatch.setenv("CLAUDE_SECURESTORAGE_CONFIG_DIR", "/Users/me/.secure")
    assert keychain_service() == hashed("/Users/me/.secure")
    ring.set_password(hashed("/Users/me/.claude-work"), "tester", blob_json(support.make_token()))
    ring.set_password(hashed("/Users/me/.secure"), "tester", blob_json(token))
    assert holds(read(), token)


def test_explicit_config_dir_wins(ring: MemoryKeyring, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", "/Users/me/.claude-work")
    monkeypatch.setenv("CLAUDE_SECURESTORAGE_CONFIG_DIR", "/Users/me/.secure")
    ring.set_password(hashed("/Users/me/.claude-work"), "tester", blob_json(support.make_token()))
    ring.set_password(hashed("/Users/me/.secure"), "tester", blob_json(support.make_token()))
    ring.set_password(hashed("/Users/me/.explicit"), "tester", blob_json(token))
    backend = KeychainBackend(config_dir="/Users/me/.explicit")
    assert backend.service() == hashed("/Users/me/.explicit")
    assert holds(read(backend), token)
    assert hashed("/Users/me/.explicit") in backend.describe()


def test_two_profiles_read_their_own_items(ring: MemoryKeyring) -> None:
    first, second = support.make_token(), support.make_token()
    ring.set_password(hashed("/p/one"), "tester", blob_json(first))
    ring.set_password(hashed("/p/two"), "tester", blob_json(second))
    one, two = read(KeychainBackend(config_dir="/p/one")), read(KeychainBackend(config_dir="/p/two"))
    assert holds(one, first)
    assert not holds(one, second)
    assert holds(two, second)
    assert not holds(two, first)


# -- accounts ---------------------------------------------------------------------


def test_account_is_user(monkeypatch: pytest.MonkeyPatch) -> None:
    assert keychain_account() == "tester"
    monkeypatch.setenv("USER", "alice.smith-2_x")
    assert keychain_account() == "alice.smith-2_x"
    assert KeychainBackend().account() == "alice.smith-2_x"


@pytest.mark.parametrize("user", ["jos\u00e9", "a b", "me@host", "x/y", "tab\there", "tester\n", "\ntester"])
def test_account_falls_back_for_unusual_names(
    ring: MemoryKeyring, token: str, monkeypatch: pytest.MonkeyPatch, user: str
) -> None:
    monkeypatch.setenv("USER", user)
    assert keychain_account() == "claude-code-user"
    ring.set_password(PLAIN, "claude-code-user", blob_json(token))
    ring.set_password(PLAIN, user, blob_json(support.make_token()))
    assert holds(read(), token)


def test_account_without_user_is_the_login_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("USER")
    try:
        login = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:  # a uid without a passwd entry (some containers)
        login = ""
    expected = login if re.fullmatch(r"[a-zA-Z0-9._-]+", login) else "claude-code-user"
    assert keychain_account() == expected


def test_account_from_a_given_environment() -> None:
    assert keychain_account({"USER": "bob"}) == "bob"
    assert keychain_account({"USER": "b\u00f6b"}) == "claude-code-user"


def test_duplicate_items_the_users_is_read(ring: MemoryKeyring, token: str) -> None:
    # The legacy item comes first, so a service-only lookup would return it.
    ring.set_password(PLAIN, "unknown", blob_json_mcp_only())
    ring.set_password(PLAIN, "tester", blob_json(token))
    assert keyring.get_credential(PLAIN, None) is not None
    assert keyring.get_credential(PLAIN, None).username == "unknown"  # type: ignore[union-attr]
    assert holds(read(), token)


def blob_json_mcp_only() -> str:
    return json.dumps(support.credentials_blob(None, mcp=True))


def test_mcp_only_item_is_not_found(ring: MemoryKeyring) -> None:
    ring.set_password(PLAIN, "tester", blob_json_mcp_only())
    with pytest.raises(CredentialsNotFoundError) as caught:
        read()
    assert PLAIN in str(caught.value)
    assert "mcp-token" not in error_text(caught.value)


def test_only_a_legacy_mcp_item_is_not_found(ring: MemoryKeyring) -> None:
    ring.set_password(PLAIN, "unknown", blob_json_mcp_only())
    with pytest.raises(CredentialsNotFoundError):
        read()


def test_missing_hashed_item_names_the_service(
    ring: MemoryKeyring, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ring.set_password(PLAIN, "tester", blob_json(token))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", "/Users/me/.claude-work")
    with pytest.raises(CredentialsNotFoundError) as caught:
        read()
    message = str(caught.value)
    assert hashed("/Users/me/.claude-work") in message
    assert "/Users/me/.claude-work" in message
    assert "\n" not in message
    support.assert_no_token(error_text(caught.value), token)


def test_empty_keyring_is_not_found(ring: MemoryKeyring) -> None:
    with pytest.raises(CredentialsNotFoundError) as caught:
        read()
    assert PLAIN in str(caught.value)


def test_item_under_another_account_is_found(ring: MemoryKeyring, token: str) -> None:
    ring.set_password(PLAIN, "someone-else", blob_json(token))
    assert ring.get_password(PLAIN, "tester") is None
    assert holds(read(), token)


def test_item_of_another_service_is_not_taken(ring: MemoryKeyring, token: str) -> None:
    ring.set_password(hashed("/elsewhere"), "tester", blob_json(token))
    with pytest.raises(CredentialsNotFoundError):
        read()


def test_garbage_item_is_invalid_and_quotes_nothing(ring: MemoryKeyring, token: str) -> None:
    ring.set_password(PLAIN, "tester", "\x00not json " + token)
    with pytest.raises(InvalidCredentialsError) as caught:
        read()
    assert PLAIN in str(caught.value)
    support.assert_no_token(error_text(caught.value), token)


def test_blob_shapes(ring: MemoryKeyring, token: str) -> None:
    blob = support.credentials_blob(token)
    del blob["claudeAiOauth"]["scopes"]
    ring.set_password(PLAIN, "tester", json.dumps(blob))
    credentials = read()
    assert holds(credentials, token)
    assert credentials.scopes is None
    assert credentials.subscription_type == "max"
    ring.set_password(PLAIN, "tester", json.dumps({"claudeAiOauth": {"accessToken": token}}))
    credentials = read()
    assert holds(credentials, token)
    assert credentials.expires_at is None


def test_reading_leaves_the_keyring_unchanged(ring: MemoryKeyring, token: str) -> None:
    ring.set_password(PLAIN, "unknown", blob_json_mcp_only())
    ring.set_password(PLAIN, "tester", blob_json(token))
    before = dict(ring.items)
    read()
    assert ring.items == before


# -- priority and selection ------------------------------------------------------


@pytest.mark.skipif(sys.platform != "darwin", reason="the macOS priority; the tests below cover elsewhere")
def test_priority_on_macos() -> None:
    assert KeychainBackend().priority() == 20.0


@pytest.mark.skipif(sys.platform == "darwin", reason="on macOS the Keychain is always available")
def test_macos_only_elsewhere() -> None:
    with pytest.raises(BackendUnavailable, match=r"^macOS only \(Claude Code keeps its login in the Keychain"):
        KeychainBackend().priority()


@pytest.mark.skipif(sys.platform == "darwin", reason="on macOS the Keychain is always available")
def test_by_name_only_elsewhere_when_keyring_is_configured(ring: MemoryKeyring) -> None:
    assert os.environ["PYTHON_KEYRING_BACKEND"].endswith("MemoryKeyring")
    assert KeychainBackend().priority() == 0.0


@pytest.mark.skipif(sys.platform == "darwin", reason="on macOS the Keychain is chosen automatically")
def test_never_chosen_automatically_off_macos(home: Path, ring: MemoryKeyring, token: str) -> None:
    ring.set_password(PLAIN, "tester", blob_json(support.make_token()))
    support.write_credentials(home / ".claude", blob_json(token))
    backend, credentials = select_and_load()
    assert backend.name == "file"
    assert holds(credentials, token)


@pytest.mark.skipif(sys.platform == "darwin", reason="on macOS the Keychain is chosen automatically")
def test_not_tried_as_a_fallback_off_macos(ring: MemoryKeyring, token: str) -> None:
    ring.set_password(PLAIN, "tester", blob_json(token))
    with pytest.raises(CredentialsNotFoundError) as caught:
        select_and_load()
    assert ".credentials.json" in str(caught.value)
    assert "Keychain" not in str(caught.value)


def test_chosen_by_name(home: Path, ring: MemoryKeyring, token: str) -> None:
    support.write_credentials(home / ".claude", blob_json(support.make_token()))
    ring.set_password(PLAIN, "tester", blob_json(token))
    backend, credentials = select_and_load("keychain")
    assert backend.name == "keychain"
    assert isinstance(backend, KeychainBackend)
    assert holds(credentials, token)


def test_chosen_by_environment(home: Path, ring: MemoryKeyring, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    support.write_credentials(home / ".claude", blob_json(support.make_token()))
    ring.set_password(PLAIN, "tester", blob_json(token))
    monkeypatch.setenv("CLAUDE_USAGE_BACKEND", "keychain")
    backend, credentials = select_and_load()
    assert backend.name == "keychain"
    assert holds(credentials, token)


def test_chosen_by_name_follows_the_profile(ring: MemoryKeyring, token: str) -> None:
    ring.set_password(PLAIN, "tester", blob_json(support.make_token()))
    ring.set_password(hashed("/Users/me/.claude-work"), "tester", blob_json(token))
    backend, credentials = select_and_load("keychain", config_dir="/Users/me/.claude-work")
    assert backend.name == "keychain"
    assert holds(credentials, token)


# -- keyring failures --------------------------------------------------------------


def test_denied_prompt_is_access_denied(use_keyring: Callable[[KeyringBackend], KeyringBackend]) -> None:
    use_keyring(RaisingKeyring(*DENIED))
    with pytest.raises(KeychainAccessDeniedError) as caught:
        read()
    assert isinstance(caught.value, CredentialsError)
    assert isinstance(caught.value, PermissionError)
    assert PLAIN in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__


@pytest.mark.parametrize(
    "error",
    [INTERACTION_NOT_ALLOWED, INTERACTION_NOT_ALLOWED_AS_KEYRING_SAYS, AUTH_FAILED],
    ids=["interaction-not-allowed", "interaction-not-allowed-keyring-text", "auth-failed"],
)
def test_locked_keychain_without_prompt(
    use_keyring: Callable[[KeyringBackend], KeyringBackend], error: tuple[type[KeyringError], str]
) -> None:
    use_keyring(RaisingKeyring(*error))
    with pytest.raises(KeychainLockedError) as caught:
        read()
    assert isinstance(caught.value, CredentialsError)
    assert not isinstance(caught.value, KeychainAccessDeniedError)
    assert "security unlock-keychain" in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__


def test_other_keyring_error_is_invalid_and_quotes_nothing(
    use_keyring: Callable[[KeyringBackend], KeyringBackend],
) -> None:
    use_keyring(RaisingKeyring(*OTHER_FAILURE))
    with pytest.raises(InvalidCredentialsError) as caught:
        read()
    assert "-67701" in str(caught.value)
    assert "SECRETSECRET" not in error_text(caught.value)


def test_keyring_errors_surface_through_selection_by_name(
    use_keyring: Callable[[KeyringBackend], KeyringBackend],
) -> None:
    use_keyring(RaisingKeyring(*INTERACTION_NOT_ALLOWED))
    with pytest.raises(KeychainLockedError):
        select_and_load("keychain")


def test_fail_keyring_is_no_backend(use_keyring: Callable[[KeyringBackend], KeyringBackend]) -> None:
    use_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    with pytest.raises(NoBackendError) as caught:
        read()
    assert "PYTHON_KEYRING_BACKEND" in str(caught.value)


def test_fail_keyring_by_name_is_no_backend(use_keyring: Callable[[KeyringBackend], KeyringBackend]) -> None:
    use_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    with pytest.raises(NoBackendError):
        select_and_load("keychain")


def test_memory_keyring_is_a_real_keyring_backend(ring: MemoryKeyring) -> None:
    """The test double honours keyring's API, so the tests above test something."""
    assert isinstance(ring, KeyringBackend)
    assert MemoryKeyring.priority == 1
    keyring.set_password("svc", "a", "one")
    keyring.set_password("svc", "b", "two")
    assert keyring.get_password("svc", "a") == "one"
    assert keyring.get_password("svc", "b") == "two"
    assert keyring.get_password("svc", "c") is None
    first = keyring.get_credential("svc", None)
    assert first is not None
    assert (first.username, first.password) == ("a", "one")
    named = keyring.get_credential("svc", "b")
    assert named is not None
    assert named.password == "two"
    assert keyring.get_credential("other", None) is None
    keyring.delete_password("svc", "a")
    assert keyring.get_password("svc", "a") is None
    with pytest.raises(keyring.errors.PasswordDeleteError):
        keyring.delete_password("svc", "a")


# -- keyring configured through the environment, end to end -----------------------

_CHILD = """
import json, os
import keyring
from claude_usage._secret import SecretToken
from claude_usage.api import select_and_load

backend, credentials = select_and_load("keychain")
items = json.loads(open(os.environ["MEMORY_KEYRING_ITEMS"]).read())
stored = json.loads(items[-1][2])["claudeAiOauth"]["accessToken"]
ring = keyring.get_keyring()
print(json.dumps({
    "backend": backend.name,
    "keyring": type(ring).__module__ + "." + type(ring).__name__,
    "service": backend.service(),
    "matches": credentials.access_token == SecretToken(stored),
    "tier": credentials.rate_limit_tier,
}))
"""


def test_keyring_configured_by_environment_end_to_end(tmp_path: Path, token: str) -> None:
    profile = "/Users/me/.claude-work"
    items = [
        [PLAIN, "tester", blob_json(support.make_token())],
        [hashed(profile), "unknown", blob_json_mcp_only()],
        [hashed(profile), "tester", blob_json(token)],
    ]
    items_file = tmp_path / "items.json"
    items_file.write_text(json.dumps(items))
    env = dict(os.environ)
    env.update(
        {
            "PYTHON_KEYRING_BACKEND": "memory_keyring.PrepopulatedKeyring",
            ITEMS_ENV: str(items_file),
            "PYTHONPATH": os.pathsep.join([str(HERE), *filter(None, [env.get("PYTHONPATH")])]),
            "CLAUDE_CONFIG_DIR": profile,
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", _CHILD],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    support.assert_no_token(result.stdout + result.stderr, token)
    outcome = json.loads(result.stdout)
    assert outcome == {
        "backend": "keychain",
        "keyring": "memory_keyring.PrepopulatedKeyring",
        "service": hashed(profile),
        "matches": True,
        "tier": "default_claude_max_20x",
    }


def test_keyring_environment_without_the_item_fails_cleanly(tmp_path: Path, token: str) -> None:
    items_file = tmp_path / "items.json"
    items_file.write_text(json.dumps([[PLAIN, "tester", blob_json(token)]]))
    env = dict(os.environ)
    env.update(
        {
            "PYTHON_KEYRING_BACKEND": "memory_keyring.PrepopulatedKeyring",
            ITEMS_ENV: str(items_file),
            "PYTHONPATH": os.pathsep.join([str(HERE), *filter(None, [env.get("PYTHONPATH")])]),
            "CLAUDE_CONFIG_DIR": "/Users/me/.claude-work",
            # Should the item be found after all, no request leaves the machine.
            "CLAUDE_USAGE_BASE_URL": "http://127.0.0.1:9",
        }
    )
    result = support.run_cli("--backend", "keychain", "show", env=env)
    assert result.returncode != 0
    assert hashed("/Users/me/.claude-work") in result.stderr
    support.assert_no_token(result.stdout + result.stderr, token)
