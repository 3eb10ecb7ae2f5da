"""The ``keychain`` backend through ``security find-generic-password``.

The reader runs a stand-in ``security`` program (tests/security_stand_in.py)
that implements find-generic-password's arguments, output and exit codes;
items are added to it as Claude Code adds them (``security -i`` with
``add-generic-password -U -a -s -X <hex>``). Most tests give the reader the
stand-in's path; ``test_default_program_*`` run it as ``/usr/bin/security``
in a private mount namespace, as on a Mac.

Expected service names are computed here with hashlib, independently of
``keychain_service``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import pwd
import re
import secrets
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import pytest

import support
from claude_usage._secret import SecretToken
from claude_usage.api import select_and_load
from claude_usage.credentials import Credentials
from claude_usage.errors import (
    BackendUnavailable,
    ConfigurationError,
    CredentialsError,
    CredentialsNotFoundError,
    CredentialsUnavailableError,
    InvalidCredentialsError,
    NoBackendError,
)
from claude_usage.testing import CredentialBackendContract
from claude_usage_creds_macos import readers
from claude_usage_creds_macos.keychain_backend import (
    KeychainAccessDeniedError,
    KeychainBackend,
    KeychainError,
    KeychainInteractionNotAllowedError,
    KeychainLockedError,
    KeychainTimeoutError,
    SealedLoginError,
    keychain_account,
    keychain_service,
)
from claude_usage_creds_macos.readers import KeyringReader, SecurityReader, choose_reader
from security_stand_in import StandIn, overlay_command, unshare_problem

PLAIN = "Claude Code-credentials"
CUSTOM = "Claude Code-custom-oauth-credentials"

# -- helpers ------------------------------------------------------------------


def hashed(directory: str, base: str = PLAIN) -> str:
    """Claude Code's service name for a directory, computed here from the
    rule in domain.md. ``directory`` must already be NFC."""
    return f"{base}-{hashlib.sha256(directory.encode('utf-8')).hexdigest()[:8]}"


def blob_json(token: str, **kwargs: Any) -> str:
    """Claude Code's JSON: non-ASCII escaped as \\uXXXX, as it writes it."""
    return json.dumps(support.credentials_blob(token, **kwargs), ensure_ascii=True)


def holds(credentials: Credentials, token: str) -> bool:
    return credentials.access_token == SecretToken(token)


def error_text(error: BaseException) -> str:
    return "\n".join([str(error), repr(error), "".join(traceback.format_exception(error))])


@pytest.fixture
def keychain(tmp_path: Path) -> StandIn:
    return StandIn(tmp_path / "keychain")


def backend(keychain: StandIn, config_dir: str | None = None, timeout: float = 2.0) -> KeychainBackend:
    return KeychainBackend(config_dir=config_dir, reader=SecurityReader(str(keychain.program), timeout=timeout))


def read(keychain: StandIn, config_dir: str | None = None, timeout: float = 2.0) -> Credentials:
    return backend(keychain, config_dir, timeout).read_credentials()


# -- the contract ---------------------------------------------------------------


class TestKeychainContract(CredentialBackendContract):
    """The shared backend contract, against the stand-in."""

    keychain: StandIn
    token: str

    @pytest.fixture(autouse=True)
    def _store(self, keychain: StandIn, contract_token: str) -> None:
        self.keychain = keychain
        self.token = contract_token

    def make_backend(self) -> KeychainBackend:
        return backend(self.keychain)

    def store_token(self, token: str) -> None:
        self.keychain.add(PLAIN, "tester", blob_json(token))

    def store_nothing(self) -> None:
        (self.keychain.directory / "items.json").unlink(missing_ok=True)

    def store_garbage(self) -> None:
        text = blob_json(self.token)
        self.keychain.add(PLAIN, "tester", text[: text.index(self.token) + len(self.token) // 2])


# -- how the program is run --------------------------------------------------------


def test_runs_find_generic_password_as_claude_code_does(keychain: StandIn, token: str) -> None:
    keychain.add(PLAIN, "tester", blob_json(token))
    assert holds(read(keychain), token)
    assert keychain.calls() == [["find-generic-password", "-a", "tester", "-w", "-s", PLAIN]]


def test_the_secret_is_never_on_a_command_line(keychain: StandIn, token: str) -> None:
    keychain.add(PLAIN, "tester", blob_json(token))
    read(keychain)
    support.assert_no_token(json.dumps(keychain.calls()), token)


def test_the_default_program_is_the_absolute_path() -> None:
    assert readers.DEFAULT_PROGRAM == "/usr/bin/security"
    assert SecurityReader().program == "/usr/bin/security"
    assert SecurityReader().timeout == 2.0


def test_a_relative_program_name_is_not_looked_up_on_path(
    keychain: StandIn, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a bare name the reader does not search PATH: nothing runs."""
    keychain.add(PLAIN, "tester", blob_json(token))
    monkeypatch.setenv("PATH", str(keychain.directory))
    monkeypatch.chdir(keychain.directory.parent)
    reader = SecurityReader("security")
    assert reader.unavailable() is not None
    with pytest.raises(NoBackendError):
        KeychainBackend(reader=reader).read_credentials()
    assert keychain.calls() == []


def test_json_with_unicode_escapes(keychain: StandIn, token: str) -> None:
    blob = support.credentials_blob(token)
    blob["claudeAiOauth"]["subscriptionType"] = "m\u00e4x \u2603"
    text = json.dumps(blob, ensure_ascii=True)
    assert "\\u00e4" in text
    keychain.add(PLAIN, "tester", text)
    credentials = read(keychain)
    assert holds(credentials, token)
    assert credentials.subscription_type == "m\u00e4x \u2603"


def test_a_large_item_is_read_whole(keychain: StandIn, token: str) -> None:
    blob = support.credentials_blob(token)
    blob["mcpOAuth"] = {f"server|{n}": {"accessToken": secrets.token_hex(64)} for n in range(2000)}
    text = json.dumps(blob)
    assert len(text) > 300_000  # far beyond one pipe buffer
    keychain.add(PLAIN, "tester", text)
    assert holds(read(keychain), token)


def test_an_oversized_item_is_refused(keychain: StandIn, token: str) -> None:
    text = json.dumps({**support.credentials_blob(token), "padding": "x" * (readers.MAX_ITEM_BYTES + 10)})
    keychain.add(PLAIN, "tester", text)
    with pytest.raises(InvalidCredentialsError, match="too large"):
        read(keychain)


def test_garbage_item_is_invalid_and_quotes_nothing(keychain: StandIn, token: str) -> None:
    keychain.add(PLAIN, "tester", "not json " + token)
    with pytest.raises(InvalidCredentialsError) as caught:
        read(keychain)
    assert PLAIN in str(caught.value)
    support.assert_no_token(error_text(caught.value), token)


def test_non_ascii_output_is_not_claude_codes_item(keychain: StandIn, token: str) -> None:
    keychain.add(PLAIN, "tester", json.dumps(support.credentials_blob(token), ensure_ascii=False) + "\u00e9")
    with pytest.raises(InvalidCredentialsError, match="not ASCII"):
        read(keychain)


def test_empty_item_is_invalid(keychain: StandIn) -> None:
    keychain.add(PLAIN, "tester", "")
    with pytest.raises(InvalidCredentialsError, match="empty"):
        read(keychain)


# -- exit codes --------------------------------------------------------------------


def test_exit_44_is_not_found_naming_the_service_and_profile(keychain: StandIn, token: str) -> None:
    keychain.add(PLAIN, "tester", blob_json(token))
    with pytest.raises(CredentialsNotFoundError) as caught:
        read(keychain, "/Users/me/.claude-work")
    message = str(caught.value)
    assert hashed("/Users/me/.claude-work") in message
    assert "/Users/me/.claude-work" in message
    assert "'tester'" in message
    assert "\n" not in message
    assert not isinstance(caught.value, CredentialsUnavailableError)
    support.assert_no_token(error_text(caught.value), token)


def test_exit_36_is_locked_and_says_how_to_unlock(keychain: StandIn, token: str) -> None:
    keychain.add(PLAIN, "tester", blob_json(token))
    keychain.fail("locked")
    with pytest.raises(KeychainLockedError) as caught:
        read(keychain)
    error = caught.value
    assert type(error) is KeychainLockedError
    assert isinstance(error, CredentialsUnavailableError)
    assert "locked" in str(error)
    assert "security unlock-keychain" in str(error)
    assert PLAIN in str(error)
    assert any("unlock-keychain" in line for line in error.advice)
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_interaction_not_allowed_has_its_own_message(keychain: StandIn, token: str) -> None:
    keychain.add(PLAIN, "tester", blob_json(token))
    keychain.fail("no-interaction")
    with pytest.raises(KeychainInteractionNotAllowedError) as caught:
        read(keychain)
    message = str(caught.value)
    assert "SSH" in message
    assert "this session" in message
    assert any("SSH" in line for line in caught.value.advice)


def test_a_cancelled_dialog_is_access_denied(keychain: StandIn, token: str) -> None:
    keychain.add(PLAIN, "tester", blob_json(token))
    keychain.fail("denied")
    with pytest.raises(KeychainAccessDeniedError) as caught:
        read(keychain)
    assert isinstance(caught.value, PermissionError)
    assert isinstance(caught.value, CredentialsUnavailableError)
    assert PLAIN in str(caught.value)


@pytest.mark.parametrize("code", [1, 2, 50, 255])
def test_other_exit_codes_are_a_keychain_error(keychain: StandIn, code: int) -> None:
    program = keychain.directory / "failing"
    program.write_text(f"#!/bin/sh\necho 'security: something {code}' >&2\nexit {code}\n")
    program.chmod(0o755)
    reader = SecurityReader(str(program))
    with pytest.raises(KeychainError) as caught:
        KeychainBackend(reader=reader).read_credentials()
    assert type(caught.value) is KeychainError
    assert f"status {code}" in str(caught.value)


def test_a_hanging_read_is_killed_and_reaped_at_the_timeout(keychain: StandIn, token: str) -> None:
    keychain.add(PLAIN, "tester", blob_json(token))
    keychain.fail("hang")
    started = time.monotonic()
    with pytest.raises(KeychainTimeoutError) as caught:
        read(keychain, timeout=0.8)
    elapsed = time.monotonic() - started
    assert 0.7 <= elapsed < 1.8
    assert isinstance(caught.value, TimeoutError)
    assert "dialog may be waiting" in str(caught.value)
    assert "0.8s" in str(caught.value)
    pid = keychain.hanging_pid()
    assert pid is not None
    # Killed and reaped: no process (not even a zombie) has that id any more.
    assert not Path(f"/proc/{pid}").exists() or "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_the_default_timeout_is_two_seconds(keychain: StandIn) -> None:
    keychain.fail("hang")
    started = time.monotonic()
    with pytest.raises(KeychainTimeoutError):
        KeychainBackend(reader=SecurityReader(str(keychain.program))).read_credentials()
    assert 1.9 <= time.monotonic() - started < 3.0


def test_a_missing_program_is_no_backend(tmp_path: Path) -> None:
    reader = SecurityReader(str(tmp_path / "nowhere" / "security"))
    assert reader.unavailable() is not None
    with pytest.raises(BackendUnavailable, match="nowhere"):
        KeychainBackend(reader=reader).priority()
    with pytest.raises(NoBackendError):
        KeychainBackend(reader=reader).read_credentials()


# -- service names ------------------------------------------------------------------


def test_plain_service_without_environment(keychain: StandIn, token: str) -> None:
    assert keychain_service() == PLAIN
    keychain.add(PLAIN, "tester", blob_json(token))
    assert holds(read(keychain), token)


@pytest.mark.parametrize(
    "directory",
    ["/Users/me/.claude-work", "/Users/me/.claude-work/", "~/.claude", "relative/profile", "/Users/jos\u00e9/.claude"],
)
def test_hashed_service_for_claude_config_dir(
    keychain: StandIn, token: str, monkeypatch: pytest.MonkeyPatch, directory: str
) -> None:
    expected = hashed(directory)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", directory)
    assert keychain_service() == expected
    keychain.add(PLAIN, "tester", blob_json(support.make_token()))
    keychain.add(expected, "tester", blob_json(token))
    assert holds(read(keychain), token)
    assert keychain.reads() == [expected]


def test_known_hash_value() -> None:
    assert (
        keychain_service("/Users/me/.claude-work")
        == "Claude Code-credentials-" + (hashlib.sha256(b"/Users/me/.claude-work").hexdigest()[:8])
    )


def test_trailing_slash_and_tilde_are_literal(home: Path) -> None:
    assert keychain_service("/Users/me/.claude-work") != keychain_service("/Users/me/.claude-work/")
    assert keychain_service("~/.claude") == hashed("~/.claude") != hashed(str(home / ".claude"))


def test_home_dot_claude_is_still_hashed(home: Path, keychain: StandIn, token: str) -> None:
    """CLAUDE_CONFIG_DIR=$HOME/.claude names the default directory, yet
    Claude Code stores the token under the hashed service."""
    directory = str(home / ".claude")
    keychain.add(PLAIN, "tester", blob_json(support.make_token()))
    keychain.add(hashed(directory), "tester", blob_json(token))
    assert holds(read(keychain, directory), token)


def test_decomposed_unicode_is_nfc_normalised(keychain: StandIn, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    decomposed, composed = "/Users/jose\u0301/.claude", "/Users/jos\u00e9/.claude"
    raw_decomposed = f"{PLAIN}-{hashlib.sha256(decomposed.encode()).hexdigest()[:8]}"
    assert raw_decomposed != hashed(composed), "the two spellings hash apart unless normalised"
    keychain.add(hashed(composed), "tester", blob_json(token))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", decomposed)
    assert keychain_service() == hashed(composed)
    assert holds(read(keychain), token)
    monkeypatch.delenv("CLAUDE_CONFIG_DIR")
    monkeypatch.setenv("CLAUDE_SECURESTORAGE_CONFIG_DIR", decomposed)
    assert keychain_service() == hashed(composed)


def test_empty_claude_config_dir_is_unset(keychain: StandIn, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", "")
    assert keychain_service() == PLAIN


def test_empty_securestorage_dir_means_the_default_item_whatever_claude_config_dir_says(
    keychain: StandIn, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", "/Users/me/.claude-work")
    monkeypatch.setenv("CLAUDE_SECURESTORAGE_CONFIG_DIR", "")
    assert keychain_service() == PLAIN
    keychain.add(hashed("/Users/me/.claude-work"), "tester", blob_json(support.make_token()))
    keychain.add(PLAIN, "tester", blob_json(token))
    assert holds(read(keychain), token)


def test_securestorage_dir_takes_precedence(keychain: StandIn, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", "/Users/me/.claude-work")
    monkeypatch.setenv("CLAUDE_SECURESTORAGE_CONFIG_DIR", "/Users/me/.secure")
    assert keychain_service() == hashed("/Users/me/.secure")
    keychain.add(hashed("/Users/me/.claude-work"), "tester", blob_json(support.make_token()))
    keychain.add(hashed("/Users/me/.secure"), "tester", blob_json(token))
    assert holds(read(keychain), token)


def test_explicit_config_dir_wins(keychain: StandIn, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", "/Users/me/.claude-work")
    monkeypatch.setenv("CLAUDE_SECURESTORAGE_CONFIG_DIR", "")
    keychain.add(hashed("/Users/me/.explicit"), "tester", blob_json(token))
    chosen = backend(keychain, "/Users/me/.explicit")
    assert chosen.service() == hashed("/Users/me/.explicit")
    assert holds(chosen.read_credentials(), token)
    assert hashed("/Users/me/.explicit") in chosen.describe()


@pytest.mark.parametrize(
    "url", ["https://claude.fedstart.com", "https://claude-staging.fedstart.com", "https://claude.fedstart.com/"]
)
def test_custom_oauth_service(keychain: StandIn, token: str, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("CLAUDE_CODE_CUSTOM_OAUTH_URL", url)
    assert keychain_service() == CUSTOM
    assert keychain_service("/Users/me/.fed") == hashed("/Users/me/.fed", CUSTOM)
    keychain.add(PLAIN, "tester", blob_json(support.make_token()))
    keychain.add(CUSTOM, "tester", blob_json(token))
    assert holds(read(keychain), token)


@pytest.mark.parametrize(
    "url",
    ["https://evil.example", "https://claude.fedstart.com//", "http://claude.fedstart.com", "claude.fedstart.com"],
)
def test_unapproved_custom_oauth_url_is_refused(
    keychain: StandIn, token: str, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    keychain.add(PLAIN, "tester", blob_json(token))
    monkeypatch.setenv("CLAUDE_CODE_CUSTOM_OAUTH_URL", url)
    with pytest.raises(ConfigurationError, match="not an approved endpoint"):
        keychain_service()
    with pytest.raises(ConfigurationError):
        read(keychain)
    with pytest.raises(BackendUnavailable, match="not an approved endpoint"):
        backend(keychain).priority()
    assert keychain.calls() == []


def test_empty_custom_oauth_url_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_CODE_CUSTOM_OAUTH_URL", "")
    assert keychain_service() == PLAIN


def test_two_profiles_read_their_own_items(keychain: StandIn) -> None:
    first, second = support.make_token(), support.make_token()
    keychain.add(hashed("/p/one"), "tester", blob_json(first))
    keychain.add(hashed("/p/two"), "tester", blob_json(second))
    assert holds(read(keychain, "/p/one"), first)
    assert holds(read(keychain, "/p/two"), second)


# -- accounts -------------------------------------------------------------------------


def test_account_is_user(monkeypatch: pytest.MonkeyPatch) -> None:
    assert keychain_account() == "tester"
    monkeypatch.setenv("USER", "alice.smith-2_x")
    assert keychain_account() == "alice.smith-2_x"
    assert KeychainBackend().account() == "alice.smith-2_x"


@pytest.mark.parametrize("user", ["jos\u00e9", "a b", "me@host", "x/y", "tab\there", "tester\n", "\ntester"])
def test_account_falls_back_for_unusual_names(
    keychain: StandIn, token: str, monkeypatch: pytest.MonkeyPatch, user: str
) -> None:
    monkeypatch.setenv("USER", user)
    assert keychain_account() == "claude-code-user"
    keychain.add(PLAIN, "claude-code-user", blob_json(token))
    keychain.add(PLAIN, user, blob_json(support.make_token()))
    assert holds(read(keychain), token)
    assert keychain.calls()[0][:3] == ["find-generic-password", "-a", "claude-code-user"]


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


def test_item_under_another_account_is_not_taken(keychain: StandIn, token: str) -> None:
    """Claude Code uses no other account, and neither does this backend."""
    keychain.add(PLAIN, "someone-else", blob_json(token))
    with pytest.raises(CredentialsNotFoundError):
        read(keychain)
    assert keychain.reads() == [PLAIN]


def test_duplicate_items_the_users_is_read(keychain: StandIn, token: str) -> None:
    keychain.add(PLAIN, "unknown", json.dumps(support.credentials_blob(None, mcp=True)))
    keychain.add(PLAIN, "tester", blob_json(token))
    assert holds(read(keychain), token)


def test_mcp_only_item_is_not_found(keychain: StandIn) -> None:
    keychain.add(PLAIN, "tester", json.dumps(support.credentials_blob(None, mcp=True)))
    with pytest.raises(CredentialsNotFoundError) as caught:
        read(keychain)
    assert PLAIN in str(caught.value)
    assert "mcp-token" not in error_text(caught.value)


# -- sealed (overflow) logins ---------------------------------------------------------


def seal(sections: dict[str, Any], key: bytes, iv: bytes | None = None) -> str:
    """What Claude Code writes into an overflow item, made here with
    cryptography: base64 of IV | AES-256-GCM ciphertext | tag."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    nonce = iv if iv is not None else os.urandom(12)
    encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
    body = encryptor.update(json.dumps(sections).encode()) + encryptor.finalize()
    return base64.b64encode(nonce + body + encryptor.tag).decode()


def sealed_items(
    keychain: StandIn, token: str, *, slot: str = "a", service: str = PLAIN, organization: str | None = "org-1"
) -> bytes:
    """A main item whose login moved into ``<service>-overflow-<slot>``."""
    pytest.importorskip("cryptography", reason="the sealed extra (cryptography) is installed in creds-macos")
    key = os.urandom(32)
    login = support.credentials_blob(token)["claudeAiOauth"]
    main: dict[str, Any] = {
        "mcpOAuth": {"server|x": {"accessToken": "mcp-token"}},
        "keychainOverflow": {"slot": slot, "key": base64.b64encode(key).decode(), "login": "0123456789abcdef"},
    }
    if organization is not None:
        main["organizationUuid"] = organization
        main["keychainOverflow"]["organizationUuid"] = organization
    keychain.add(service, "tester", json.dumps(main))
    keychain.add(f"{service}-overflow-{slot}", "tester", seal({"claudeAiOauth": login, "extra": [1, 2]}, key))
    return key


@pytest.mark.parametrize("slot", ["a", "b"])
def test_a_sealed_login_is_opened(keychain: StandIn, token: str, slot: str) -> None:
    sealed_items(keychain, token, slot=slot)
    credentials = read(keychain)
    assert holds(credentials, token)
    assert credentials.subscription_type == "max"
    assert keychain.reads() == [PLAIN, f"{PLAIN}-overflow-{slot}"]


def test_a_sealed_login_of_a_hashed_profile(keychain: StandIn, token: str) -> None:
    service = hashed("/Users/me/.work")
    sealed_items(keychain, token, service=service, organization=None)
    assert holds(read(keychain, "/Users/me/.work"), token)
    assert keychain.reads() == [service, f"{service}-overflow-a"]


def test_overflow_is_not_read_when_the_login_stayed(keychain: StandIn, token: str) -> None:
    blob = support.credentials_blob(token)
    blob["keychainOverflow"] = {"slot": "a", "key": base64.b64encode(os.urandom(32)).decode()}
    keychain.add(PLAIN, "tester", json.dumps(blob))
    assert holds(read(keychain), token)
    assert keychain.reads() == [PLAIN]


def test_a_missing_overflow_item_is_named(keychain: StandIn, token: str) -> None:
    sealed_items(keychain, token, slot="b")
    items_file = keychain.directory / "items.json"
    items = json.loads(items_file.read_text())
    del items[f"{PLAIN}-overflow-b\0tester"]
    items_file.write_text(json.dumps(items))
    with pytest.raises(CredentialsNotFoundError) as caught:
        read(keychain)
    assert f"'{PLAIN}-overflow-b'" in str(caught.value)


def test_an_overflow_sealed_with_another_key_is_invalid(keychain: StandIn, token: str) -> None:
    sealed_items(keychain, token)
    keychain.add(f"{PLAIN}-overflow-a", "tester", seal({"claudeAiOauth": {"accessToken": token}}, os.urandom(32)))
    with pytest.raises(InvalidCredentialsError) as caught:
        read(keychain)
    assert f"'{PLAIN}-overflow-a'" in str(caught.value)
    support.assert_no_token(error_text(caught.value), token)


def test_a_tampered_overflow_is_invalid(keychain: StandIn, token: str) -> None:
    key = sealed_items(keychain, token)
    sealed = bytearray(base64.b64decode(seal({"claudeAiOauth": {"accessToken": token}}, key)))
    sealed[20] ^= 1
    keychain.add(f"{PLAIN}-overflow-a", "tester", base64.b64encode(bytes(sealed)).decode())
    with pytest.raises(InvalidCredentialsError, match="does not open"):
        read(keychain)


def test_an_overflow_of_another_organisation_is_not_the_login(keychain: StandIn, token: str) -> None:
    sealed_items(keychain, token)
    items_file = keychain.directory / "items.json"
    items = json.loads(items_file.read_text())
    main = json.loads(items[f"{PLAIN}\0tester"])
    main["organizationUuid"] = "org-2"
    items[f"{PLAIN}\0tester"] = json.dumps(main)
    items_file.write_text(json.dumps(items))
    with pytest.raises(CredentialsNotFoundError, match="no Claude credentials"):
        read(keychain)


def test_without_the_extra_the_error_names_the_item_and_the_extra(
    keychain: StandIn, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sealed_items(keychain, token)
    # As if cryptography were not installed: its import fails.
    for name in [name for name in sys.modules if name == "cryptography" or name.startswith("cryptography.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "cryptography", None)
    with pytest.raises(SealedLoginError) as caught:
        read(keychain)
    message = str(caught.value)
    assert f"'{PLAIN}-overflow-a'" in message
    assert "claude-usage-creds-macos[sealed]" in message
    assert isinstance(caught.value, CredentialsError)


def test_one_deadline_covers_the_item_and_its_overflow(keychain: StandIn, token: str) -> None:
    """The overflow read gets what is left of the timeout, as in Claude Code."""
    sealed_items(keychain, token)
    wrapper = keychain.directory / "slow-overflow"
    wrapper.write_text('#!/bin/sh\ncase "$*" in *overflow*) exec sleep 30;; esac\n' + f'exec {keychain.program} "$@"\n')
    wrapper.chmod(0o755)
    started = time.monotonic()
    with pytest.raises(KeychainTimeoutError):
        KeychainBackend(reader=SecurityReader(str(wrapper), timeout=1.0)).read_credentials()
    assert time.monotonic() - started < 1.8


# -- which reader ------------------------------------------------------------------------


def test_reader_chosen_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_USAGE_KEYCHAIN_READER", "security")
    assert isinstance(choose_reader(), SecurityReader)
    monkeypatch.setenv("CLAUDE_USAGE_KEYCHAIN_READER", " Keyring ")
    assert isinstance(choose_reader(), KeyringReader)
    monkeypatch.setenv("CLAUDE_USAGE_KEYCHAIN_READER", "")
    default = choose_reader()
    expected = SecurityReader if os.access("/usr/bin/security", os.X_OK) else KeyringReader
    assert type(default) is expected


def test_unknown_reader_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_USAGE_KEYCHAIN_READER", "osascript")
    with pytest.raises(ConfigurationError, match="security` or `keyring"):
        choose_reader()
    with pytest.raises(BackendUnavailable):
        KeychainBackend().priority()


@pytest.mark.skipif(os.path.exists("/usr/bin/security"), reason="this machine has a /usr/bin/security")
def test_forced_security_reader_without_the_program_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_USAGE_KEYCHAIN_READER", "security")
    with pytest.raises(BackendUnavailable, match="/usr/bin/security"):
        KeychainBackend().priority()
    with pytest.raises(NoBackendError) as caught:
        select_and_load("keychain")
    assert "/usr/bin/security" in str(caught.value)


def test_details_name_reader_service_and_account(keychain: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    details = backend(keychain, "/Users/me/.work").details()
    assert details == {
        "reader": f"{keychain.program} (no password prompts, 2s timeout)",
        "service": hashed("/Users/me/.work"),
        "account": "tester",
    }
    monkeypatch.setenv("CLAUDE_USAGE_KEYCHAIN_READER", "keyring")
    assert KeychainBackend().details()["reader"].startswith("keyring (may ask")


# -- priority and selection ------------------------------------------------------------


def test_priority_on_this_platform(keychain: StandIn) -> None:
    assert backend(keychain).priority() == (20.0 if sys.platform == "darwin" else 0.0)


@pytest.mark.skipif(sys.platform == "darwin", reason="on macOS the Keychain is always available")
def test_macos_only_elsewhere_unless_keyring_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_USAGE_KEYCHAIN_READER", "keyring")
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    with pytest.raises(BackendUnavailable, match=r"^macOS only \(Claude Code keeps its login in the Keychain"):
        KeychainBackend().priority()
    with pytest.raises(NoBackendError, match="macOS only"):
        select_and_load("keychain")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    assert KeychainBackend().priority() == 0.0  # keyring installed and configured: by name only


@pytest.mark.skipif(sys.platform == "darwin", reason="on macOS the Keychain is chosen automatically")
def test_never_chosen_automatically_off_macos(home: Path, token: str) -> None:
    support.write_credentials(home / ".claude", blob_json(token))
    chosen, credentials = select_and_load()
    assert chosen.name == "file"
    assert holds(credentials, token)


# -- /usr/bin/security itself, in a private mount namespace ----------------------------

_CHILD = """
import json, sys
from claude_usage._secret import SecretToken
from claude_usage.api import select_and_load

backend, credentials = select_and_load("keychain")
print(json.dumps({
    "reader": type(backend.reader).__name__,
    "program": backend.reader.program,
    "service": backend.service(),
    "matches": credentials.access_token == SecretToken(sys.argv[1]),
}))
"""


def namespace_or_skip() -> None:
    problem = unshare_problem()
    if problem is not None:
        pytest.skip(f"the default /usr/bin/security path needs a private mount namespace: {problem}")


def test_default_program_is_usr_bin_security(keychain: StandIn, token: str) -> None:
    namespace_or_skip()
    keychain.add(hashed("/Users/me/.work"), "tester", blob_json(token))
    env = {**os.environ, "CLAUDE_CONFIG_DIR": "/Users/me/.work"}
    result = subprocess.run(
        overlay_command(keychain, [sys.executable, "-c", _CHILD, token]),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == {
        "reader": "SecurityReader",
        "program": "/usr/bin/security",
        "service": hashed("/Users/me/.work"),
        "matches": True,
    }
    assert keychain.reads() == [hashed("/Users/me/.work")]
    assert not os.path.exists("/usr/bin/security") or sys.platform == "darwin", "the host was left untouched"
