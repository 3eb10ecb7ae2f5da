"""Performance targets of claude-usage, measured as ratios in one run.

    python benchmarks/run.py [--runs N]      (or: tox -e bench)

Uses the claude-usage installed for this interpreter (its console script
must sit beside ``sys.executable``) and a loopback HTTP server in a
subprocess. Compared commands alternate, each scenario runs several times,
and medians are compared, so a busy machine slows both sides alike. Prints
one line per target with PASS or FAIL; exits 1 if any target fails.

Not part of the test suite: timing in tests is flaky. The tests enforce the
import rules these figures depend on instead.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

PYTHON = sys.executable
CLI = str(Path(PYTHON).parent / "claude-usage")
#: What docs/statusline.md puts in Claude Code's settings.
STATUSLINE = str(Path(PYTHON).parent / "claude-usage-statusline")

SERVER = textwrap.dedent(
    """
    import json, sys, threading, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = open(sys.argv[1], "rb").read()
    delay = float(sys.argv[2])
    stats = {"requests": 0, "connections": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            with lock:
                stats["connections"] += 1

        def do_GET(self):
            if self.path == "/stats":
                data = json.dumps(stats).encode()
            elif self.path == "/reset":
                with lock:
                    stats.update(requests=0, connections=0)
                data = b"{}"
            else:
                with lock:
                    stats["requests"] += 1
                time.sleep(delay)
                data = body
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """
)

BODY = {
    "five_hour": {"utilization": 53.0, "resets_at": "2026-07-08T00:49:59.940321+00:00"},
    "seven_day": {"utilization": 8.0, "resets_at": "2026-07-13T06:00:00+00:00"},
    "seven_day_opus": None,
    "extra_usage": {"is_enabled": False, "monthly_limit": None, "used_credits": None, "utilization": None},
    "limits": [
        {
            "kind": "session",
            "percent": 53,
            "severity": "normal",
            "resets_at": "2026-07-08T00:49:59+00:00",
            "scope": None,
            "is_active": False,
        },
        {
            "kind": "weekly_scoped",
            "percent": 100,
            "severity": "warning",
            "resets_at": "2026-07-13T06:00:00+00:00",
            "scope": {"model": {"display_name": "Opus"}},
            "is_active": True,
        },
    ],
}
STDIN = json.dumps(
    {
        "session_id": "bench",
        "model": {"id": "claude-opus", "display_name": "Opus"},
        "rate_limits": {
            "five_hour": {"used_percentage": 23.5, "resets_at": int(time.time()) + 8000},
            "seven_day": {"used_percentage": 41.2, "resets_at": int(time.time()) + 300000},
        },
    }
).encode()


class Server:
    def __init__(self, workdir: Path, delay: float = 0.0) -> None:
        body = workdir / f"body-{delay}.json"
        body.write_text(json.dumps(BODY))
        script = workdir / "server.py"
        script.write_text(SERVER)
        self.process = subprocess.Popen([PYTHON, str(script), str(body), str(delay)], stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.url = f"http://127.0.0.1:{self.process.stdout.readline().strip()}"

    def stats(self) -> dict[str, int]:
        with urllib.request.urlopen(self.url + "/stats") as answer:
            result: dict[str, int] = json.load(answer)
            return result

    def reset(self) -> None:
        urllib.request.urlopen(self.url + "/reset").read()

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def timed(command: Sequence[str], env: dict[str, str], stdin: bytes = b"") -> float:
    started = time.perf_counter()
    subprocess.run(command, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - started


def alternate(runs: int, *candidates: Callable[[], float]) -> list[float]:
    """Median of each candidate, measured in turn so drift hits all alike."""
    samples: list[list[float]] = [[] for _ in candidates]
    for candidate in candidates:  # warm-up: page cache, .pyc files
        candidate()
    for _ in range(runs):
        for index, candidate in enumerate(candidates):
            samples[index].append(candidate())
    return [statistics.median(values) for values in samples]


RESULTS: list[tuple[str, str, bool]] = []


def report(name: str, measured: str, ok: bool) -> None:
    RESULTS.append((name, measured, ok))
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {measured}", flush=True)


def bench_statusline(env: dict[str, str], runs: int) -> None:
    subprocess.run([CLI, "statusline"], input=STDIN, env=env, check=True, capture_output=True)  # warms the cache
    bare, render, entry_point = alternate(
        runs,
        lambda: timed([PYTHON, "-c", "pass"], env),
        lambda: timed([STATUSLINE, "--max-age", "3600"], env, STDIN),
        lambda: timed([CLI, "statusline", "--max-age", "3600"], env, STDIN),
    )
    ratio = render / bare
    report(
        "claude-usage-statusline, warm cache, Claude Code stdin <= 2x `python -c pass`",
        f"{render * 1000:.1f} ms vs {bare * 1000:.1f} ms = {ratio:.2f}x",
        ratio <= 2.0,
    )
    ratio = entry_point / bare
    report(
        "claude-usage statusline (the generated launcher), warm cache <= 3x `python -c pass`",
        f"{entry_point * 1000:.1f} ms vs {bare * 1000:.1f} ms = {ratio:.2f}x",
        ratio <= 3.0,
    )


def bench_stale_render(env: dict[str, str], runs: int) -> None:
    """A render over stale data: prints it and leaves the refresh to a
    detached process, so it costs a spawn, never the network."""
    subprocess.run([CLI, "statusline"], input=STDIN, env=env, check=True, capture_output=True)
    (entry_path,) = Path(env["CLAUDE_USAGE_CACHE_DIR"]).rglob("*.json")
    entry = json.loads(entry_path.read_text())
    entry.update(fetched_at=time.time() - 3600, attempt=None)
    stale = json.dumps(entry)

    def render() -> float:
        entry_path.write_text(stale)
        took = timed([STATUSLINE], env, STDIN)
        deadline = time.monotonic() + 10  # the refresh finishes before the next sample
        while json.loads(entry_path.read_text()).get("attempt") is not None and time.monotonic() < deadline:
            time.sleep(0.01)
        return took

    bare, stale_render = alternate(runs, lambda: timed([PYTHON, "-c", "pass"], env), render)
    ratio = stale_render / bare
    report(
        "claude-usage-statusline, stale cache (starts a background refresh) <= 2x `python -c pass`",
        f"{stale_render * 1000:.1f} ms vs {bare * 1000:.1f} ms = {ratio:.2f}x",
        ratio <= 2.0,
    )


def bench_history_render(env: dict[str, str], runs: int) -> None:
    """The observation log costs a render nothing it would notice: a render
    over a log just under its byte cap that finds nothing new, one that
    appends a reading, and one whose append crosses the cap and compacts the
    log, against the same render where the log can be neither read nor
    written (a directory in its place)."""
    from claude_usage.history import MAX_BYTES

    subprocess.run([CLI, "statusline"], input=STDIN, env=env, check=True, capture_output=True)
    (log,) = Path(env["CLAUDE_USAGE_CACHE_DIR"]).glob("history-*.jsonl")
    now = time.time()
    line = json.dumps({"t": now - 7200, "w": "five_hour", "p": 1.0, "r": now + 8000, "s": "api"}) + "\n"
    current = log.read_text()
    under = line * ((MAX_BYTES - 16384) // len(line)) + current
    at_cap = line * (MAX_BYTES // len(line)) + current
    old = b'"used_percentage": 23.5'
    counter = iter([STDIN.replace(old, f'"used_percentage": {30 + i / 10:.1f}'.encode()) for i in range(1000)])

    def with_log(text: str, stdin: bytes) -> float:
        log.write_text(text)
        return timed([STATUSLINE, "--max-age", "3600"], env, stdin)

    def without_log() -> float:
        log.unlink()
        log.mkdir()
        try:
            return timed([STATUSLINE, "--max-age", "3600"], env, STDIN)
        finally:
            log.rmdir()

    bare, unchanged, appended, compacted = alternate(
        runs,
        without_log,
        lambda: with_log(under, STDIN),
        lambda: with_log(under, next(counter)),
        lambda: with_log(at_cap, next(counter)),
    )
    for name, took, bound in (
        ("nothing new", unchanged, 1.1),
        ("a new reading appended", appended, 1.1),
        ("an append that compacts it", compacted, 1.25),
    ):
        ratio = took / bare
        report(
            f"claude-usage-statusline, observation log at its cap, {name} <= {bound}x the same render without a log",
            f"{took * 1000:.1f} ms vs {bare * 1000:.1f} ms = {ratio:.2f}x",
            ratio <= bound,
        )


#: The last commit before forecasts and the observation log (issue 13): the
#: statusline's render budget as it stood, which they must not grow.
BEFORE_FORECASTS = "f27e321"


def bench_render_against_before_forecasts(workdir: Path, env: dict[str, str], runs: int) -> None:
    """The warm render of this checkout against the same render of the core
    as it was before forecasts (pace fields, the observation log): same
    interpreter, same dependencies, each with its own warmed cache, both
    from compiled bytecode and with one PYTHONPATH entry each."""
    name = f"claude-usage-statusline, warm cache, vs the same render before forecasts ({BEFORE_FORECASTS}) <= 1.05x"
    root = Path(__file__).resolve().parents[1]
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", BEFORE_FORECASTS, "packages/claude-usage-core/src"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        print(f"SKIP  {name}: commit {BEFORE_FORECASTS} is not in this checkout (a shallow clone?)", flush=True)
        return
    before = workdir / "before"
    before.mkdir()
    subprocess.run(["tar", "-x", "-C", str(before)], input=archive.stdout, check=True)
    source = before / "packages" / "claude-usage-core" / "src"
    empty = workdir / "empty-path"
    empty.mkdir()
    # pip compiled the installed code; compile the old one alike (tox sets
    # PYTHONDONTWRITEBYTECODE, which would make it compile at every run).
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(source)], check=True)
    now_env = {**env, "PYTHONPATH": str(empty), "CLAUDE_USAGE_CACHE_DIR": str(workdir / "cache-now")}
    before_env = {**env, "PYTHONPATH": str(source), "CLAUDE_USAGE_CACHE_DIR": str(workdir / "cache-before")}
    for each in (now_env, before_env):  # warms each cache with its own code
        subprocess.run([STATUSLINE], input=STDIN, env=each, check=True, capture_output=True)
        subprocess.run([STATUSLINE, "--wait", "1"], input=b"{}", env=each, check=True, capture_output=True)
    shown = subprocess.run(
        [STATUSLINE, "--max-age", "3600"], input=STDIN, env=before_env, capture_output=True, check=False
    )
    probe = "import claude_usage, sys; sys.stdout.write(claude_usage.__file__)"
    origin = subprocess.run([PYTHON, "-c", probe], env=before_env, capture_output=True, text=True, check=False).stdout
    if not origin.startswith(str(source)) or not shown.stdout.startswith(b"5h "):
        report(name, f"the old code did not render ({origin!r}: {shown.stdout[:60]!r})", False)
        return
    current, earlier = alternate(
        runs,
        lambda: timed([STATUSLINE, "--max-age", "3600"], now_env, STDIN),
        lambda: timed([STATUSLINE, "--max-age", "3600"], before_env, STDIN),
    )
    ratio = current / earlier
    report(name, f"{current * 1000:.1f} ms vs {earlier * 1000:.1f} ms = {ratio:.2f}x", ratio <= 1.05)


def bench_import(env: dict[str, str], runs: int) -> None:
    bare, attrs_, ours = alternate(
        runs,
        lambda: timed([PYTHON, "-c", "pass"], env),
        lambda: timed([PYTHON, "-c", "import attrs"], env),
        lambda: timed([PYTHON, "-c", "import claude_usage"], env),
    )
    # The margin: 10 % of attrs' own import cost, or 1 ms, whichever is more.
    margin = max(0.1 * (attrs_ - bare), 0.001)
    report(
        "`import claude_usage` <= `import attrs` + a small margin",
        f"{(ours - bare) * 1000:.1f} ms vs {(attrs_ - bare) * 1000:.1f} ms over a bare start"
        f" ({ours / attrs_:.2f}x of the whole `import attrs` process)",
        ours - bare <= attrs_ - bare + margin,
    )


def bench_get_usage(server: Server, env: dict[str, str], runs: int) -> None:
    """In this process: get_usage() against a bare requests.get."""
    os.environ.update(env)
    import requests

    import claude_usage

    calls = 20
    headers = {"Accept": "application/json", "User-Agent": "claude-code/bench", "Authorization": "Bearer x"}

    def bare() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            requests.get(server.url + "/api/oauth/usage", headers=headers, timeout=10).json()
        return (time.perf_counter() - started) / calls

    def ours() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            claude_usage.get_usage("file")
        return (time.perf_counter() - started) / calls

    plain, library = alternate(max(3, runs // 3), bare, ours)
    ratio = library / plain
    report(
        "get_usage() <= 1.3x a bare requests.get(...).json() of the same URL",
        f"{library * 1000:.2f} ms vs {plain * 1000:.2f} ms per call = {ratio:.2f}x",
        ratio <= 1.3,
    )

    server.reset()
    credentials = claude_usage.load_credentials("file")
    with claude_usage.UsageClient() as client:
        for _ in range(10):
            client.fetch(credentials)
    del credentials
    stats = server.stats()
    connections = stats["connections"] - 1  # the /stats query has a connection of its own
    report(
        "UsageClient reuses its connection across calls",
        f"{stats['requests']} requests over {connections} connection(s)",
        stats["requests"] == 10 and connections == 1,
    )


DISCOVERY = """
import json, time
from claude_usage import _registry
started = time.perf_counter(); _registry.backend_statuses(); first = time.perf_counter() - started
started = time.perf_counter()
for _ in range(100):
    _registry.backend_statuses()
print(json.dumps([first, (time.perf_counter() - started) / 100]))
"""


def bench_discovery(env: dict[str, str]) -> None:
    """In a fresh process: the first lookup scans, later ones must not."""
    done = subprocess.run([PYTHON, "-c", DISCOVERY], env=env, capture_output=True, text=True, check=True)
    first, repeated = json.loads(done.stdout)
    report(
        "entry points scanned once per process",
        f"first lookup {first * 1000:.2f} ms, later lookups {repeated * 1000:.3f} ms",
        repeated < first / 5,
    )


def _refreshed(cache: Path) -> bool:
    """Whether the cache holds an answered request and no refresh under way."""
    for path in cache.rglob("*.json"):
        try:
            entry = json.loads(path.read_text())
        except (OSError, ValueError):
            return False
        if entry.get("body") is not None and entry.get("attempt") is None:
            return True
    return False


def bench_herd(workdir: Path, env: dict[str, str]) -> None:
    server = Server(workdir, delay=0.2)
    try:
        for size in (1, 10, 50):
            cache = workdir / f"herd-{size}"
            herd_env = {**env, "CLAUDE_USAGE_BASE_URL": server.url, "CLAUDE_USAGE_CACHE_DIR": str(cache)}
            server.reset()
            started = time.perf_counter()
            processes = [
                subprocess.Popen(
                    [CLI, "statusline", "--timeout", "10"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=herd_env,
                )
                for _ in range(size)
            ]
            finished: list[float] = []
            for process in processes:
                process.communicate(STDIN, timeout=120)
                finished.append(time.perf_counter() - started)
            # The renders printed from stdin at once; the refresh they
            # started runs on in the background: count once it is done.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not _refreshed(cache):
                time.sleep(0.05)
            time.sleep(1.0)  # a second refresh, if any, would be sent by now
            requests_seen = server.stats()["requests"]
            report(
                f"herd of {size} statusline(s) on a cold cache sends one request",
                f"{requests_seen} request(s); slowest render {max(finished) * 1000:.0f} ms",
                requests_seen == 1,
            )
    finally:
        server.close()


KEYCHAIN_STAND_IN = """#!/bin/sh
# /usr/bin/security for the benchmark: a shell script, cheap to start as the
# real (native) program is; answers find-generic-password like it.
[ "$1 $2 $4 $5" = "find-generic-password -a -w -s" ] || exit 2
[ "$6" = "Claude Code-credentials" ] || exit 44
exec cat {item}
"""


def namespace_problem() -> str | None:
    """Why /usr/bin/security cannot be overlaid here (needs Linux and root)."""
    if not sys.platform.startswith("linux"):
        return "needs Linux mount namespaces"
    done = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "/bin/sh", "-c", "mount -t tmpfs none /mnt"],
        capture_output=True,
        check=False,
    )
    return None if done.returncode == 0 else "cannot make a private mount namespace (needs root)"


def bench_keychain_cold_render(server: Server, workdir: Path, env: dict[str, str], token: str, runs: int) -> None:
    """A cold statusline render reading the Keychain through /usr/bin/security
    (a stand-in, in a private mount namespace) against one reading the file."""
    name = "statusline, cold cache, Keychain via /usr/bin/security <= 1.25x the file backend"
    problem = namespace_problem()
    if problem is None and subprocess.run([PYTHON, "-c", "import claude_usage_creds_macos"], check=False).returncode:
        problem = "claude-usage-creds-macos is not installed"
    if problem is not None:
        print(f"SKIP  {name}: {problem}", flush=True)
        return
    upper, work = workdir / "overlay-upper", workdir / "overlay-work"
    upper.mkdir()
    work.mkdir()
    item = workdir / "keychain-item.json"
    blob = {"claudeAiOauth": {"accessToken": token, "expiresAt": 4_102_444_800_000, "scopes": ["user:profile"]}}
    item.write_text(json.dumps(blob))
    program = upper / "security"
    program.write_text(KEYCHAIN_STAND_IN.format(item=item))
    program.chmod(0o755)
    mount = f"mount -t overlay overlay -o lowerdir=/usr/bin,upperdir={upper},workdir={work} /usr/bin"
    runs_made = iter(range(10**6))

    def render(backend: str) -> float:
        cold = {**env, "USER": "bench", "CLAUDE_USAGE_CACHE_DIR": str(workdir / f"cold-{next(runs_made)}")}
        command = ["unshare", "-m", "--propagation", "private", "/bin/sh", "-c", f'{mount} && exec "$@"', "sh"]
        # Nothing on stdin: with nothing to show, the render waits for the
        # refresh it starts, which reads the credentials and sends.
        return timed([*command, CLI, "statusline", "--backend", backend], cold, b"{}")

    server.reset()
    file_render, keychain_render = alternate(runs, lambda: render("file"), lambda: render("keychain"))
    ratio = keychain_render / file_render
    # Every render, warm-up included, read its token and sent its request.
    sent, expected = server.stats()["requests"], 2 * (runs + 1)
    report(
        name,
        f"{keychain_render * 1000:.1f} ms vs {file_render * 1000:.1f} ms = {ratio:.2f}x ({sent} of {expected} sent)",
        ratio <= 1.25 and sent == expected,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21, help="timed runs per command (default 21)")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run only the targets whose function name contains NAME (e.g. history, before_forecasts); repeatable",
    )
    args = parser.parse_args(argv)

    def wanted(function: Callable[..., None]) -> bool:
        return not args.only or any(part in function.__name__ for part in args.only)

    if not Path(CLI).exists() or not Path(STATUSLINE).exists():
        print(f"claude-usage is not installed for {PYTHON}", file=sys.stderr)
        return 2
    print(
        f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs; {args.runs} runs each", flush=True
    )
    with tempfile.TemporaryDirectory(prefix="claude-usage-bench-") as tmp:
        workdir = Path(tmp)
        home = workdir / "home"
        (home / ".claude").mkdir(parents=True)
        token = "sk-ant-oat01-" + secrets.token_urlsafe(48)
        blob = {"claudeAiOauth": {"accessToken": token, "expiresAt": 4_102_444_800_000, "scopes": ["user:profile"]}}
        (home / ".claude" / ".credentials.json").write_text(json.dumps(blob))
        (home / ".claude" / ".credentials.json").chmod(0o600)
        server = Server(workdir)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CLAUDE_", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"))
        }
        env.update(
            HOME=str(home),
            CLAUDE_USAGE_BASE_URL=server.url,
            CLAUDE_USAGE_CACHE_DIR=str(workdir / "cache"),
            NO_PROXY="127.0.0.1,localhost",
        )
        targets: list[tuple[Callable[..., None], Callable[[], None]]] = [
            (bench_statusline, lambda: bench_statusline(env, args.runs)),
            (bench_stale_render, lambda: bench_stale_render(env, args.runs)),
            (bench_history_render, lambda: bench_history_render(env, args.runs)),
            (
                bench_render_against_before_forecasts,
                lambda: bench_render_against_before_forecasts(workdir, env, args.runs),
            ),
            (bench_import, lambda: bench_import(env, args.runs)),
            (bench_get_usage, lambda: bench_get_usage(server, env, args.runs)),
            (bench_discovery, lambda: bench_discovery(env)),
            (bench_keychain_cold_render, lambda: bench_keychain_cold_render(server, workdir, env, token, args.runs)),
        ]
        try:
            for function, run in targets:
                if wanted(function):
                    run()
        finally:
            server.close()
        if wanted(bench_herd):
            bench_herd(workdir, env)
    failed = [name for name, _, ok in RESULTS if not ok]
    print(f"{len(RESULTS) - len(failed)} of {len(RESULTS)} targets met" + (f"; failed: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
