"""Which Claude Code profile a backend reads, decided as Claude Code decides.

Claude Code 2.1.332 takes ``CLAUDE_CONFIG_DIR`` and
``CLAUDE_SECURESTORAGE_CONFIG_DIR`` (where credentials live) as literal
strings, only NFC-normalised: no ``~`` expansion, no trailing-slash
stripping, no resolving. An empty ``CLAUDE_CONFIG_DIR`` counts as unset;
``CLAUDE_SECURESTORAGE_CONFIG_DIR`` wins whenever it is *defined*, and empty
it means the default location (and the default Keychain item), whatever
``CLAUDE_CONFIG_DIR`` says. Backends must do the same, or a user with two
profiles sees the other account's numbers.
"""

from __future__ import annotations

import os

# typing, collections.abc and pathlib are not imported at run time here:
# this module is on the statusline's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = [
    "CONFIG_DIR_ENV",
    "CREDENTIALS_FILENAME",
    "PROFILES_ENV",
    "SECURESTORAGE_DIR_ENV",
    "credentials_file",
    "credentials_path",
    "default_config_dir",
    "discover_profiles",
    "nfc",
    "storage_dir",
]

CONFIG_DIR_ENV = "CLAUDE_CONFIG_DIR"
SECURESTORAGE_DIR_ENV = "CLAUDE_SECURESTORAGE_CONFIG_DIR"
CREDENTIALS_FILENAME = ".credentials.json"
PROFILES_ENV = "CLAUDE_USAGE_PROFILES"


def nfc(text: str) -> str:
    """``text`` in Unicode normal form C, as Claude Code normalises directory
    strings (macOS hands out decomposed names; the hash must not depend on it).

    ``unicodedata`` is imported only for non-ASCII text: this runs on every
    statusline render.
    """
    if text.isascii():
        return text
    import unicodedata

    return unicodedata.normalize("NFC", text)


def storage_dir(config_dir: str | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """The NFC directory string that selects the credentials, or ``None``
    for Claude Code's default location and item.

    ``CLAUDE_SECURESTORAGE_CONFIG_DIR`` decides whenever it is defined (empty:
    the default); otherwise a non-empty ``CLAUDE_CONFIG_DIR``. An explicit
    ``config_dir`` stands for ``CLAUDE_CONFIG_DIR=config_dir`` in a clean
    environment: it wins over both variables, because the caller asked for
    that profile and not for whatever the environment points at.
    """
    if config_dir is not None:
        chosen: str | None = config_dir
    else:
        env = os.environ if environ is None else environ
        secure = env.get(SECURESTORAGE_DIR_ENV)
        chosen = secure if secure is not None else env.get(CONFIG_DIR_ENV)
    return nfc(chosen) if chosen else None


def default_config_dir() -> Path:
    """``~/.claude``, Claude Code's directory when no variable is set."""
    from pathlib import Path

    return Path.home() / ".claude"


def credentials_file(config_dir: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """Where Claude Code keeps ``.credentials.json`` for that profile, as a
    string (pathlib stays off the statusline's path)."""
    chosen = storage_dir(config_dir, environ)
    base = os.path.join(os.path.expanduser("~"), ".claude") if chosen is None else chosen
    return os.path.join(base, CREDENTIALS_FILENAME)


def credentials_path(config_dir: str | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """Where Claude Code keeps ``.credentials.json`` for that profile."""
    from pathlib import Path

    return Path(credentials_file(config_dir, environ))


def discover_profiles(environ: Mapping[str, str] | None = None) -> list[str | None]:
    """Every Claude Code profile that can be found, ``None`` first for the
    default one.

    Claude Code keeps no list of profiles, so this gathers: the default
    profile; ``$CLAUDE_CONFIG_DIR`` when set; each entry of
    ``$CLAUDE_USAGE_PROFILES`` (directories separated by ``os.pathsep``, for
    profiles kept anywhere); and the directories ``~/.claude-*`` and
    ``~/.config/claude*`` that hold a ``.credentials.json`` (profiles whose
    token is only in the Keychain must be listed in ``CLAUDE_USAGE_PROFILES``).
    Directory strings are kept as found, only NFC-normalised (as Claude Code
    normalises them): they select Keychain items literally, and two spellings
    of one name are one profile.
    To read the default profile whatever ``CLAUDE_CONFIG_DIR`` says, pass
    ``config_dir=""`` (``None`` follows the environment).
    """
    import glob

    env = os.environ if environ is None else environ
    home = os.path.expanduser("~")
    found: list[str | None] = [None]
    candidates = [env.get(CONFIG_DIR_ENV) or ""]
    candidates += [entry for entry in (env.get(PROFILES_ENV) or "").split(os.pathsep) if entry]
    for pattern in (os.path.join(home, ".claude-*"), os.path.join(home, ".config", "claude*")):
        candidates += sorted(
            path for path in glob.glob(pattern) if os.path.isfile(os.path.join(path, CREDENTIALS_FILENAME))
        )
    for candidate in map(nfc, candidates):
        if candidate and candidate not in found:
            found.append(candidate)
    return found
