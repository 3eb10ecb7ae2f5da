"""Fresh virtual environments, as a user or a plugin author would have them.

The tests build our wheels themselves (hatchling, no build isolation) and
install them with ``--no-index``: third-party wheels come from the wheelhouse
that tox's ``integration`` env downloads beforehand (``WHEELHOUSE``), so no
test touches the network. One of them installs the meta-package from a
wheelhouse of all four distributions, as a user would from PyPI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name, parse_wheel_filename
from pytest_httpserver import HTTPServer

import support

ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = os.environ.get("WHEELHOUSE", "")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not WHEELHOUSE,
        reason="needs WHEELHOUSE, the offline wheelhouse `tox -e integration` prepares",
    ),
]


def build_wheel(project: Path, out: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(project),
        ],
        check=True,
    )


class FreshEnv:
    def __init__(self, path: Path) -> None:
        venv.EnvBuilder(with_pip=True, clear=True).create(path)
        self.path = path
        self.python = path / "bin" / "python"

    def install(self, wheels: Path, *names: str) -> None:
        subprocess.run(
            [
                str(self.python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-index",
                "--find-links",
                str(wheels),
                "--find-links",
                WHEELHOUSE,
                *names,
            ],
            check=True,
        )

    def run(self, code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.python), "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            env=env or dict(os.environ),
            timeout=120,
            check=False,
        )

    def cli(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.path / "bin" / "claude-usage"), *args],
            capture_output=True,
            text=True,
            env=env or dict(os.environ),
            timeout=120,
            check=False,
        )


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheels")
    for project in ("packages/claude-usage-core", "examples/claude-usage-creds-command"):
        build_wheel(ROOT / project, out)
    return out


#: The four distributions of a release, as ``tox -e release`` builds them.
RELEASED = ("claude-usage-core", "claude-usage-creds-linux", "claude-usage-creds-macos", "claude-usage")


@pytest.fixture(scope="module")
def release_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheelhouse of all four distributions (and nothing else of ours)."""
    out = tmp_path_factory.mktemp("release-wheels")
    for distribution in RELEASED:
        build_wheel(ROOT / "packages" / distribution, out)
    return out


@pytest.fixture
def core_only(wheels: Path, tmp_path: Path) -> FreshEnv:
    env = FreshEnv(tmp_path / "venv")
    env.install(wheels, "claude-usage-core")
    return env


MY_BACKEND = """
    from claude_usage import CredentialBackend, Credentials, get_usage
    import os

    class MyBackend(CredentialBackend):
        name = "mine"
        def priority(self):
            return 1.0
        def read_credentials(self):
            return Credentials(access_token=os.environ["MY_SECRET"])
"""


def test_core_alone_explains_what_to_install(core_only: FreshEnv) -> None:
    listed = core_only.run(
        "import importlib.metadata as m; print(sorted(d.metadata['Name'] for d in m.distributions()))"
    )
    assert "claude-usage-creds-linux" not in listed.stdout and "claude-usage-core" in listed.stdout
    result = core_only.run(
        """
        from claude_usage import get_usage, NoBackendError
        try:
            get_usage()
        except NoBackendError as error:
            print(error)
        """
    )
    assert result.returncode == 0, result.stderr
    message = result.stdout
    assert "claude-usage-creds-linux" in message and "claude-usage-creds-macos" in message
    assert "env: CLAUDE_CODE_OAUTH_TOKEN is not set" in message
    cli = core_only.cli()
    assert cli.returncode == 3
    assert "claude-usage-creds-linux" in cli.stderr and "Traceback" not in cli.stderr


def test_core_alone_with_own_backend(core_only: FreshEnv, httpserver: HTTPServer, token: str) -> None:
    support.serve(httpserver, support.load_body("published_domain_2026_07.json"))
    env = {**os.environ, "MY_SECRET": token, "CLAUDE_USAGE_BASE_URL": httpserver.url_for("/").rstrip("/")}
    result = core_only.run(MY_BACKEND + "\n    print(get_usage(backend=MyBackend()).five_hour.utilization)", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "53.0"
    ((request, _),) = httpserver.log
    assert request.headers["Authorization"] == f"Bearer {token}"


def test_third_party_backend_by_priority_and_by_name(
    wheels: Path, tmp_path: Path, httpserver: HTTPServer, token: str
) -> None:
    env = FreshEnv(tmp_path / "venv")
    env.install(wheels, "claude-usage-creds-command")
    vault = tmp_path / "vault.json"
    vault.write_text(json.dumps(support.credentials_blob(token)))
    command = f'{env.python} -c "import sys; sys.stdout.write(open(sys.argv[1]).read())" {vault}'
    body = support.load_body("published_domain_2026_07.json")
    support.serve(httpserver, body)
    support.serve(httpserver, body)
    variables = {
        **os.environ,
        "CLAUDE_USAGE_TOKEN_COMMAND": command,
        "CLAUDE_USAGE_BASE_URL": httpserver.url_for("/").rstrip("/"),
    }

    backends = env.cli("backends", "--json", env=variables)
    assert backends.returncode == 0, backends.stderr
    listing = json.loads(backends.stdout)
    assert listing["selected"] == "command"
    assert {b["name"] for b in listing["backends"]} == {"env", "command"}

    by_priority = env.run("from claude_usage import get_usage; print(get_usage().seven_day.utilization)", env=variables)
    assert by_priority.returncode == 0, by_priority.stderr
    assert by_priority.stdout.strip() == "8.0"
    by_name = env.cli("--backend", "command", "--json", env=variables)
    assert by_name.returncode == 0, by_name.stderr
    assert json.loads(by_name.stdout)["five_hour"]["utilization"] == 53.0
    assert [request.headers["Authorization"] for request, _ in httpserver.log] == [f"Bearer {token}"] * 2
    support.assert_no_token(backends.stdout + by_priority.stdout + by_name.stdout + by_name.stderr, token)


def test_meta_package_installs_core_and_the_platform_backends(
    release_wheels: Path, tmp_path: Path, home: Path, httpserver: HTTPServer, token: str
) -> None:
    built = {
        canonicalize_name(name): version
        for name, version, _, _ in map(parse_wheel_filename, _wheel_names(release_wheels))
    }
    assert set(built) == set(RELEASED), built
    (version,) = set(built.values())  # one version for the four

    env = FreshEnv(tmp_path / "venv")
    env.install(release_wheels, "claude-usage")

    listed = env.run(
        """
        import importlib.metadata as m, json
        print(json.dumps({d.metadata["Name"]: d.version for d in m.distributions()}))
        """
    )
    assert listed.returncode == 0, listed.stderr
    ours = {
        canonicalize_name(name): installed
        for name, installed in json.loads(listed.stdout).items()
        if canonicalize_name(name) in RELEASED
    }
    on_macos = sys.platform == "darwin"
    expected = {"claude-usage", "claude-usage-core", "claude-usage-creds-linux"}
    if on_macos:
        expected.add("claude-usage-creds-macos")
    assert ours == dict.fromkeys(expected, str(version)), "the meta-package's markers chose other distributions"

    reported = env.cli("--version")
    assert reported.returncode == 0, reported.stderr
    assert reported.stdout.strip() == f"claude-usage {version}"

    support.write_credentials(home / ".claude", support.credentials_blob(token))
    backends = env.cli("backends", "--json")
    assert backends.returncode == 0, backends.stderr
    listing = json.loads(backends.stdout)
    names = {backend["name"] for backend in listing["backends"]}
    assert names == ({"env", "file", "keychain"} if on_macos else {"env", "file"})
    assert listing["selected"] == ("keychain" if on_macos else "file")

    support.serve(httpserver, support.load_body("published_domain_2026_07.json"))
    variables = {
        **os.environ,
        "CLAUDE_USAGE_BASE_URL": httpserver.url_for("/").rstrip("/"),
        "CLAUDE_USAGE_CACHE_DIR": str(tmp_path / "cache"),
    }
    shown = env.cli("--backend", "file", "--json", env=variables)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["seven_day"]["utilization"] == 8.0
    support.assert_no_token(backends.stdout + shown.stdout + shown.stderr, token)


def _wheel_names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.glob("*.whl"))


@pytest.mark.skipif(sys.platform == "darwin", reason="on macOS keyring is the Keychain backend's dependency")
def test_all_four_on_linux_stay_lean(release_wheels: Path, tmp_path: Path, home: Path) -> None:
    # What the README's install of the four packages installs: every distribution. The
    # wheelhouse holds no keyring off macOS, so a keyring requirement without
    # the marker would fail this install.
    env = FreshEnv(tmp_path / "venv")
    env.install(release_wheels, *RELEASED)
    imported = env.run("import importlib.util as u; print([u.find_spec(n) is None for n in ('keyring', 'jeepney')])")
    assert imported.stdout.strip() == "[True, True]", imported.stderr
    backends = env.cli("backends", "--json")
    assert backends.returncode == 0, backends.stderr
    keychain = next(b for b in json.loads(backends.stdout)["backends"] if b["name"] == "keychain")
    assert keychain["available"] is False
    assert keychain["reason"].startswith("macOS only")
    doctor = env.cli("doctor", "--backend", "keychain")
    assert doctor.returncode == 3
    assert "keychain  unavailable: macOS only" in doctor.stdout
    # Advice never names what is installed.
    assert "install claude-usage-creds" not in doctor.stdout.lower(), doctor.stdout
