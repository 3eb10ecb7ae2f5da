"""An example credential backend: the token comes from a command's output."""

from __future__ import annotations

import os
import shlex
import subprocess

from claude_usage import (
    BackendUnavailable,
    Credentials,
    CredentialsNotFoundError,
    InvalidCredentialsError,
    parse_claude_code_credentials,
)
from claude_usage.backend import CredentialBackend

__all__ = ["ENV_VAR", "CommandBackend"]

ENV_VAR = "CLAUDE_USAGE_TOKEN_COMMAND"
TIMEOUT = 30.0


class CommandBackend(CredentialBackend):
    """The output of the command in CLAUDE_USAGE_TOKEN_COMMAND (a password manager)."""

    name = "command"

    def _argv(self) -> list[str]:
        return shlex.split(os.environ.get(ENV_VAR, ""))

    def priority(self) -> float:
        if not os.environ.get(ENV_VAR, "").strip():
            raise BackendUnavailable(f"{ENV_VAR} is not set")
        # Above the file (10) and Keychain (20) backends: whoever sets the
        # variable wants the vault; below `env` (100), as in Claude Code.
        return 50.0

    def read_credentials(self) -> Credentials:
        argv = self._argv()
        if not argv:
            raise CredentialsNotFoundError(f"{ENV_VAR} is not set")
        failure: str | None = None
        try:
            done = subprocess.run(argv, capture_output=True, timeout=TIMEOUT, check=False, stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            failure = f"the token command {argv[0]!r} was not found"
        except subprocess.TimeoutExpired:
            failure = f"the token command {argv[0]!r} did not finish within {TIMEOUT:g} s"
        except OSError as exc:
            failure = f"the token command {argv[0]!r} could not run ({exc.strerror})"
        if failure is not None:
            raise InvalidCredentialsError(failure)
        # Never quote the command's output or its stderr: either may hold the secret.
        if done.returncode != 0:
            raise InvalidCredentialsError(f"the token command {argv[0]!r} exited with status {done.returncode}")
        output = done.stdout.strip()
        if not output:
            raise CredentialsNotFoundError(f"the token command {argv[0]!r} printed nothing")
        source = f"the output of {argv[0]!r}"
        if output.startswith(b"{"):
            return parse_claude_code_credentials(output, source=source)
        try:
            return Credentials(access_token=output.decode("ascii"))
        except UnicodeDecodeError:
            raise InvalidCredentialsError(f"{source} is not a token") from None
