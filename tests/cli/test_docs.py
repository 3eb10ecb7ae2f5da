"""The documentation says what the code does."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from pytest_httpserver import HTTPServer

import support

ROOT = Path(__file__).resolve().parents[2]


def test_cli_reference_is_generated_from_the_current_parsers() -> None:
    spec = importlib.util.spec_from_file_location("generate_cli_reference", ROOT / "docs" / "generate_cli_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = (ROOT / "docs" / "cli-reference.md").read_text(encoding="utf-8")
    assert module.render() == current, "docs/cli-reference.md is stale: run python docs/generate_cli_reference.py"


def _table_codes(text: str, heading: str) -> set[int]:
    section = text.split(heading, 1)[1]
    codes: set[int] = set()
    for line in section.splitlines()[1:]:
        if line.startswith("#"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells and cells[0].isdigit():
            codes.add(int(cells[0]))
    return codes


def _table_names(text: str, heading: str) -> set[str]:
    """The back-quoted names in the first column of the table under ``heading``."""
    import re

    section = text.split(heading, 1)[1]
    names: set[str] = set()
    for line in section.splitlines()[1:]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            names |= set(re.findall(r"`([A-Z][A-Z_]+)`", line.strip("|").split("|")[0]))
    return names


def _help_section(title: str) -> str:
    result = support.run_cli("--help")
    assert result.returncode == 0, result.stderr
    return result.stdout.split(f"\n{title}:\n", 1)[1].split("\n\n", 1)[0]


def test_exit_codes_are_one_list_in_code_help_readme_and_docs() -> None:
    from claude_usage.cli import _exit

    defined = {value for name, value in vars(_exit).items() if name.isupper() and isinstance(value, int)}
    listed = {code for code, _ in _exit.MEANINGS}
    in_help = {int(line.split()[0]) for line in _help_section("exit codes").splitlines()}
    readme = _table_codes((ROOT / "README.md").read_text(encoding="utf-8"), "### Exit codes")
    docs = _table_codes((ROOT / "docs" / "cli.md").read_text(encoding="utf-8"), "## Exit codes")
    assert defined == listed == in_help == readme == docs


def test_environment_variables_are_one_list_in_code_help_readme_and_docs() -> None:
    import re

    from claude_usage.cli._main import ENVIRONMENT

    listed = {name for names, _ in ENVIRONMENT for name in names.split(", ")}
    rows = re.findall(r"^  ([A-Z][A-Z_]+(?:, [A-Z][A-Z_]+)*)", _help_section("environment"), re.M)
    in_help_names = {name for row in rows for name in row.split(", ")}
    readme = _table_names((ROOT / "README.md").read_text(encoding="utf-8"), "### Environment")
    docs = _table_names((ROOT / "docs" / "cli.md").read_text(encoding="utf-8"), "## Environment")
    assert listed == in_help_names == readme == docs


def test_every_environment_variable_read_is_documented() -> None:
    import re

    import claude_usage
    import claude_usage_creds_linux
    import claude_usage_creds_macos
    from claude_usage.cli._main import ENVIRONMENT

    read: set[str] = set()
    packages = (claude_usage, claude_usage_creds_linux, claude_usage_creds_macos)
    for path in (p for package in packages for p in Path(str(package.__file__)).parent.rglob("*.py")):
        # Variable names appear in the code as string literals.
        read |= set(re.findall(r"[\"'](CLAUDE_[A-Z_]*[A-Z])[\"']", path.read_text("utf-8")))
    assert {
        "CLAUDE_CONFIG_DIR",
        "CLAUDE_USAGE_BASE_URL",
        "CLAUDE_CODE_OAUTH_TOKEN",
        "CLAUDE_USAGE_KEYCHAIN_READER",
    } <= read
    listed = {name for names, _ in ENVIRONMENT for name in names.split(", ")}
    assert sorted(read - listed) == []


def test_readme_statusline_example_runs_as_written(tmp_path: Path) -> None:
    import json
    import re
    import subprocess

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (command,) = re.findall(r"^\$ (claude-usage statusline .*)$", readme, re.MULTILINE)
    payload = json.loads((ROOT / "examples" / "claude-code-status.json").read_text(encoding="utf-8"))
    assert payload["version"] == "2.1.332"
    assert set(payload["rate_limits"]) == {"five_hour", "seven_day"}
    # The shell runs the line from the repository root, with the installed command first on PATH.
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(support.cli_command()[0]).parent), os.environ["PATH"]])}
    result = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert line.startswith("5h 53% ") and " · 7d 41% " in line, line


def test_statusline_docs_show_every_key_of_the_real_payload() -> None:
    import json

    payload = json.loads((ROOT / "examples" / "claude-code-status.json").read_text(encoding="utf-8"))
    shape = (ROOT / "docs" / "statusline.md").read_text(encoding="utf-8").split("## What Claude Code sends on stdin")[1]
    missing = [key for key in payload if key not in shape]
    missing += [f"context_window.{key}" for key in payload["context_window"] if key not in shape]
    assert missing == []
    captured = json.dumps(payload)
    assert "/tmp/cc" not in captured and "/root" not in captured, "session-specific paths are made neutral"


def test_readme_python_example_goes_through_the_shared_cache(
    api: HTTPServer, home: Path, token: str, tmp_path: Path
) -> None:
    import re
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (example,) = [block for block in re.findall(r"```python\n(.*?)```", readme, re.S) if "get_usage(" in block]
    assert "get_usage(max_age=60)" in example
    support.write_credentials(home / ".claude", support.credentials_blob(token))
    support.serve(api, support.load_body("published_domain_2026_07.json"))
    script = tmp_path / "example.py"
    script.write_text(example, encoding="utf-8")
    for _ in range(3):
        run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False)
        assert run.returncode == 0, run.stderr
        assert run.stdout.startswith("53.0 "), run.stdout
        support.assert_no_token(run.stdout + run.stderr, token)
    assert len(api.log) == 1, "three runs, one request: the example reads through the shared cache"
