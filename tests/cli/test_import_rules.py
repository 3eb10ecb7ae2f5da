"""What each path may import: the rules the benchmark's figures rest on.

Timing is measured by ``benchmarks/run.py``, not here; these tests pin the
import rules so that a change cannot quietly put a heavy import back on a
path that runs on every statusline render.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

import support

HEAVY = ("requests", "urllib3", "keyring", "cattrs", "attr", "attrs", "rich", "platformdirs", "filelock")
#: Standard-library modules that cost more than the whole render may spend.
SLOW_STDLIB = (
    *("importlib.metadata", "typing", "argparse", "pathlib", "hashlib", "email", "tempfile", "contextlib"),
    *("random", "json", "re"),
)
#: Our modules that only the slow path (a fetch, a backend lookup) needs.
SLOW_OURS = (
    "claude_usage.models",
    "claude_usage._convert",
    "claude_usage.client",
    "claude_usage._http",
    "claude_usage._registry",
    "claude_usage.api",
    "claude_usage.backend",
    "claude_usage.credentials",
    "claude_usage.cli._main",
)

#: Lists the modules before importing json to print them.
DUMP = "import sys; loaded = sorted(sys.modules); import json; print(json.dumps(loaded), file=sys.stderr)"


def modules_after(code: str, stdin: str = "") -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code + "\n" + DUMP], input=stdin, capture_output=True, text=True, check=True, timeout=60
    )
    modules: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return modules


def assert_render_path(modules: list[str], path: str) -> None:
    """Nothing beyond the standard library and our own light modules."""
    baseline = set(modules_after("pass"))  # what the interpreter and site-packages' .pth files load anyway
    third_party = sorted(
        name
        for name in set(modules) - baseline
        if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] != "claude_usage"
    )
    assert third_party == []
    for name in (*HEAVY, *SLOW_STDLIB, *SLOW_OURS):
        assert name not in modules, f"{name} is imported on {path}"


def test_cached_statusline_imports_only_the_standard_library(api: HTTPServer, home: Path, token: str) -> None:
    support.write_credentials(home / ".claude", support.credentials_blob(token))
    support.serve(api, support.load_body("variant_new_keys_over_100.json"))
    stdin = json.dumps({"rate_limits": {"five_hour": {"used_percentage": 12, "resets_at": 1900000000}}})
    # Nothing on stdin and a cold cache: the render waits for its refresh, which warms the cache.
    assert support.run_cli("statusline", input="{}").returncode == 0
    modules = modules_after(
        "from claude_usage.cli import main\nrc = main(['statusline', '--max-age', '3600'])\nassert rc == 0", stdin
    )
    assert len(api.log) == 1, "the cached render must not fetch"
    assert_render_path(modules, "the cached statusline path")
    # Each module costs a render about 0.1 ms: what only --time local/utc, a
    # cache write or a log compaction needs is imported then, not here.
    for name in ("claude_usage._clock", "claude_usage._files"):
        assert name not in modules, f"{name} is imported on the cached statusline path"


def test_stale_statusline_starts_its_refresh_on_the_standard_library_alone(
    api: HTTPServer, home: Path, token: str
) -> None:
    support.write_credentials(home / ".claude", support.credentials_blob(token))
    support.serve(api, support.load_body("variant_new_keys_over_100.json"))
    stdin = json.dumps({"rate_limits": {"five_hour": {"used_percentage": 12, "resets_at": 1900000000}}})
    assert support.run_cli("statusline", input="{}").returncode == 0
    (entry_path,) = (home / ".cache").rglob("*.json")
    entry = json.loads(entry_path.read_text())
    entry["fetched_at"] -= 3600
    entry_path.write_text(json.dumps(entry))
    modules = modules_after("from claude_usage.cli import main\nrc = main(['statusline'])\nassert rc == 0", stdin)
    assert "claude_usage._spawn" in modules, "the stale render must start the background refresh"
    assert_render_path(modules, "the stale statusline path")


def test_import_claude_usage_is_nearly_free() -> None:
    modules = modules_after("import claude_usage")
    ours = [name for name in modules if name.startswith("claude_usage")]
    assert ours == ["claude_usage", "claude_usage._version"]
    for name in (*HEAVY, "importlib.metadata", "typing"):
        assert name not in modules


def test_public_names_defer_requests_cattrs_and_discovery() -> None:
    modules = modules_after("from claude_usage import get_usage, UsageData, UsageClient, ClaudeUsageError")
    for name in ("requests", "urllib3", "cattrs", "keyring", "importlib.metadata", "claude_usage._registry"):
        assert name not in modules, f"{name} is imported before any fetch or backend lookup"


@pytest.mark.parametrize("command", [["--version"], ["statusline", "--help"]])
def test_cheap_commands_do_not_import_the_client(command: list[str]) -> None:
    modules = modules_after(
        f"from claude_usage.cli import main\ntry:\n    main({command!r})\nexcept SystemExit:\n    pass"
    )
    for name in ("requests", "cattrs", "keyring", "importlib.metadata"):
        assert name not in modules


def test_the_statusline_script_renders_as_the_subcommand_without_the_launchers_re(
    api: HTTPServer, home: Path, token: str
) -> None:
    script = Path(support.cli_command()[0]).with_name("claude-usage-statusline")
    assert script.exists(), "the wheel installs claude-usage-statusline beside claude-usage"
    support.write_credentials(home / ".claude", support.credentials_blob(token))
    support.serve(api, support.load_body("variant_new_keys_over_100.json"))
    stdin = json.dumps({"rate_limits": {"five_hour": {"used_percentage": 12.9, "resets_at": 1900000000}}})
    expected = support.run_cli("statusline", "--color", "never", input=stdin)
    env = dict(os.environ, PYTHONPROFILEIMPORTTIME="1")
    done = subprocess.run(
        [str(script), "--color", "never"], input=stdin, capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert done.returncode == 0
    assert done.stdout == expected.stdout and done.stdout.startswith("5h 12%")
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "claude_usage.cli._statusline" in imported
    for name in (*HEAVY, *SLOW_STDLIB, *SLOW_OURS):
        assert name not in imported, f"{name} is imported by claude-usage-statusline"
