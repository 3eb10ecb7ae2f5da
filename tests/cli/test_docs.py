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


def test_readme_exit_codes_match_the_code() -> None:
    from claude_usage.cli import _exit

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in (_exit.OK, _exit.USAGE, _exit.CREDENTIALS, _exit.REJECTED, _exit.RATE_LIMITED, _exit.UNAVAILABLE):
        assert f"| {code} |" in readme
    assert f"| {_exit.INTERNAL} |" in readme
