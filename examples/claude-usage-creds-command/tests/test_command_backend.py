"""The example backend passes the contract every backend must pass."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from claude_usage_creds_command import ENV_VAR, CommandBackend

from claude_usage.backend import CredentialBackend
from claude_usage.testing import CredentialBackendContract


class TestCommandBackend(CredentialBackendContract):
    @pytest.fixture(autouse=True)
    def _store(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        # The "vault" is a file the command prints; its absence makes the
        # command print nothing.
        self.vault = tmp_path / "vault"
        script = (
            "import pathlib,sys; p=pathlib.Path(sys.argv[1]); "
            "sys.stdout.buffer.write(p.read_bytes() if p.exists() else b'')"
        )
        monkeypatch.setenv(ENV_VAR, f'{sys.executable} -c "{script}" {self.vault}')

    def make_backend(self) -> CredentialBackend:
        return CommandBackend()

    def store_token(self, token: str) -> None:
        self.vault.write_text(json.dumps({"claudeAiOauth": {"accessToken": token}}))

    def store_nothing(self) -> None:
        self.vault.unlink(missing_ok=True)

    def store_garbage(self) -> None:
        self.vault.write_bytes(b'{"claudeAiOauth": {"accessToken": ')


def test_bare_token_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, f"{sys.executable} -c \"print('sk-ant-oat01-bare')\"")
    assert CommandBackend().read_credentials().access_token is not None


def test_failing_command_is_invalid_without_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, f"{sys.executable} -c \"import sys; print('sk-ant-oat01-secret'); sys.exit(3)\"")
    from claude_usage import InvalidCredentialsError

    with pytest.raises(InvalidCredentialsError, match="exited with status 3") as caught:
        CommandBackend().read_credentials()
    assert "secret" not in str(caught.value)


def test_unavailable_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    from claude_usage import BackendUnavailable

    with pytest.raises(BackendUnavailable, match=ENV_VAR):
        CommandBackend().priority()
