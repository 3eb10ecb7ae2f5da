"""Read Claude Code's ``.credentials.json``.

The file is only ever read: Claude Code owns it and rewrites it when it
refreshes the token, so a read that lands mid-rewrite (empty or truncated
content, or a file that changed while we read it) is tried once more.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import time
from pathlib import Path

from claude_usage.backend import CredentialBackend
from claude_usage.credentials import Credentials, parse_claude_code_credentials
from claude_usage.errors import CredentialsNotFoundError, InvalidCredentialsError
from claude_usage.profiles import credentials_path

__all__ = ["FileBackend"]

log = logging.getLogger("claude_usage.file")

#: A credentials file is a few hundred bytes; anything this large is not one.
MAX_FILE_BYTES = 1024 * 1024
#: How long to wait before the one re-read of a file caught mid-rewrite.
REREAD_DELAY = 0.05


class FileBackend(CredentialBackend):
    """Claude Code's credentials file (.credentials.json in the profile directory)."""

    name = "file"

    def path(self) -> Path:
        """The file this backend reads, following ``config_dir`` and the environment."""
        return credentials_path(self.config_dir)

    def priority(self) -> float:
        # On macOS the Keychain is where Claude Code keeps the token; the file
        # is the fallback there.
        return 5.0 if sys.platform == "darwin" else 10.0

    def describe(self) -> str:
        return f"Claude Code's credentials file ({self.path()})"

    def read_credentials(self) -> Credentials:
        path = self.path()
        data = _read_file(path)
        try:
            return parse_claude_code_credentials(data, source=str(path))
        except InvalidCredentialsError:
            pass
        # Claude Code may have been rewriting the file: read it once more.
        time.sleep(REREAD_DELAY)
        return parse_claude_code_credentials(_read_file(path), source=str(path))


def _read_file(path: Path) -> bytes:
    """The file's bytes. Opened non-blocking so that a FIFO in its place
    cannot hang the statusline; only a regular file is read."""
    error: Exception | None = None
    data = b""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb", closefd=True) as handle:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
                error = InvalidCredentialsError(f"{path} is {kind}, not a credentials file")
            elif info.st_size > MAX_FILE_BYTES:
                error = InvalidCredentialsError(f"{path} is {info.st_size} bytes, too large to be a credentials file")
            else:
                _warn_if_exposed(path, info)
                # Sized by fstat: a 1 MiB read buffer per call would cost more
                # than the rest of the read. A file that grew meanwhile shows up
                # as truncated JSON, and is read once more.
                data = handle.read(info.st_size + 1)
    except (FileNotFoundError, NotADirectoryError):
        error = CredentialsNotFoundError(_missing_message(path, sys.platform))
    except IsADirectoryError:
        error = InvalidCredentialsError(f"{path} is a directory, not a credentials file")
    except PermissionError:
        error = InvalidCredentialsError(f"cannot read {path}: permission denied")
    except OSError as exc:
        error = InvalidCredentialsError(f"cannot read {path}: {exc.strerror or type(exc).__name__}")
    if error is not None:
        raise error
    if len(data) > MAX_FILE_BYTES:
        raise InvalidCredentialsError(f"{path} grew past {MAX_FILE_BYTES} bytes while being read")
    return data


def _missing_message(path: Path, platform: str) -> str:
    """What to say when the file is not there; on Windows, Claude Code may
    have moved the login into Credential Manager and deleted the file."""
    message = (
        f"no credentials file at {path}; run `claude` and log in "
        "(or pick another profile with CLAUDE_CONFIG_DIR / --config-dir)"
    )
    if platform == "win32":
        message += (
            "; on Windows, Claude Code may have moved the login into Windows Credential Manager and "
            "deleted this file, which claude-usage cannot read"
        )
    return message


def _warn_if_exposed(path: Path, info: os.stat_result) -> None:
    if os.name == "posix" and info.st_mode & 0o077:
        log.warning(
            "%s can be read by other users (mode %03o); run `chmod 600 %s`",
            path,
            stat.S_IMODE(info.st_mode),
            path,
        )
