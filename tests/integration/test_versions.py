"""The four distributions are released together, at one version.

Each distribution keeps its version in its own file (the three code
packages in a ``__version__`` line that hatchling reads, the meta-package
statically in its ``pyproject.toml``); these tests prove the four agree,
that every dependency between them is a compatible range that contains that
version, and that ``claude-usage --version`` reports it. Nothing is built or
installed: the files are parsed as they are in the checkout.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import support

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10: pytest itself depends on tomli there
    # mypy checks this branch (python_version 3.10) even where tomli is not
    # installed, as on the type env's 3.11+.
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ROOT / "packages"
DISTRIBUTIONS = ("claude-usage-core", "claude-usage-creds-linux", "claude-usage-creds-macos", "claude-usage")
VERSION_LINE = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']\s*$""", re.MULTILINE)


def pyproject(distribution: str) -> dict[str, Any]:
    with (PACKAGES / distribution / "pyproject.toml").open("rb") as file:
        document: dict[str, Any] = tomllib.load(file)
    return document


def declared_version(distribution: str) -> Version:
    """The version the distribution's build would carry, read from where hatchling reads it."""
    document = pyproject(distribution)
    project = document["project"]
    if "version" in project:
        assert "version" not in project.get("dynamic", []), distribution
        return Version(project["version"])
    assert "version" in project.get("dynamic", []), f"{distribution} declares no version"
    path = PACKAGES / distribution / document["tool"]["hatch"]["version"]["path"]
    found = VERSION_LINE.findall(path.read_text(encoding="utf-8"))
    assert len(found) == 1, f"{path} must hold exactly one __version__ line, found {found}"
    return Version(found[0])


def sibling_requirements(distribution: str) -> list[Requirement]:
    """The distribution's dependencies on the other three."""
    requirements = [Requirement(text) for text in pyproject(distribution)["project"].get("dependencies", [])]
    return [r for r in requirements if canonicalize_name(r.name) in DISTRIBUTIONS]


def next_breaking(version: Version) -> Version:
    """The first version allowed to break compatibility: the next minor
    while below 1.0 (0.1 -> 0.2), the next major after (1.4 -> 2.0)."""
    major, minor = version.release[0], version.release[1] if len(version.release) > 1 else 0
    return Version(f"0.{minor + 1}") if major == 0 else Version(f"{major + 1}")


@pytest.fixture(scope="module")
def version() -> Version:
    return declared_version("claude-usage-core")


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_every_distribution_carries_the_same_version(distribution: str, version: Version) -> None:
    assert pyproject(distribution)["project"]["name"] == distribution
    assert declared_version(distribution) == version


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_siblings_are_pinned_to_a_compatible_range_containing_it(distribution: str, version: Version) -> None:
    for requirement in sibling_requirements(distribution):
        where = f"{distribution} -> {requirement}"
        assert requirement.specifier.contains(version, prereleases=True), f"{where} excludes {version}"
        assert not requirement.specifier.contains(next_breaking(version), prereleases=True), (
            f"{where} admits {next_breaking(version)}, which may break compatibility"
        )
        assert any(spec.operator in {"<", "~=", "=="} for spec in requirement.specifier), f"{where} has no upper bound"


def test_meta_package_pulls_core_and_the_platform_backends() -> None:
    requirements: dict[str, Requirement] = {canonicalize_name(r.name): r for r in sibling_requirements("claude-usage")}
    assert set(requirements) == {"claude-usage-core", "claude-usage-creds-linux", "claude-usage-creds-macos"}
    # The file backend everywhere (the fallback after the Keychain on macOS) ...
    assert requirements["claude-usage-core"].marker is None
    assert requirements["claude-usage-creds-linux"].marker is None
    # ... the Keychain backend on macOS only.
    marker = requirements["claude-usage-creds-macos"].marker
    assert isinstance(marker, Marker)
    assert marker.evaluate({"sys_platform": "darwin"})
    assert not marker.evaluate({"sys_platform": "linux"})
    assert not marker.evaluate({"sys_platform": "win32"})
    # With what opens a login Claude Code sealed into an overflow item.
    assert requirements["claude-usage-creds-macos"].extras == {"sealed"}


def test_backends_depend_on_core() -> None:
    for distribution in ("claude-usage-creds-linux", "claude-usage-creds-macos"):
        names = {canonicalize_name(r.name) for r in sibling_requirements(distribution)}
        assert names == {"claude-usage-core"}, distribution


def test_cli_reports_the_version(version: Version) -> None:
    result = support.run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"claude-usage {version}"


def test_keyring_is_installed_on_macos_only() -> None:
    # A Linux install of the four packages/ stays lean: the Keychain backend is
    # installed (it then says "macOS only"), its keyring stack is not.
    requirements = [Requirement(text) for text in pyproject("claude-usage-creds-macos")["project"]["dependencies"]]
    third_party = [r for r in requirements if canonicalize_name(r.name) not in DISTRIBUTIONS]
    assert [canonicalize_name(r.name) for r in third_party] == ["keyring"]
    (keyring,) = third_party
    assert isinstance(keyring.marker, Marker)
    assert keyring.marker.evaluate({"sys_platform": "darwin"})
    assert not keyring.marker.evaluate({"sys_platform": "linux"})
    assert not keyring.marker.evaluate({"sys_platform": "win32"})


def test_the_npm_package_carries_the_same_version(version: Version) -> None:
    """The npm package wraps the command of the same release: one version."""
    manifest = json.loads((PACKAGES / "claude-usage-node" / "package.json").read_text(encoding="utf-8"))
    assert manifest["name"] == "claude-usage"
    assert Version(manifest["version"]) == version
    assert not manifest.get("dependencies"), "the npm package has no runtime dependencies"


def test_ci_runs_every_python_the_packages_claim() -> None:
    """The workflow's matrix: every Python of the classifiers on Linux, from
    the lowest that requires-python admits, and 3.11 and 3.13 on macOS."""
    workflow = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    jobs = set(re.findall(r'\{ os: ([a-z-]+), python: "([0-9.]+)" \}', workflow))
    linux = sorted((python for os_name, python in jobs if os_name == "ubuntu-latest"), key=Version)
    macos = sorted((python for os_name, python in jobs if os_name == "macos-latest"), key=Version)
    for distribution in DISTRIBUTIONS:
        project = pyproject(distribution)["project"]
        claimed = sorted(
            (c.rsplit(" :: ", 1)[1] for c in project["classifiers"] if re.fullmatch(r".*Python :: 3\.\d+", c)),
            key=Version,
        )
        assert claimed == linux, (distribution, claimed, linux)
        assert project["requires-python"] == f">={linux[0]}"
    assert linux == ["3.10", "3.11", "3.12", "3.13", "3.14"]
    assert macos == ["3.11", "3.13"]
    # Each job runs the README's test command.
    assert "python3 -m pip install tox && python3 -m tox" in workflow


@pytest.mark.parametrize("document", ["README.md", "docs/getting-started.md"])
def test_the_install_command_names_the_four_python_distributions(document: str) -> None:
    """The documented ``pip install`` names each Python distribution's folder
    and nothing else (a glob over packages/ would take in the npm package,
    which pip cannot install)."""
    text = (ROOT / document).read_text(encoding="utf-8").replace("\\\n", " ")
    (command,) = [line for line in text.splitlines() if "pip install ./packages" in line]
    named = re.findall(r"\./packages/(\S+)", command)
    assert sorted(named) == sorted(DISTRIBUTIONS), command
    for folder in named:
        assert (PACKAGES / folder / "pyproject.toml").is_file(), folder
