"""The documentation says what the code does."""

from __future__ import annotations

import importlib.util
from pathlib import Path

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


def test_readme_exit_codes_match_the_code() -> None:
    from claude_usage.cli import _exit

    documented = _table_codes((ROOT / "README.md").read_text(encoding="utf-8"), "### Exit codes")
    defined = {value for name, value in vars(_exit).items() if name.isupper() and isinstance(value, int)}
    assert documented == defined


def test_every_environment_variable_read_is_documented() -> None:
    import re

    import claude_usage
    import claude_usage_creds_linux
    import claude_usage_creds_macos

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
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = sorted(name for name in read if f"`{name}`" not in readme)
    assert missing == []
