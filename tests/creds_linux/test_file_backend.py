"""The ``file`` backend against real files, real permissions and real races.

Every test works in its own HOME (tests/conftest.py); nothing of the code
under test is patched: only the environment, the working directory and the
files on disk are arranged.
"""

from __future__ import annotations

import json
import logging
import os
import pwd
import shutil
import stat
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import support
from claude_usage._secret import SecretToken
from claude_usage.api import select_and_load
from claude_usage.credentials import Credentials
from claude_usage.errors import ClaudeUsageError, CredentialsNotFoundError, InvalidCredentialsError
from claude_usage.testing import CredentialBackendContract
from claude_usage_creds_linux.file_backend import MAX_FILE_BYTES, REREAD_DELAY, FileBackend

MIB = 1024 * 1024


# -- helpers ------------------------------------------------------------------


def blob_json(token: str, **kwargs: Any) -> str:
    return json.dumps(support.credentials_blob(token, **kwargs))


def read(backend: FileBackend | None = None) -> Credentials:
    return (backend or FileBackend()).read_credentials()


def holds(credentials: Credentials, token: str) -> bool:
    return credentials.access_token == SecretToken(token)


def error_text(error: BaseException) -> str:
    return "\n".join([str(error), repr(error), "".join(traceback.format_exception(error))])


def snapshot(path: Path) -> tuple[bytes, int, int, int]:
    info = path.stat()
    return path.read_bytes(), stat.S_IMODE(info.st_mode), info.st_mtime_ns, info.st_size


def default_dir(home: Path) -> Path:
    return home / ".claude"


# -- the contract ---------------------------------------------------------------


class TestFileBackendContract(CredentialBackendContract):
    """The shared backend contract, run against ~/.claude/.credentials.json."""

    directory: Path
    token: str

    @pytest.fixture(autouse=True)
    def _store(self, home: Path, contract_token: str) -> None:
        self.directory = default_dir(home)
        self.token = contract_token

    def make_backend(self) -> FileBackend:
        return FileBackend()

    def store_token(self, token: str) -> None:
        support.write_credentials(self.directory, blob_json(token))

    def store_nothing(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def store_garbage(self) -> None:
        # Truncated mid-token: the garbage holds most of the secret.
        text = blob_json(self.token)
        cut = text.index(self.token) + len(self.token) // 2
        support.write_credentials(self.directory, text[:cut])


# -- which file -----------------------------------------------------------------


def test_default_path_is_dot_claude_in_home(home: Path, token: str) -> None:
    expected = home / ".claude" / ".credentials.json"
    assert FileBackend().path() == expected
    support.write_credentials(home / ".claude", blob_json(token))
    assert holds(read(), token)
    assert str(expected) in FileBackend().describe()


def test_priority_on_this_platform() -> None:
    assert FileBackend().priority() == (5.0 if sys.platform == "darwin" else 10.0)


def test_claude_config_dir_selects_the_profile(
    home: Path, tmp_path: Path, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = support.make_token()
    support.write_credentials(default_dir(home), blob_json(other))
    profile = tmp_path / "work-profile"
    support.write_credentials(profile, blob_json(token))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(profile))
    assert FileBackend().path() == profile / ".credentials.json"
    assert holds(read(), token)


def test_claude_config_dir_is_literal_no_tilde_expansion(
    home: Path, tmp_path: Path, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "~/x" is a relative path whose first component is a directory named "~"."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    expanded = support.make_token()
    support.write_credentials(home / "x", blob_json(expanded))  # what expanduser would pick
    support.write_credentials(cwd / "~" / "x", blob_json(token))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", "~/x")
    assert FileBackend().path() == Path("~") / "x" / ".credentials.json"
    credentials = read()
    assert holds(credentials, token)
    assert not holds(credentials, expanded)


def test_tilde_config_dir_without_a_literal_directory_is_not_found(
    home: Path, tmp_path: Path, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    support.write_credentials(home / "x", blob_json(token))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", "~/x")
    with pytest.raises(CredentialsNotFoundError) as caught:
        read()
    assert str(Path("~/x/.credentials.json")) in str(caught.value)


@pytest.mark.parametrize("variable", ["CLAUDE_CONFIG_DIR", "CLAUDE_SECURESTORAGE_CONFIG_DIR"])
def test_empty_variable_counts_as_unset(home: Path, token: str, monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    support.write_credentials(default_dir(home), blob_json(token))
    monkeypatch.setenv(variable, "")
    assert FileBackend().path() == default_dir(home) / ".credentials.json"
    assert holds(read(), token)


def test_empty_securestorage_means_the_default_file_whatever_claude_config_dir_says(
    home: Path, tmp_path: Path, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claude Code 2.1.332: CLAUDE_SECURESTORAGE_CONFIG_DIR wins whenever it
    is defined; empty, it means the default location."""
    profile = tmp_path / "profile"
    support.write_credentials(profile, blob_json(support.make_token()))
    support.write_credentials(default_dir(home), blob_json(token))
    monkeypatch.setenv("CLAUDE_SECURESTORAGE_CONFIG_DIR", "")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(profile))
    assert FileBackend().path() == default_dir(home) / ".credentials.json"
    assert holds(read(), token)


@pytest.mark.parametrize("variable", ["CLAUDE_CONFIG_DIR", "CLAUDE_SECURESTORAGE_CONFIG_DIR"])
def test_decomposed_directory_finds_the_nfc_directory(
    tmp_path: Path, token: str, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """Claude Code NFC-normalises the directory string, for the file path too."""
    composed, decomposed = tmp_path / "jos\u00e9", str(tmp_path / "jose\u0301")
    support.write_credentials(composed, blob_json(token))
    assert not Path(decomposed).exists()
    monkeypatch.setenv(variable, decomposed)
    assert FileBackend().path() == composed / ".credentials.json"
    assert holds(read(), token)
    assert holds(read(FileBackend(config_dir=decomposed)), token)


def test_missing_file_on_windows_says_credential_manager_may_hold_it(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(CredentialsNotFoundError) as caught:
        read()
    assert "Credential Manager" not in str(caught.value)
    monkeypatch.setattr(sys, "platform", "win32")
    with pytest.raises(CredentialsNotFoundError) as caught:
        read()
    message = str(caught.value)
    assert ".credentials.json" in message
    assert "Windows Credential Manager" in message
    assert "\n" not in message


def test_securestorage_dir_wins_over_config_dir(tmp_path: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    config, secure = tmp_path / "config", tmp_path / "secure"
    support.write_credentials(config, blob_json(support.make_token()))
    support.write_credentials(secure, blob_json(token))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    monkeypatch.setenv("CLAUDE_SECURESTORAGE_CONFIG_DIR", str(secure))
    assert FileBackend().path() == secure / ".credentials.json"
    assert holds(read(), token)


def test_explicit_config_dir_wins_over_both_variables(
    home: Path, tmp_path: Path, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, secure, explicit = tmp_path / "config", tmp_path / "secure", tmp_path / "explicit"
    support.write_credentials(default_dir(home), blob_json(support.make_token()))
    support.write_credentials(config, blob_json(support.make_token()))
    support.write_credentials(secure, blob_json(support.make_token()))
    support.write_credentials(explicit, blob_json(token))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    monkeypatch.setenv("CLAUDE_SECURESTORAGE_CONFIG_DIR", str(secure))
    backend = FileBackend(config_dir=str(explicit))
    assert backend.path() == explicit / ".credentials.json"
    assert holds(read(backend), token)
    assert str(explicit) in backend.describe()


def test_two_profiles_each_read_their_own_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "personal", tmp_path / "work"
    first_token, second_token = support.make_token(), support.make_token()
    support.write_credentials(first, blob_json(first_token))
    support.write_credentials(second, blob_json(second_token))

    one, two = read(FileBackend(config_dir=str(first))), read(FileBackend(config_dir=str(second)))
    assert holds(one, first_token)
    assert not holds(one, second_token)
    assert holds(two, second_token)
    assert not holds(two, first_token)

    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(second))
    assert holds(read(), second_token)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(first))
    assert holds(read(), first_token)
    # The profile is chosen on every read, not once per backend object.
    backend = FileBackend()
    assert holds(read(backend), first_token)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(second))
    assert holds(read(backend), second_token)


def test_config_dir_that_is_a_file_is_not_found(tmp_path: Path, token: str) -> None:
    not_a_dir = tmp_path / "plain-file"
    not_a_dir.write_text(blob_json(token))
    with pytest.raises(CredentialsNotFoundError) as caught:
        read(FileBackend(config_dir=str(not_a_dir)))
    assert str(not_a_dir / ".credentials.json") in str(caught.value)
    support.assert_no_token(error_text(caught.value), token)


# -- blob shapes ----------------------------------------------------------------


def test_full_blob(home: Path, token: str) -> None:
    support.write_credentials(default_dir(home), blob_json(token, expires_at_ms=support.FAR_FUTURE_MS))
    credentials = read()
    assert holds(credentials, token)
    assert credentials.expires_at is not None
    assert int(credentials.expires_at.timestamp() * 1000) == support.FAR_FUTURE_MS
    assert credentials.scopes == ("user:inference", "user:profile", "user:sessions:claude_code")
    assert credentials.subscription_type == "max"
    assert credentials.rate_limit_tier == "default_claude_max_20x"
    assert not credentials.is_expired()


def test_blob_without_scopes(home: Path, token: str) -> None:
    blob = support.credentials_blob(token)
    del blob["claudeAiOauth"]["scopes"]
    support.write_credentials(default_dir(home), blob)
    credentials = read()
    assert holds(credentials, token)
    assert credentials.scopes is None
    assert credentials.subscription_type == "max"


def test_blob_with_only_an_access_token(home: Path, token: str) -> None:
    support.write_credentials(default_dir(home), {"claudeAiOauth": {"accessToken": token}})
    credentials = read()
    assert holds(credentials, token)
    assert credentials.expires_at is None
    assert credentials.scopes is None
    assert credentials.subscription_type is None
    assert credentials.rate_limit_tier is None


def test_expired_blob_is_still_read_with_its_expiry(home: Path, token: str) -> None:
    support.write_credentials(default_dir(home), blob_json(token, expires_at_ms=support.PAST_MS))
    credentials = read()
    assert holds(credentials, token)
    assert credentials.is_expired()


def test_mcp_only_blob_is_not_found(home: Path) -> None:
    path = support.write_credentials(default_dir(home), support.credentials_blob(None, mcp=True))
    with pytest.raises(CredentialsNotFoundError) as caught:
        read()
    assert str(path) in str(caught.value)
    assert "mcp-token" not in error_text(caught.value)


# -- missing and broken files ---------------------------------------------------


def test_missing_file_is_not_found_and_names_the_path(home: Path) -> None:
    default_dir(home).mkdir()
    with pytest.raises(CredentialsNotFoundError) as caught:
        read()
    assert str(default_dir(home) / ".credentials.json") in str(caught.value)


def test_missing_directory_is_not_found_and_names_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "no" / "such" / "profile"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(missing))
    with pytest.raises(CredentialsNotFoundError) as caught:
        read()
    assert str(missing / ".credentials.json") in str(caught.value)
    assert not missing.exists(), "reading must not create the profile directory"


def _empty(path: Path, token: str) -> None:
    path.write_bytes(b"")


def _whitespace(path: Path, token: str) -> None:
    path.write_bytes(b"  \n\t\n")


def _truncated(path: Path, token: str) -> None:
    text = blob_json(token)
    path.write_text(text[: text.index(token) + 20])


def _binary(path: Path, token: str) -> None:
    path.write_bytes(b"\x00\xff\xfe\x80" + token.encode() + b"\xc3\x28\x00")


def _not_an_object(path: Path, token: str) -> None:
    path.write_text(json.dumps([token]))


def _oauth_not_an_object(path: Path, token: str) -> None:
    path.write_text(json.dumps({"claudeAiOauth": token}))


def _token_not_a_string(path: Path, token: str) -> None:
    path.write_text(json.dumps({"claudeAiOauth": {"accessToken": [token]}}))


def _token_with_a_space(path: Path, token: str) -> None:
    path.write_text(json.dumps({"claudeAiOauth": {"accessToken": token[:40] + " " + token[40:]}}))


def _directory(path: Path, token: str) -> None:
    path.mkdir()
    (path / "inside").write_text(blob_json(token))


def _symlink_loop(path: Path, token: str) -> None:
    os.symlink(path.name, path)


def _symlink_cycle(path: Path, token: str) -> None:
    other = path.with_name("other.json")
    os.symlink(other.name, path)
    os.symlink(path.name, other)


def _character_device(path: Path, token: str) -> None:
    os.symlink("/dev/zero", path)


def _too_large(path: Path, token: str) -> None:
    # Valid JSON holding the token, padded one byte past the limit.
    text = blob_json(token)
    path.write_text(text + " " * (MIB + 1 - len(text)))


INVALID_STORES: dict[str, Callable[[Path, str], None]] = {
    "empty": _empty,
    "whitespace": _whitespace,
    "truncated-json": _truncated,
    "binary-garbage": _binary,
    "json-array": _not_an_object,
    "oauth-not-object": _oauth_not_an_object,
    "token-not-string": _token_not_a_string,
    "token-with-space": _token_with_a_space,
    "directory": _directory,
    "symlink-loop": _symlink_loop,
    "symlink-cycle": _symlink_cycle,
    "symlink-to-dev-zero": _character_device,
    "over-1-mib": _too_large,
}


@pytest.mark.parametrize("arrange", list(INVALID_STORES.values()), ids=list(INVALID_STORES))
def test_unreadable_store_is_invalid_and_quotes_nothing(
    home: Path, token: str, arrange: Callable[[Path, str], None]
) -> None:
    directory = default_dir(home)
    directory.mkdir()
    path = directory / ".credentials.json"
    arrange(path, token)
    with pytest.raises(InvalidCredentialsError) as caught:
        read()
    error = caught.value
    text = error_text(error)
    assert str(path) in str(error), "the message names the file"
    assert "\n" not in str(error)
    support.assert_no_token(text, token)
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_file_of_exactly_one_mib_is_read(home: Path, token: str) -> None:
    assert MAX_FILE_BYTES == MIB
    text = blob_json(token)
    path = support.write_credentials(default_dir(home), text + " " * (MIB - len(text)))
    assert path.stat().st_size == MIB
    assert holds(read(), token)


def test_file_one_byte_over_one_mib_is_invalid(home: Path, token: str) -> None:
    text = blob_json(token)
    path = support.write_credentials(default_dir(home), text + " " * (MIB + 1 - len(text)))
    with pytest.raises(InvalidCredentialsError) as caught:
        read()
    assert str(path) in str(caught.value)
    support.assert_no_token(error_text(caught.value), token)


def test_fifo_in_place_of_the_file_does_not_hang(home: Path) -> None:
    directory = default_dir(home)
    directory.mkdir()
    fifo = directory / ".credentials.json"
    os.mkfifo(fifo, 0o600)
    outcome: list[BaseException | Credentials] = []

    def target() -> None:
        try:
            outcome.append(read())
        except BaseException as exc:
            outcome.append(exc)

    reader = threading.Thread(target=target, daemon=True)
    started = time.monotonic()
    reader.start()
    reader.join(timeout=5)
    hung = reader.is_alive()
    if hung:
        # Release the reader (a blocked open/read returns once a writer comes and goes).
        with open(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK), "wb"):
            pass
        reader.join(timeout=5)
    assert not hung, "reading a FIFO blocked"
    assert time.monotonic() - started < 5
    assert len(outcome) == 1
    assert isinstance(outcome[0], InvalidCredentialsError)
    assert str(fifo) in str(outcome[0])


def test_dangling_symlink_is_not_found(home: Path, tmp_path: Path) -> None:
    directory = default_dir(home)
    directory.mkdir()
    link = directory / ".credentials.json"
    os.symlink(tmp_path / "gone.json", link)
    with pytest.raises(CredentialsNotFoundError) as caught:
        read()
    assert str(link) in str(caught.value)


def test_valid_symlink_is_followed(home: Path, tmp_path: Path, token: str) -> None:
    target = support.write_credentials(tmp_path / "dotfiles", blob_json(token))
    directory = default_dir(home)
    directory.mkdir()
    os.symlink(target, directory / ".credentials.json")
    assert holds(read(), token)


def test_symlinked_profile_directory_is_followed(home: Path, tmp_path: Path, token: str) -> None:
    support.write_credentials(tmp_path / "real-profile", blob_json(token))
    os.symlink(tmp_path / "real-profile", default_dir(home))
    assert holds(read(), token)


# -- permissions ----------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o666])
def test_exposed_file_still_works_but_warns(
    home: Path, token: str, caplog: pytest.LogCaptureFixture, mode: int
) -> None:
    path = support.write_credentials(default_dir(home), blob_json(token), mode=mode)
    caplog.set_level(logging.DEBUG)
    assert holds(read(), token)
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert warnings, "an exposed credentials file must be reported"
    message = warnings[0].getMessage()
    assert "chmod 600" in message
    assert str(path) in message
    assert f"{mode:03o}" in message
    for record in caplog.records:
        support.assert_no_token(record.getMessage(), token)


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_private_file_emits_no_warning(home: Path, token: str, caplog: pytest.LogCaptureFixture, mode: int) -> None:
    support.write_credentials(default_dir(home), blob_json(token), mode=mode)
    caplog.set_level(logging.DEBUG)
    assert holds(read(), token)
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []


@pytest.fixture
def world_traversable_dir() -> Iterator[Path]:
    """A fresh directory every user can traverse (tmp_path is private to root)."""
    base = Path(tempfile.mkdtemp(prefix="claude-usage-eacces-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_unreadable_file_is_invalid_permission_denied(world_traversable_dir: Path, token: str) -> None:
    profile = world_traversable_dir / "profile"
    profile.mkdir()
    profile.chmod(0o755)
    path = support.write_credentials(profile, blob_json(token), mode=0o000)
    profile.chmod(0o755)

    if os.geteuid() != 0:
        if os.access(path, os.R_OK):
            pytest.skip("this unprivileged user can still read a mode-000 file (CAP_DAC_OVERRIDE?)")
        with pytest.raises(InvalidCredentialsError) as caught:
            read(FileBackend(config_dir=str(profile)))
        outcome = {"type": type(caught.value).__name__, "message": str(caught.value)}
    else:
        try:
            nobody = pwd.getpwnam("nobody")
        except KeyError:
            pytest.skip("running as root, and there is no 'nobody' user to drop privileges to")
        # Root ignores mode 000: read it from a forked child that has
        # dropped to 'nobody'. Everything is imported already, so the child
        # needs no access to the interpreter's or the packages' files.
        backend = FileBackend(config_dir=str(profile))
        reader, writer = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            code = 1
            try:
                os.close(reader)
                os.setgroups([])
                os.setgid(nobody.pw_gid)
                os.setuid(nobody.pw_uid)
                try:
                    backend.read_credentials()
                    result = {"type": "none", "message": ""}
                except Exception as exc:
                    result = {"type": type(exc).__name__, "message": str(exc)}
                os.write(writer, json.dumps(result).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(writer)
        with os.fdopen(reader, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(child, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, data
        support.assert_no_token(data, token)
        outcome = json.loads(data)
    assert outcome["type"] == "InvalidCredentialsError"
    assert "permission denied" in outcome["message"]
    assert str(path) in outcome["message"]
    support.assert_no_token(outcome["message"], token)
    assert stat.S_IMODE(path.stat().st_mode) == 0o000, "reading must not change the mode"


# -- Claude Code rewriting the file ---------------------------------------------


def _writer(path: Path, steps: list[tuple[float, bytes]], go: threading.Event) -> threading.Thread:
    """A thread that, after ``go``, rewrites ``path`` in place with each
    content once its delay (seconds after ``go``) has passed."""

    def run() -> None:
        go.wait(timeout=10)
        started = time.monotonic()
        for delay, content in steps:
            time.sleep(max(0.0, started + delay - time.monotonic()))
            with open(path, "r+b") as handle:
                handle.truncate(0)
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())

    return threading.Thread(target=run, daemon=True)


def test_file_caught_mid_rewrite_is_read_again(home: Path, token: str) -> None:
    assert REREAD_DELAY == 0.05
    path = support.write_credentials(default_dir(home), blob_json(support.make_token()))
    # Claude Code truncates the file, then writes the new blob ~20 ms later.
    path.write_bytes(b"")
    go = threading.Event()
    writer = _writer(path, [(0.02, blob_json(token).encode())], go)
    writer.start()
    go.set()
    started = time.monotonic()
    credentials = read()
    elapsed = time.monotonic() - started
    writer.join(timeout=5)
    assert holds(credentials, token)
    assert elapsed >= REREAD_DELAY * 0.9, "the token was read before the writer finished: no re-read happened"


def test_file_truncated_mid_rewrite_is_read_again(home: Path, token: str) -> None:
    text = blob_json(token)
    path = support.write_credentials(default_dir(home), text[: len(text) // 3])
    go = threading.Event()
    writer = _writer(path, [(0.02, text.encode())], go)
    writer.start()
    go.set()
    credentials = read()
    writer.join(timeout=5)
    assert holds(credentials, token)


def test_file_that_stays_empty_fails_after_one_delayed_reread(home: Path) -> None:
    path = support.write_credentials(default_dir(home), b"")
    started = time.monotonic()
    with pytest.raises(InvalidCredentialsError) as caught:
        read()
    elapsed = time.monotonic() - started
    assert str(path) in str(caught.value)
    assert elapsed >= REREAD_DELAY * 0.9, "no pause before the re-read"
    assert elapsed < 2, "more than one short pause"


def test_only_one_reread(home: Path, token: str) -> None:
    """Empty, then truncated when the re-read comes, then valid long after:
    the backend gives up after its single re-read."""
    text = blob_json(token)
    path = support.write_credentials(default_dir(home), b"")
    go = threading.Event()
    writer = _writer(path, [(0.02, text[:20].encode()), (0.6, text.encode())], go)
    writer.start()
    go.set()
    with pytest.raises(InvalidCredentialsError) as caught:
        read()
    writer.join(timeout=5)
    support.assert_no_token(error_text(caught.value), token)
    assert holds(read(), token), "the writer finished: a later read succeeds"


def test_missing_file_is_not_retried(home: Path) -> None:
    started = time.monotonic()
    with pytest.raises(CredentialsNotFoundError):
        read()
    assert time.monotonic() - started < REREAD_DELAY, "a missing file is not a file mid-rewrite"


# -- reading is read-only --------------------------------------------------------


@pytest.mark.parametrize("mode", [0o600, 0o644])
def test_reading_never_modifies_the_file(home: Path, token: str, mode: int) -> None:
    path = support.write_credentials(default_dir(home), blob_json(token), mode=mode)
    old = 1_500_000_000_123_456_789
    os.utime(path, ns=(old, old))
    before = snapshot(path)
    listing = sorted(os.listdir(path.parent))
    for _ in range(3):
        assert holds(read(), token)
    assert snapshot(path) == before
    assert path.stat().st_mtime_ns == old
    assert sorted(os.listdir(path.parent)) == listing, "no temporary or lock files"


def test_failed_read_never_modifies_the_file(home: Path, token: str) -> None:
    text = blob_json(token)
    path = support.write_credentials(default_dir(home), text[:-3], mode=0o644)
    old = 1_400_000_000_000_000_000
    os.utime(path, ns=(old, old))
    before = snapshot(path)
    with pytest.raises(InvalidCredentialsError):
        read()
    assert snapshot(path) == before
    assert sorted(os.listdir(path.parent)) == [".credentials.json"]


# -- selection -------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "darwin", reason="on macOS the Keychain backend is tried before the file")
def test_file_backend_is_selected_automatically(home: Path, token: str) -> None:
    support.write_credentials(default_dir(home), blob_json(token))
    backend, credentials = select_and_load()
    assert backend.name == "file"
    assert isinstance(backend, FileBackend)
    assert holds(credentials, token)


@pytest.mark.skipif(sys.platform == "darwin", reason="on macOS the Keychain backend is tried before the file")
def test_selection_follows_the_profile(home: Path, tmp_path: Path, token: str) -> None:
    support.write_credentials(default_dir(home), blob_json(support.make_token()))
    support.write_credentials(tmp_path / "work", blob_json(token))
    backend, credentials = select_and_load(config_dir=str(tmp_path / "work"))
    assert backend.name == "file"
    assert holds(credentials, token)


def test_env_token_wins_over_the_file(home: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    support.write_credentials(default_dir(home), blob_json(support.make_token()))
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", token)
    backend, credentials = select_and_load()
    assert backend.name == "env"
    assert holds(credentials, token)


def test_file_backend_by_name(home: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    support.write_credentials(default_dir(home), blob_json(token))
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", support.make_token())
    backend, credentials = select_and_load("file")
    assert backend.name == "file"
    assert holds(credentials, token)


def test_errors_raised_through_selection_carry_no_secret(home: Path, token: str) -> None:
    text = blob_json(token)
    support.write_credentials(default_dir(home), text[: text.index(token) + 30])
    with pytest.raises(ClaudeUsageError) as caught:
        select_and_load("file")
    assert isinstance(caught.value, InvalidCredentialsError)
    support.assert_no_token(error_text(caught.value), token)
