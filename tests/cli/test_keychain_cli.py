"""The CLI reading the Keychain through ``/usr/bin/security``, on Linux.

Each command runs in a private mount namespace whose ``/usr/bin`` carries
the stand-in ``security`` (tests/security_stand_in.py) on an overlay, so the
backend takes its default path and default reader exactly as on a Mac; the
host's ``/usr/bin`` is untouched. Requests go to the loopback server.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import support
from security_stand_in import StandIn, overlay_command, unshare_problem

PLAIN = "Claude Code-credentials"

NAMESPACE_PROBLEM = unshare_problem()
pytestmark = pytest.mark.skipif(
    NAMESPACE_PROBLEM is not None,
    reason=f"running the stand-in as /usr/bin/security needs a private mount namespace: {NAMESPACE_PROBLEM}",
)


def hashed(directory: str) -> str:
    return f"{PLAIN}-{hashlib.sha256(directory.encode('utf-8')).hexdigest()[:8]}"


def blob_json(token: str) -> str:
    return json.dumps(support.credentials_blob(token))


@pytest.fixture
def keychain(tmp_path: Path) -> StandIn:
    return StandIn(tmp_path / "keychain")


def run(
    keychain: StandIn, *args: str, env: dict[str, str] | None = None, input: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``claude-usage ARGS`` with the stand-in as /usr/bin/security."""
    return subprocess.run(
        overlay_command(keychain, [*support.cli_command(), *args]),
        input=input,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


def usage_of(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("environ", "service", "account"),
    [
        ({}, PLAIN, "tester"),
        ({"CLAUDE_CONFIG_DIR": "/Users/me/.claude-work"}, hashed("/Users/me/.claude-work"), "tester"),
        ({"CLAUDE_CONFIG_DIR": "/Users/me/.claude-work", "CLAUDE_SECURESTORAGE_CONFIG_DIR": ""}, PLAIN, "tester"),
        ({"USER": "J\u00fcrgen M"}, PLAIN, "claude-code-user"),
    ],
    ids=["plain", "hashed", "securestorage-empty", "fallback-account"],
)
def test_items_are_read(
    api: HTTPServer,
    keychain: StandIn,
    token: str,
    body: dict[str, Any],
    environ: dict[str, str],
    service: str,
    account: str,
) -> None:
    decoy = support.make_token()
    for other in {PLAIN, hashed("/Users/me/.claude-work")} - {service}:
        keychain.add(other, account, blob_json(decoy))
    keychain.add(service, "someone-else", blob_json(decoy))
    keychain.add(service, account, blob_json(token))
    support.serve(api, body)
    result = run(keychain, "--backend", "keychain", "show", "--json", env=environ)
    assert usage_of(result)["five_hour"]["utilization"] == 53.0
    assert keychain.calls() == [["find-generic-password", "-a", account, "-w", "-s", service]]
    assert api.log[0][0].headers["Authorization"] == f"Bearer {token}"
    support.assert_no_token(result.stdout + result.stderr, token)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("missing", f"no Keychain item '{PLAIN}' (account 'tester')"),
        ("locked", "security unlock-keychain"),
        ("no-interaction", "over SSH"),
        ("hang", "a Keychain dialog may be waiting"),
    ],
)
def test_failures_exit_3_within_the_timeout(
    api: HTTPServer, keychain: StandIn, token: str, mode: str, expected: str
) -> None:
    if mode != "missing":
        keychain.add(PLAIN, "tester", blob_json(token))
        keychain.fail(mode)
    started = time.monotonic()
    result = run(keychain, "--backend", "keychain", "show", timeout=30)
    elapsed = time.monotonic() - started
    assert result.returncode == 3, result.stderr
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert elapsed < 6.0  # the 2 s read plus the interpreter's start-up, with room for a busy machine
    assert api.log == []
    support.assert_no_token(result.stdout + result.stderr, token)


def test_six_statusline_renders_against_a_locked_keychain_ask_at_most_twice(
    api: HTTPServer, keychain: StandIn, token: str
) -> None:
    keychain.add(PLAIN, "tester", blob_json(token))
    keychain.fail("locked")
    lines = []
    for _ in range(6):
        result = run(keychain, "statusline", "--backend", "keychain", input="{}")
        assert result.returncode == 0
        lines.append(result.stdout.strip())
    assert len(keychain.reads()) <= 2, keychain.calls()
    assert len(keychain.reads()) >= 1
    assert all(line and "Keychain locked" in line for line in lines), lines
    assert api.log == []


def test_show_max_age_zero_still_asks_once(api: HTTPServer, keychain: StandIn, token: str, body: Any) -> None:
    keychain.add(PLAIN, "tester", blob_json(token))
    keychain.fail("locked")
    assert run(keychain, "--backend", "keychain", "show").returncode == 3
    assert run(keychain, "--backend", "keychain", "show").returncode == 3
    assert len(keychain.reads()) == 1
    keychain.fail("ok")
    support.serve(api, body)
    result = run(keychain, "--backend", "keychain", "show", "--max-age", "0", "--json")
    assert usage_of(result)["five_hour"]["utilization"] == 53.0
    assert len(keychain.reads()) == 2


def test_a_sealed_login_is_read(api: HTTPServer, keychain: StandIn, token: str, body: Any) -> None:
    pytest.importorskip("cryptography", reason="tox -e cli installs the sealed extra; install it here to run this")
    import base64

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key, iv = os.urandom(32), os.urandom(12)
    sections = {"claudeAiOauth": support.credentials_blob(token)["claudeAiOauth"]}
    sealed = base64.b64encode(iv + AESGCM(key).encrypt(iv, json.dumps(sections).encode(), None)).decode()
    pointer = {"slot": "a", "key": base64.b64encode(key).decode(), "login": "abc"}
    keychain.add(PLAIN, "tester", json.dumps({"keychainOverflow": pointer}))
    keychain.add(f"{PLAIN}-overflow-a", "tester", sealed)
    support.serve(api, body)
    result = run(keychain, "--backend", "keychain", "show", "--json")
    assert usage_of(result)["five_hour"]["utilization"] == 53.0
    assert keychain.reads() == [PLAIN, f"{PLAIN}-overflow-a"]


def test_a_sealed_login_with_a_missing_overflow_is_named(keychain: StandIn) -> None:
    pointer = {"slot": "b", "key": base64_key(), "login": "abc"}
    keychain.add(PLAIN, "tester", json.dumps({"keychainOverflow": pointer}))
    result = run(keychain, "--backend", "keychain", "show")
    assert result.returncode == 3
    assert f"'{PLAIN}-overflow-b'" in result.stderr


def base64_key() -> str:
    import base64

    return base64.b64encode(os.urandom(32)).decode()


def test_doctor_shows_reader_service_account_and_advice(keychain: StandIn, token: str) -> None:
    keychain.add(hashed("/Users/me/.work"), "tester", blob_json(token))
    keychain.fail("locked")
    result = run(keychain, "--backend", "keychain", "--config-dir", "/Users/me/.work", "doctor", "--json")
    assert result.returncode == 3, result.stderr
    report = json.loads(result.stdout)
    assert report["credentials_details"] == {
        "reader": "/usr/bin/security (no password prompts, 2s timeout)",
        "service": hashed("/Users/me/.work"),
        "account": "tester",
    }
    assert report["credentials_error"]["type"] == "KeychainLockedError"
    assert any("unlock-keychain" in line for line in report["advice"])
    text = run(keychain, "--backend", "keychain", "--config-dir", "/Users/me/.work", "doctor").stdout
    assert "/usr/bin/security (no password prompts" in text
    assert hashed("/Users/me/.work") in text
    keychain.fail("hang")
    hung = json.loads(run(keychain, "--backend", "keychain", "doctor", "--json").stdout)
    assert hung["credentials_error"]["type"] == "KeychainTimeoutError"
    assert any("dialog may be waiting" in line for line in hung["advice"])


def test_doctor_shows_the_details_on_success(api: HTTPServer, keychain: StandIn, token: str, body: Any) -> None:
    keychain.add(PLAIN, "tester", blob_json(token))
    support.serve(api, body)
    report = json.loads(run(keychain, "--backend", "keychain", "doctor", "--json").stdout)
    assert report["credentials_details"]["service"] == PLAIN
    assert report["credentials_details"]["reader"].startswith("/usr/bin/security")
    assert report["credentials"]["backend"] == "keychain"
