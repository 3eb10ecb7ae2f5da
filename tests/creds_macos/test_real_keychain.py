"""The ``keychain`` backend against the real macOS login Keychain.

Each test points CLAUDE_CONFIG_DIR at a random directory, so the service
name (``Claude Code-credentials-<hash>``) is one no real Claude Code item
uses. It creates the item exactly as Claude Code does: ``security -i`` fed
``add-generic-password -U -a ACCOUNT -s SERVICE -X <hex>`` on stdin, with
no ``-A`` and no ``-T``, so the item's access list trusts /usr/bin/security
alone (``-A`` would let any program read it and hide the very prompt this
backend avoids). It then reads it through the backend's default reader,
/usr/bin/security, which must not prompt (the test would hang, then fail on
the 2 s timeout), and deletes it again. Run on a Mac with
``tox -e macos-keychain`` (or ``pytest -m macos_keychain tests/creds_macos``).
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import subprocess
import sys
from collections.abc import Iterator

import pytest

import support
from claude_usage._secret import SecretToken
from claude_usage.api import select_and_load
from claude_usage.errors import CredentialsNotFoundError
from claude_usage_creds_macos.keychain_backend import KeychainBackend, keychain_account, keychain_service
from claude_usage_creds_macos.readers import SecurityReader

pytestmark = [
    pytest.mark.macos_keychain,
    pytest.mark.skipif(sys.platform != "darwin", reason="needs macOS and its login Keychain"),
]


class Security:
    """Runs /usr/bin/security; every item added through it is deleted afterwards."""

    def __init__(self) -> None:
        self.added: list[tuple[str, str]] = []

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["/usr/bin/security", *args], capture_output=True, text=True, timeout=30, check=False)
        if check and result.returncode != 0:
            pytest.fail(f"security {args[0]} failed ({result.returncode}): {result.stderr.strip()}")
        return result

    def add(self, service: str, account: str, secret: str) -> None:
        """As Claude Code writes it: the secret as hex on stdin, never on
        argv; no -A, no -T."""
        command = f'add-generic-password -U -a "{account}" -s "{service}" -X {secret.encode().hex()}\n'
        result = subprocess.run(
            ["/usr/bin/security", "-i"], input=command, capture_output=True, text=True, timeout=30, check=False
        )
        if result.returncode != 0:
            pytest.fail(f"security -i add-generic-password failed ({result.returncode}): {result.stderr.strip()}")
        self.added.append((service, account))

    def cleanup(self) -> None:
        for service, account in self.added:
            self("delete-generic-password", "-s", service, "-a", account, check=False)


@pytest.fixture
def real_keychain(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real HOME (the Keychain search list lives under ~/Library), the
    default reader, and a profile no real item belongs to."""
    monkeypatch.setenv("HOME", pwd.getpwuid(os.getuid()).pw_dir)
    monkeypatch.delenv("CLAUDE_USAGE_KEYCHAIN_READER", raising=False)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f"/tmp/claude-usage-test-{secrets.token_hex(8)}")


@pytest.fixture
def security() -> Iterator[Security]:
    tool = Security()
    yield tool
    tool.cleanup()


@pytest.mark.usefixtures("real_keychain")
def test_reads_the_hashed_item_from_the_login_keychain(security: Security, token: str) -> None:
    service, account = keychain_service(), keychain_account()
    assert service.startswith("Claude Code-credentials-")
    security.add(service, account, json.dumps(support.credentials_blob(token)))
    credentials = KeychainBackend().read_credentials()
    assert credentials.access_token == SecretToken(token)
    assert credentials.subscription_type == "max"


@pytest.mark.usefixtures("real_keychain")
def test_chosen_automatically_on_macos(security: Security, token: str) -> None:
    security.add(keychain_service(), keychain_account(), json.dumps(support.credentials_blob(token)))
    backend, credentials = select_and_load()
    assert backend.name == "keychain"
    assert credentials.access_token == SecretToken(token)


@pytest.mark.usefixtures("real_keychain")
def test_user_item_wins_over_a_legacy_mcp_item(security: Security, token: str) -> None:
    service = keychain_service()
    security.add(service, "unknown", json.dumps(support.credentials_blob(None, mcp=True)))
    security.add(service, keychain_account(), json.dumps(support.credentials_blob(token)))
    assert KeychainBackend().read_credentials().access_token == SecretToken(token)


@pytest.mark.usefixtures("real_keychain")
def test_missing_item_is_not_found(security: Security) -> None:
    service = keychain_service()
    assert security("find-generic-password", "-s", service, check=False).returncode != 0
    with pytest.raises(CredentialsNotFoundError) as caught:
        KeychainBackend().read_credentials()
    assert service in str(caught.value)


@pytest.mark.usefixtures("real_keychain")
def test_deleted_item_is_gone(security: Security, token: str) -> None:
    service, account = keychain_service(), keychain_account()
    security.add(service, account, json.dumps(support.credentials_blob(token)))
    assert KeychainBackend().read_credentials().access_token == SecretToken(token)
    security("delete-generic-password", "-s", service, "-a", account)
    with pytest.raises(CredentialsNotFoundError):
        KeychainBackend().read_credentials()


@pytest.mark.usefixtures("real_keychain")
def test_the_default_reader_is_usr_bin_security() -> None:
    reader = KeychainBackend().reader
    assert isinstance(reader, SecurityReader)
    assert reader.program == "/usr/bin/security"


@pytest.mark.usefixtures("real_keychain")
def test_a_sealed_login_is_opened(security: Security, token: str) -> None:
    """An overflow item as Claude Code seals it, in the real Keychain."""
    import base64

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    service, account = keychain_service(), keychain_account()
    key, iv = os.urandom(32), os.urandom(12)
    sections = {"claudeAiOauth": support.credentials_blob(token)["claudeAiOauth"]}
    sealed = base64.b64encode(iv + AESGCM(key).encrypt(iv, json.dumps(sections).encode(), None)).decode()
    main = {"keychainOverflow": {"slot": "b", "key": base64.b64encode(key).decode(), "login": "x"}}
    security.add(service, account, json.dumps(main))
    security.add(f"{service}-overflow-b", account, sealed)
    assert KeychainBackend().read_credentials().access_token == SecretToken(token)
