"""The ``keychain`` backend against the real macOS login Keychain.

Each test points CLAUDE_CONFIG_DIR at a random directory, so the service
name (``Claude Code-credentials-<hash>``) is one no real Claude Code item
uses; it adds a generic password with ``security``, reads it through
keyring's macOS backend, and deletes it again. Run on a Mac with
``tox -e macos-keychain`` (or ``pytest -m macos_keychain tests/creds_macos``).
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator

import keyring
import keyring.core
import pytest

import support
from claude_usage._secret import SecretToken
from claude_usage.api import select_and_load
from claude_usage.errors import CredentialsNotFoundError
from claude_usage_creds_macos.keychain_backend import KeychainBackend, keychain_account, keychain_service

pytestmark = [
    pytest.mark.macos_keychain,
    pytest.mark.skipif(sys.platform != "darwin", reason="needs macOS and its login Keychain"),
]

Security = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def real_keychain(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """keyring's macOS backend, with the real HOME (the Keychain search list
    lives under ~/Library) and a profile no real item belongs to."""
    from keyring.backends import macOS

    monkeypatch.setenv("HOME", pwd.getpwuid(os.getuid()).pw_dir)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f"/tmp/claude-usage-test-{secrets.token_hex(8)}")
    previous = getattr(keyring.core, "_keyring_backend", None)
    keyring.set_keyring(macOS.Keyring())  # type: ignore[no-untyped-call]
    yield
    if previous is not None:
        keyring.set_keyring(previous)
    else:
        keyring.core._keyring_backend = None


@pytest.fixture
def security() -> Iterator[Security]:
    """Run ``security``; every item added through it is deleted afterwards."""
    added: list[tuple[str, str]] = []

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["security", *args], capture_output=True, text=True, timeout=30, check=False)
        if check and result.returncode != 0:
            pytest.fail(f"security {args[0]} failed ({result.returncode}): {result.stderr.strip()}")
        if args[0] == "add-generic-password":
            added.append((args[args.index("-s") + 1], args[args.index("-a") + 1]))
        return result

    yield run
    for service, account in added:
        subprocess.run(
            ["security", "delete-generic-password", "-s", service, "-a", account],
            capture_output=True,
            timeout=30,
            check=False,
        )


def add_item(security: Security, service: str, account: str, secret: str) -> None:
    # -A: any application may read it without a prompt (the test runs unattended).
    security("add-generic-password", "-U", "-A", "-s", service, "-a", account, "-w", secret)


@pytest.mark.usefixtures("real_keychain")
def test_reads_the_hashed_item_from_the_login_keychain(security: Security, token: str) -> None:
    service, account = keychain_service(), keychain_account()
    assert service.startswith("Claude Code-credentials-")
    add_item(security, service, account, json.dumps(support.credentials_blob(token)))
    credentials = KeychainBackend().read_credentials()
    assert credentials.access_token == SecretToken(token)
    assert credentials.subscription_type == "max"


@pytest.mark.usefixtures("real_keychain")
def test_chosen_automatically_on_macos(security: Security, token: str) -> None:
    add_item(security, keychain_service(), keychain_account(), json.dumps(support.credentials_blob(token)))
    backend, credentials = select_and_load()
    assert backend.name == "keychain"
    assert credentials.access_token == SecretToken(token)


@pytest.mark.usefixtures("real_keychain")
def test_user_item_wins_over_a_legacy_mcp_item(security: Security, token: str) -> None:
    service = keychain_service()
    add_item(security, service, "unknown", json.dumps(support.credentials_blob(None, mcp=True)))
    add_item(security, service, keychain_account(), json.dumps(support.credentials_blob(token)))
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
    add_item(security, service, account, json.dumps(support.credentials_blob(token)))
    assert KeychainBackend().read_credentials().access_token == SecretToken(token)
    security("delete-generic-password", "-s", service, "-a", account)
    with pytest.raises(CredentialsNotFoundError):
        KeychainBackend().read_credentials()
