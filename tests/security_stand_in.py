"""A stand-in for macOS's ``/usr/bin/security``, for tests on Linux.

``StandIn(directory)`` writes an executable Python script, ``security``,
that implements what claude-usage and Claude Code use of the real program:

* ``find-generic-password -a ACCOUNT -w -s SERVICE``: the password on stdout
  plus a newline, exit 0; exit 44 and the real message when there is no such
  item; the Keychain's failures on demand (:meth:`StandIn.fail`): ``locked``
  (exit 36), ``no-interaction`` (exit 36, "User interaction is not allowed."
  as over SSH), ``denied`` (exit 128, a cancelled dialog), ``hang`` (sleeps
  far past any timeout, as a dialog nobody answers).
* ``-i``: commands read from stdin, of which ``add-generic-password -U -a
  ACCOUNT -s SERVICE -X HEX`` stores an item, as Claude Code writes it.

Items and the failure mode live in JSON files beside the script; every
invocation appends its arguments to ``calls.jsonl``, so tests count how
often the Keychain was asked. The script must not be a shell builtin or use
PATH: it may run as ``/usr/bin/security`` in a private mount namespace.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

__all__ = ["StandIn", "overlay_command", "unshare_problem"]

SCRIPT = r"""#!{python}
import json, os, re, sys, time

HERE = {here!r}


def load(name, default):
    try:
        with open(os.path.join(HERE, name), encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return default


def save_items(items):
    path = os.path.join(HERE, "items.json")
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(items, handle)
    os.replace(path + ".tmp", path)


def options(args):
    found, flags, rest = {{}}, set(), list(args)
    while rest:
        word = rest.pop(0)
        if word in ("-a", "-s", "-X"):
            if not rest:
                return None, None
            found[word] = rest.pop(0)
        elif word in ("-w", "-U"):
            flags.add(word)
        else:
            return None, None
    return found, flags


def find(args):
    found, flags = options(args)
    if found is None or "-w" not in flags or "-s" not in found:
        sys.stderr.write("usage: find-generic-password [-a account] [-s service] [-w]\n")
        return 2
    mode = load("mode.json", {{"mode": "ok"}})["mode"]
    if mode == "hang":
        with open(os.path.join(HERE, "hang.pid"), "w", encoding="utf-8") as handle:
            handle.write(str(os.getpid()))
        time.sleep(600)
    if mode == "locked":
        sys.stderr.write("security: SecKeychainSearchCopyNext: The keychain is locked.\n")
        return 36
    if mode == "no-interaction":
        sys.stderr.write("security: SecKeychainSearchCopyNext: User interaction is not allowed.\n")
        return 36
    if mode == "denied":
        sys.stderr.write("security: SecKeychainItemCopyContent: User canceled the operation.\n")
        return 128
    items = load("items.json", {{}})
    key = found["-s"] + "\0" + found.get("-a", "")
    if key not in items:
        sys.stderr.write(
            "security: SecKeychainSearchCopyNext: The specified item could not be found in the keychain.\n"
        )
        return 44
    sys.stdout.write(items[key] + "\n")
    return 0


def add(args):
    found, flags = options(args)
    if found is None or "-X" not in found or "-s" not in found or "-a" not in found:
        sys.stderr.write("usage: add-generic-password -U -a account -s service -X hex\n")
        return 2
    items = load("items.json", {{}})
    key = found["-s"] + "\0" + found["-a"]
    if key in items and "-U" not in flags:
        sys.stderr.write("security: SecKeychainItemCreateFromContent: The specified item already exists.\n")
        return 45
    items[key] = bytes.fromhex(found["-X"]).decode("utf-8")
    save_items(items)
    return 0


def run(args):
    if not args:
        return 2
    command, rest = args[0], args[1:]
    if command == "find-generic-password":
        return find(rest)
    if command == "add-generic-password":
        return add(rest)
    sys.stderr.write("security: unknown command " + command + "\n")
    return 2


def main():
    args = sys.argv[1:]
    with open(os.path.join(HERE, "calls.jsonl"), "a", encoding="utf-8") as log:
        log.write(json.dumps(args) + "\n")
    if args == ["-i"]:
        status = 0
        for line in sys.stdin:
            if line.strip():
                words = [quoted or bare for quoted, bare in re.findall(r'"([^"]*)"|(\S+)', line)]
                status = run(words) or status
        return status
    return run(args)


sys.exit(main())
"""


class StandIn:
    """The stand-in program and its state, in ``directory``."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.program = directory / "security"
        self.program.write_text(SCRIPT.format(python=sys.executable, here=str(directory)), encoding="utf-8")
        self.program.chmod(0o755)

    def add(self, service: str, account: str, secret: str) -> None:
        """Store an item the way Claude Code does: ``security -i`` fed
        ``add-generic-password -U -a ACCOUNT -s SERVICE -X HEX`` on stdin."""
        if any(mark in service + account for mark in '\n"'):
            # No line of `security -i` can carry it (nor would Claude Code write it).
            items_file = self.directory / "items.json"
            items = json.loads(items_file.read_text(encoding="utf-8")) if items_file.exists() else {}
            items[f"{service}\0{account}"] = secret
            items_file.write_text(json.dumps(items), encoding="utf-8")
            return
        words = ["add-generic-password", "-U", "-a", account, "-s", service, "-X", secret.encode().hex()]
        line = " ".join(f'"{word}"' if not word or any(c.isspace() for c in word) else word for word in words)
        result = subprocess.run(
            [str(self.program), "-i"], input=line + "\n", capture_output=True, text=True, timeout=30, check=False
        )
        assert result.returncode == 0, result.stderr
        self.forget_calls()

    def fail(self, mode: str) -> None:
        """``ok``, ``locked``, ``no-interaction``, ``denied`` or ``hang``."""
        (self.directory / "mode.json").write_text(json.dumps({"mode": mode}), encoding="utf-8")

    def hanging_pid(self) -> int | None:
        """The process id of the last invocation that hung, if any."""
        path = self.directory / "hang.pid"
        return int(path.read_text(encoding="utf-8")) if path.exists() else None

    def calls(self) -> list[list[str]]:
        """The arguments of every invocation so far."""
        log = self.directory / "calls.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]

    def reads(self) -> list[str]:
        """The services looked up by find-generic-password, in order."""
        return [args[args.index("-s") + 1] for args in self.calls() if args[:1] == ["find-generic-password"]]

    def forget_calls(self) -> None:
        (self.directory / "calls.jsonl").unlink(missing_ok=True)


def overlay_command(stand_in: StandIn, command: list[str]) -> list[str]:
    """``command`` run in a private mount namespace where the stand-in is
    ``/usr/bin/security`` (an overlay over /usr/bin; the host is untouched)."""
    upper, work = stand_in.directory / "overlay-upper", stand_in.directory / "overlay-work"
    upper.mkdir(exist_ok=True)
    work.mkdir(exist_ok=True)
    link = upper / "security"
    if not link.exists():
        link.write_bytes(stand_in.program.read_bytes())
        link.chmod(0o755)
    script = (
        f"mount -t overlay overlay -o lowerdir=/usr/bin,upperdir={shlex.quote(str(upper))},"
        f'workdir={shlex.quote(str(work))} /usr/bin && exec "$@"'
    )
    return ["unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script, "sh", *command]


def unshare_problem() -> str | None:
    """Why a private mount namespace with an overlay over a directory cannot
    be made here (needs Linux, root, and overlayfs), or None."""
    if not sys.platform.startswith("linux"):
        return "private mount namespaces are a Linux feature"
    import tempfile

    with tempfile.TemporaryDirectory(prefix="stand-in-probe-") as probe:
        for name in ("lower", "upper", "work"):
            os.mkdir(os.path.join(probe, name))
        lower, upper, work = (shlex.quote(os.path.join(probe, name)) for name in ("lower", "upper", "work"))
        script = f"mount -t overlay overlay -o lowerdir={lower},upperdir={upper},workdir={work} {lower}"
        try:
            result = subprocess.run(
                ["unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"unshare cannot run: {exc}"
    if result.returncode != 0:
        why = result.stderr.strip()
        return f"cannot overlay a directory in a private mount namespace (needs root and overlayfs): {why}"
    return None
