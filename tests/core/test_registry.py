"""Backend discovery and selection through real entry points.

Each scenario installs a fake distribution (a ``*.dist-info`` directory with
``entry_points.txt``) in a temporary directory and runs Python in a
subprocess with that directory on ``PYTHONPATH``: ``importlib.metadata``
then finds the plugin exactly as it finds an installed one, and the
per-process entry-point cache starts empty. Nothing here assumes which other
backends (``file``, ``keychain``) are installed: expectations are computed
from what the subprocess lists, or the plugins outrank every real backend.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar

import pytest

import claude_usage
import support
from claude_usage import (
    BackendUnavailable,
    CredentialBackend,
    Credentials,
    CredentialsNotFoundError,
    InvalidCredentialsError,
    NoBackendError,
    SecretToken,
    TokenExpiredError,
    load_credentials,
)
from claude_usage.api import select_and_load
from claude_usage.env_backend import EnvBackend

PLUGIN_MODULE = '''
"""A third-party credential backend package, as a plugin author writes one."""

from __future__ import annotations

from datetime import datetime, timezone

from claude_usage import BackendUnavailable, CredentialBackend, Credentials, CredentialsNotFoundError

CALLS: list[str] = []
EXPIRED = datetime(2001, 1, 1, tzinfo=timezone.utc)
SECRET_TEXT = "plugin-internal-detail-7f3a9c"


def token_for(tag: str) -> str:
    return "sk-ant-oat01-" + tag + "A" * 40


class _Base(CredentialBackend):
    """A fake store."""

    PRIORITY = 0.0

    def priority(self) -> float:
        return self.PRIORITY

    def read_credentials(self) -> Credentials:
        CALLS.append(type(self).__name__)
        # Expired: get_usage stops with TokenExpiredError before any request.
        return Credentials(access_token=token_for(type(self).__name__), expires_at=EXPIRED)


class High1000(_Base):
    PRIORITY = 1000.0


class High999(_Base):
    PRIORITY = 999.0


class Tie(_Base):
    PRIORITY = 700.0


class P50(_Base):
    PRIORITY = 50.0


class Zero(_Base):
    PRIORITY = 0.0


class Negative(_Base):
    PRIORITY = -5.0


class Unavailable(_Base):
    def priority(self) -> float:
        raise BackendUnavailable("needs the frobnicator, which is not installed")


class PriorityBoom(_Base):
    def priority(self) -> float:
        raise RuntimeError(SECRET_TEXT)


class PriorityNotNumber(_Base):
    def priority(self) -> float:
        return "very high"  # type: ignore[return-value]


class ConstructorBoom(_Base):
    PRIORITY = 1000.0

    def __init__(self, *, config_dir: str | None = None) -> None:
        raise RuntimeError(SECRET_TEXT)


class NotFoundTop(_Base):
    PRIORITY = 1000.0

    def read_credentials(self) -> Credentials:
        CALLS.append(type(self).__name__)
        raise CredentialsNotFoundError("nothing in the top store")


class NotFoundSecond(_Base):
    PRIORITY = 999.0

    def read_credentials(self) -> Credentials:
        CALLS.append(type(self).__name__)
        raise CredentialsNotFoundError("nothing in the second store")


class Crashes(_Base):
    PRIORITY = 1000.0

    def read_credentials(self) -> Credentials:
        CALLS.append(type(self).__name__)
        secret = token_for("Crashes")
        raise KeyError(SECRET_TEXT + " " + secret)


class ReturnsWrongType(_Base):
    PRIORITY = 1000.0

    def read_credentials(self) -> Credentials:
        CALLS.append(type(self).__name__)
        return token_for("ReturnsWrongType")  # type: ignore[return-value]


class ProfileAware(_Base):
    PRIORITY = 50.0

    def read_credentials(self) -> Credentials:
        CALLS.append(f"ProfileAware:{self.config_dir}")
        return Credentials(access_token=token_for("ProfileAware"), expires_at=EXPIRED)


class NotABackend:
    def priority(self) -> float:
        return 1000.0

    def read_credentials(self) -> Credentials:
        CALLS.append("NotABackend")
        raise AssertionError("never called")


def not_a_class() -> Credentials:
    CALLS.append("not_a_class")
    raise AssertionError("never called")
'''

BROKEN_MODULE = """
raise ImportError("fakeplugin_broken needs a library that is not installed")
"""

#: entry-point name -> object reference, for every plugin a test can install.
ENTRY_POINTS = {
    "zz_high": "fakeplugin_mod:High1000",
    "aa_high": "fakeplugin_mod:High999",
    "tie_b": "fakeplugin_mod:Tie",
    "tie_a": "fakeplugin_mod:Tie",
    "p50": "fakeplugin_mod:P50",
    "zero": "fakeplugin_mod:Zero",
    "negative": "fakeplugin_mod:Negative",
    "unavailable": "fakeplugin_mod:Unavailable",
    "priority_boom": "fakeplugin_mod:PriorityBoom",
    "priority_nan": "fakeplugin_mod:PriorityNotNumber",
    "ctor_boom": "fakeplugin_mod:ConstructorBoom",
    "notfound_top": "fakeplugin_mod:NotFoundTop",
    "notfound_second": "fakeplugin_mod:NotFoundSecond",
    "crashes": "fakeplugin_mod:Crashes",
    "wrong_type": "fakeplugin_mod:ReturnsWrongType",
    "profile_aware": "fakeplugin_mod:ProfileAware",
    "not_a_backend": "fakeplugin_mod:NotABackend",
    "not_a_class": "fakeplugin_mod:not_a_class",
    "import_error": "fakeplugin_broken:Anything",
    "missing_module": "fakeplugin_does_not_exist:Anything",
    "missing_attr": "fakeplugin_mod:DoesNotExist",
}

PRELUDE = '''
import json
import logging
import sys

RECORDS = []


class _Collect(logging.Handler):
    def emit(self, record):
        RECORDS.append({"level": record.levelname, "message": record.getMessage()})


_logger = logging.getLogger("claude_usage")
_logger.addHandler(_Collect())
_logger.setLevel(logging.DEBUG)

import claude_usage
from claude_usage import (
    backend_names, backend_statuses, get_usage, load_credentials, parse_claude_code_credentials,
)
from claude_usage.api import select_and_load

result = {}


def outcome(func, *args, **kwargs):
    """What a call did: the chosen backend's name, or the error."""
    try:
        value = func(*args, **kwargs)
    except Exception as exc:
        return {
            "error": type(exc).__name__,
            "bases": [cls.__name__ for cls in type(exc).__mro__],
            "message": str(exc),
            "has_context": exc.__context__ is not None,
            "has_cause": exc.__cause__ is not None,
        }
    if isinstance(value, tuple):
        return {"backend": value[0].name}
    return {"value": type(value).__name__}


def calls():
    module = sys.modules.get("fakeplugin_mod")
    return list(module.CALLS) if module is not None else []


def reset_calls():
    module = sys.modules.get("fakeplugin_mod")
    if module is not None:
        module.CALLS.clear()


def step(label, func, *args, **kwargs):
    reset_calls()
    result[label] = outcome(func, *args, **kwargs)
    result[label]["calls"] = calls()

'''

EPILOGUE = """
result["names"] = backend_names()
result["statuses"] = [
    {"name": s.name, "priority": s.priority, "reason": s.reason, "automatic": s.automatic, "origin": s.origin}
    for s in backend_statuses()
]
result["logs"] = RECORDS
print("RESULT " + json.dumps(result))
"""


def install_plugin(site: Path, names: list[str]) -> None:
    """A fake installed distribution registering ``names`` as backends."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "fakeplugin_mod.py").write_text(PLUGIN_MODULE)
    (site / "fakeplugin_broken.py").write_text(BROKEN_MODULE)
    dist_info = site / "fakeplugin-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeplugin\nVersion: 1.0\n")
    lines = ["[claude_usage.backends]", *(f"{name} = {ENTRY_POINTS[name]}" for name in names)]
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    (dist_info / "RECORD").write_text("")


def run_scenario(tmp_path: Path, plugins: list[str], script: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Install ``plugins`` and run ``script`` (with PRELUDE/EPILOGUE) in a fresh interpreter."""
    site = tmp_path / "site"
    install_plugin(site, plugins)
    program = tmp_path / "scenario.py"
    program.write_text(PRELUDE + textwrap.dedent(script) + EPILOGUE)
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    # Should anything get as far as a request, it goes nowhere.
    environment["CLAUDE_USAGE_BASE_URL"] = "http://127.0.0.1:9"
    environment.pop("PYTHONSTARTUP", None)
    environment.update(env or {})
    completed = subprocess.run(
        [sys.executable, str(program)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=str(tmp_path),
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    lines = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(lines) == 1, completed.stdout + completed.stderr
    parsed: dict[str, Any] = json.loads(lines[0][len("RESULT ") :])
    parsed["stderr"] = completed.stderr
    return parsed


def status(result: dict[str, Any], name: str) -> dict[str, Any]:
    matches = [entry for entry in result["statuses"] if entry["name"] == name]
    assert len(matches) == 1, result["statuses"]
    found: dict[str, Any] = matches[0]
    return found


def warnings_about(result: dict[str, Any], name: str) -> list[str]:
    return [
        record["message"]
        for record in result["logs"]
        if record["level"] == "WARNING" and repr(name) in record["message"]
    ]


# -- discovery -------------------------------------------------------------------------------


def test_plugin_is_discovered_through_its_entry_point(tmp_path: Path) -> None:
    result = run_scenario(tmp_path, ["p50", "zero"], "")
    assert {"env", "p50", "zero"} <= set(result["names"])
    assert result["names"] == sorted(result["names"])
    p50 = status(result, "p50")
    assert p50["priority"] == 50.0
    assert p50["automatic"] is True
    assert p50["origin"] == "fakeplugin 1.0"
    zero = status(result, "zero")
    assert zero["priority"] == 0.0
    assert zero["automatic"] is False
    env = status(result, "env")
    assert env["priority"] is None
    assert "CLAUDE_CODE_OAUTH_TOKEN" in env["reason"]


def test_without_the_plugin_it_is_not_listed(tmp_path: Path) -> None:
    result = run_scenario(tmp_path, [], "")
    assert "env" in result["names"]
    assert not {"p50", "zero"} & set(result["names"])


# -- automatic selection ------------------------------------------------------------------


def test_highest_priority_wins_not_the_first_name(tmp_path: Path) -> None:
    result = run_scenario(
        tmp_path,
        ["aa_high", "zz_high", "p50"],
        """
        step("select", select_and_load)
        step("get_usage", get_usage)
        step("load", load_credentials)
        """,
    )
    assert result["select"]["backend"] == "zz_high"
    assert result["select"]["calls"] == ["High1000"]
    # get_usage went through the same choice, then refused the expired token.
    assert result["get_usage"]["error"] == "TokenExpiredError"
    assert result["get_usage"]["calls"] == ["High1000"]
    assert result["load"]["value"] == "Credentials"
    assert result["load"]["calls"] == ["High1000"]


def test_equal_priorities_break_ties_by_name(tmp_path: Path) -> None:
    result = run_scenario(tmp_path, ["tie_b", "tie_a"], 'step("select", select_and_load)')
    assert result["select"]["backend"] == "tie_a"
    # One class behind two entry points keeps both names.
    assert status(result, "tie_a")["priority"] == status(result, "tie_b")["priority"] == 700.0


def test_plugin_at_50_beats_the_real_backends_when_env_is_unset(tmp_path: Path) -> None:
    result = run_scenario(tmp_path, ["p50"], 'step("select", select_and_load)')
    assert result["select"]["backend"] == "p50"
    # Computed from what is installed here: p50 outranks every other viable backend.
    others = [entry for entry in result["statuses"] if entry["automatic"] and entry["name"] != "p50"]
    assert all(entry["priority"] < 50.0 for entry in others), others
    assert status(result, "env")["automatic"] is False


def test_env_backend_beats_the_plugin_when_the_variable_is_set(tmp_path: Path) -> None:
    env_token = support.make_token()
    result = run_scenario(
        tmp_path,
        ["p50"],
        """
        step("select", select_and_load)
        step("with_profile", select_and_load, config_dir="/some/profile")
        step("explicit_env_with_profile", select_and_load, "env", config_dir="/some/profile")
        """,
        env={"CLAUDE_CODE_OAUTH_TOKEN": env_token},
    )
    env = status(result, "env")
    assert env["priority"] == 100.0
    assert env["automatic"] is True
    assert env["priority"] == max(entry["priority"] or 0 for entry in result["statuses"] if entry["name"] != "p50")
    assert result["select"]["backend"] == "env"
    assert result["select"]["calls"] == []
    # A profile was asked for: the variable belongs to no profile.
    assert result["with_profile"]["backend"] == "p50"
    assert result["explicit_env_with_profile"]["error"] == "NoBackendError"
    assert "profile" in result["explicit_env_with_profile"]["message"]
    support.assert_no_token(json.dumps(result), env_token)


def test_config_dir_reaches_the_plugin(tmp_path: Path) -> None:
    result = run_scenario(
        tmp_path,
        ["profile_aware"],
        """
        step("default", load_credentials)
        step("profile", load_credentials, config_dir="/work/profile-a")
        step("explicit", load_credentials, "profile_aware", config_dir="/work/profile-b")
        """,
    )
    assert result["default"]["calls"] == ["ProfileAware:None"]
    assert result["profile"]["calls"] == ["ProfileAware:/work/profile-a"]
    assert result["explicit"]["calls"] == ["ProfileAware:/work/profile-b"]


def test_zero_and_negative_priority_never_chosen_automatically(tmp_path: Path) -> None:
    result = run_scenario(
        tmp_path,
        ["zero", "negative"],
        """
        step("auto", select_and_load)
        step("get_usage", get_usage)
        step("explicit_zero", select_and_load, "zero")
        step("explicit_negative", select_and_load, "negative")
        """,
    )
    for label in ("auto", "get_usage"):
        assert result[label]["calls"] == [], label
        assert "backend" not in result[label]
        # Whatever else is installed found nothing in the isolated HOME, or nothing was viable.
        assert result[label]["error"] in {"NoBackendError", "CredentialsNotFoundError"}
    viable = [entry["name"] for entry in result["statuses"] if entry["automatic"]]
    assert "zero" not in viable
    assert "negative" not in viable
    if not viable:
        assert result["auto"]["error"] == "NoBackendError"
        assert "zero: only used when chosen by name" in result["auto"]["message"]
    # By name they work.
    assert result["explicit_zero"]["backend"] == "zero"
    assert result["explicit_zero"]["calls"] == ["Zero"]
    assert result["explicit_negative"]["backend"] == "negative"


# -- explicit choice ---------------------------------------------------------------------


def test_explicit_choice_by_argument_and_variable(tmp_path: Path) -> None:
    result = run_scenario(
        tmp_path,
        ["zz_high", "p50"],
        """
        import os

        step("argument", get_usage, backend="p50")
        step("argument_positional", select_and_load, "p50")
        os.environ["CLAUDE_USAGE_BACKEND"] = "p50"
        step("variable", get_usage)
        step("variable_select", select_and_load)
        os.environ["CLAUDE_USAGE_BACKEND"] = "  p50\\n"
        step("variable_padded", select_and_load)
        step("argument_beats_variable", select_and_load, "zz_high")
        os.environ["CLAUDE_USAGE_BACKEND"] = "   "
        step("blank_variable_is_automatic", select_and_load)
        """,
    )
    assert result["argument"]["error"] == "TokenExpiredError"
    assert result["argument"]["calls"] == ["P50"]
    assert result["argument_positional"]["backend"] == "p50"
    assert result["variable"]["error"] == "TokenExpiredError"
    assert result["variable"]["calls"] == ["P50"]
    assert result["variable_select"]["backend"] == "p50"
    assert result["variable_padded"]["backend"] == "p50"
    assert result["argument_beats_variable"]["backend"] == "zz_high"
    assert result["blank_variable_is_automatic"]["backend"] == "zz_high"


def test_variable_from_the_environment_at_start(tmp_path: Path) -> None:
    result = run_scenario(
        tmp_path, ["zz_high", "p50"], 'step("select", select_and_load)', env={"CLAUDE_USAGE_BACKEND": "p50"}
    )
    assert result["select"]["backend"] == "p50"
    assert result["select"]["calls"] == ["P50"]


def test_unknown_explicit_name(tmp_path: Path) -> None:
    result = run_scenario(
        tmp_path,
        ["p50", "zero"],
        """
        import os

        step("argument", get_usage, backend="nonesuch")
        os.environ["CLAUDE_USAGE_BACKEND"] = "nonesuch"
        step("variable", load_credentials)
        """,
    )
    for label in ("argument", "variable"):
        outcome = result[label]
        assert outcome["error"] == "NoBackendError", outcome
        assert "LookupError" in outcome["bases"]
        assert "nonesuch" in outcome["message"]
        for name in result["names"]:
            assert name in outcome["message"]
        assert outcome["calls"] == []
        assert outcome["has_context"] is False


def test_explicit_but_unavailable(tmp_path: Path) -> None:
    result = run_scenario(
        tmp_path,
        ["unavailable", "p50"],
        """
        import os

        step("argument", get_usage, backend="unavailable")
        os.environ["CLAUDE_USAGE_BACKEND"] = "unavailable"
        step("variable", select_and_load)
        del os.environ["CLAUDE_USAGE_BACKEND"]
        step("auto", select_and_load)
        """,
    )
    for label in ("argument", "variable"):
        outcome = result[label]
        assert outcome["error"] == "NoBackendError", outcome
        assert "'unavailable'" in outcome["message"]
        assert "needs the frobnicator, which is not installed" in outcome["message"]
        assert outcome["calls"] == []
    assert status(result, "unavailable")["reason"] == "needs the frobnicator, which is not installed"
    assert result["auto"]["backend"] == "p50"


def test_explicit_env_backend_when_unset(tmp_path: Path) -> None:
    result = run_scenario(tmp_path, ["p50"], 'step("env", select_and_load, "env")')
    assert result["env"]["error"] == "NoBackendError"
    assert "CLAUDE_CODE_OAUTH_TOKEN is not set" in result["env"]["message"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("import_error", "ImportError"),
        ("missing_module", "ModuleNotFoundError"),
        ("missing_attr", "AttributeError"),
        ("not_a_backend", "TypeError"),
        ("not_a_class", "TypeError"),
        ("ctor_boom", "RuntimeError"),
        ("priority_boom", "RuntimeError"),
        ("priority_nan", "ValueError"),
    ],
)
def test_explicit_broken_plugin_is_refused_with_its_reason(tmp_path: Path, name: str, reason: str) -> None:
    result = run_scenario(tmp_path, [name, "p50"], f'step("explicit", select_and_load, "{name}")')
    outcome = result["explicit"]
    assert outcome["error"] == "NoBackendError"
    assert repr(name) in outcome["message"]
    assert reason in outcome["message"]
    assert "plugin-internal-detail" not in outcome["message"]
    assert outcome["calls"] == []


# -- broken plugins do not stop the others -------------------------------------------------

BROKEN = [
    "import_error",
    "missing_module",
    "missing_attr",
    "not_a_backend",
    "not_a_class",
    "ctor_boom",
    "priority_boom",
    "priority_nan",
]


def test_broken_plugins_are_skipped_with_a_warning(tmp_path: Path) -> None:
    result = run_scenario(
        tmp_path,
        [*BROKEN, "p50"],
        """
        step("select", select_and_load)
        step("get_usage", get_usage)
        """,
    )
    assert result["select"]["backend"] == "p50"
    assert result["select"]["calls"] == ["P50"]
    assert result["get_usage"]["error"] == "TokenExpiredError"
    assert result["get_usage"]["calls"] == ["P50"]
    for name in BROKEN:
        assert warnings_about(result, name), f"no warning about {name}: {result['logs']}"
        entry = status(result, name)
        assert entry["priority"] is None
        assert entry["automatic"] is False
        assert entry["reason"]
    assert "failed to load (ImportError)" in status(result, "import_error")["reason"]
    assert "failed to load (TypeError)" in status(result, "not_a_backend")["reason"]
    assert "priority() failed (RuntimeError)" in status(result, "priority_boom")["reason"]
    # The scenario printed no traceback: the failures were handled.
    assert "Traceback" not in result["stderr"]


def test_only_broken_plugins_means_no_backend_from_them(tmp_path: Path) -> None:
    result = run_scenario(tmp_path, BROKEN, 'step("select", select_and_load)')
    assert "backend" not in result["select"]
    assert result["select"]["calls"] == []
    assert result["select"]["error"] in {"NoBackendError", "CredentialsNotFoundError"}
    if not any(entry["automatic"] for entry in result["statuses"]):
        assert result["select"]["error"] == "NoBackendError"
        for name in BROKEN:
            assert name in result["select"]["message"]


def test_priority_warning_does_not_quote_the_exception_text(tmp_path: Path) -> None:
    result = run_scenario(tmp_path, ["priority_boom", "p50"], 'step("select", select_and_load)')
    assert warnings_about(result, "priority_boom")
    assert "plugin-internal-detail" not in json.dumps(result["logs"])


# -- read_credentials failures -----------------------------------------------------------------


def test_unexpected_exception_from_a_plugin(tmp_path: Path) -> None:
    result = run_scenario(
        tmp_path,
        ["crashes", "p50"],
        """
        step("auto", load_credentials)
        step("explicit", get_usage, backend="crashes")
        step("select", select_and_load)
        """,
    )
    leaked = "sk-ant-oat01-Crashes" + "A" * 40
    for label in ("auto", "explicit", "select"):
        outcome = result[label]
        assert outcome["error"] == "InvalidCredentialsError", outcome
        assert "'crashes'" in outcome["message"]
        assert "KeyError" in outcome["message"]
        assert "plugin-internal-detail" not in outcome["message"]
        support.assert_no_token(outcome["message"], leaked)
        # Any error other than "not found" stops the search: p50 is not tried.
        assert outcome["calls"] == ["Crashes"]
    for label in ("auto", "explicit"):
        assert result[label]["has_context"] is False
        assert result[label]["has_cause"] is False
    assert "plugin-internal-detail" not in json.dumps(result["logs"])


def test_plugin_returning_something_else(tmp_path: Path) -> None:
    result = run_scenario(tmp_path, ["wrong_type"], 'step("explicit", load_credentials, "wrong_type")')
    outcome = result["explicit"]
    assert outcome["error"] == "InvalidCredentialsError"
    assert "'wrong_type'" in outcome["message"]
    assert "str" in outcome["message"]
    support.assert_no_token(outcome["message"], "sk-ant-oat01-ReturnsWrongType" + "A" * 40)


def test_not_found_falls_through_in_automatic_mode_only(tmp_path: Path) -> None:
    result = run_scenario(
        tmp_path,
        ["notfound_top", "p50"],
        """
        import os

        step("auto", select_and_load)
        step("auto_get_usage", get_usage)
        step("explicit", select_and_load, "notfound_top")
        step("explicit_get_usage", get_usage, backend="notfound_top")
        os.environ["CLAUDE_USAGE_BACKEND"] = "notfound_top"
        step("variable", get_usage)
        """,
    )
    assert result["auto"]["backend"] == "p50"
    assert result["auto"]["calls"] == ["NotFoundTop", "P50"]
    assert result["auto_get_usage"]["error"] == "TokenExpiredError"
    assert result["auto_get_usage"]["calls"] == ["NotFoundTop", "P50"]
    for label in ("explicit", "explicit_get_usage", "variable"):
        outcome = result[label]
        assert outcome["error"] == "CredentialsNotFoundError", outcome
        assert "nothing in the top store" in outcome["message"]
        assert outcome["calls"] == ["NotFoundTop"]


def test_not_found_everywhere_names_every_place(tmp_path: Path) -> None:
    result = run_scenario(tmp_path, ["notfound_top", "notfound_second"], 'step("auto", load_credentials)')
    outcome = result["auto"]
    assert outcome["error"] == "CredentialsNotFoundError"
    assert outcome["calls"] == ["NotFoundTop", "NotFoundSecond"]
    assert "nothing in the top store" in outcome["message"]
    assert "nothing in the second store" in outcome["message"]
    assert outcome["has_context"] is False


# -- in process: backends passed directly, and the env backend ---------------------------------


class DirectBackend(CredentialBackend):
    """A backend the caller builds itself."""

    def __init__(self, token: str, *, expires_at: datetime | None = None, config_dir: str | None = None) -> None:
        super().__init__(config_dir=config_dir)
        self.calls = 0
        self._token = token
        self._expires_at = expires_at

    def priority(self) -> float:
        raise RuntimeError("priority() must not be called for a backend passed directly")

    def read_credentials(self) -> Credentials:
        self.calls += 1
        return Credentials(access_token=self._token, expires_at=self._expires_at)


class UnavailableDirect(DirectBackend):
    def priority(self) -> float:
        raise BackendUnavailable("never available")


class ZeroDirect(DirectBackend):
    def priority(self) -> float:
        return 0.0


@pytest.mark.parametrize("cls", [DirectBackend, UnavailableDirect, ZeroDirect])
def test_backend_instance_is_used_without_priority(token: str, cls: type[DirectBackend]) -> None:
    backend = cls(token)
    chosen, credentials = select_and_load(backend)
    assert chosen is backend
    assert credentials.access_token == SecretToken(token)
    assert load_credentials(backend).access_token == SecretToken(token)
    assert backend.calls == 2


def test_backend_instance_beats_the_variables(token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_USAGE_BACKEND", "nonesuch")
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", support.make_token())
    backend = DirectBackend(token)
    assert load_credentials(backend).access_token == SecretToken(token)


def test_get_usage_with_an_instance_reads_it(token: str) -> None:
    backend = DirectBackend(token, expires_at=datetime.now(timezone.utc) - timedelta(days=1))
    with pytest.raises(TokenExpiredError) as caught:
        claude_usage.get_usage(backend)
    assert backend.calls == 1
    support.assert_no_token(str(caught.value), token)


def test_env_backend_priority(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    with pytest.raises(BackendUnavailable, match="CLAUDE_CODE_OAUTH_TOKEN"):
        EnvBackend().priority()
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", "   ")
    with pytest.raises(BackendUnavailable):
        EnvBackend().priority()
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", token)
    assert EnvBackend().priority() == 100.0
    with pytest.raises(BackendUnavailable, match="profile"):
        EnvBackend(config_dir="/some/profile").priority()
    with pytest.raises(BackendUnavailable):
        EnvBackend(config_dir="").priority()


def test_env_backend_is_the_highest_installed(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", token)
    statuses = claude_usage.backend_statuses()
    env = next(entry for entry in statuses if entry.name == "env")
    assert env.automatic
    assert env.priority is not None
    assert all(entry.priority is None or entry.priority < env.priority for entry in statuses if entry is not env)
    chosen, credentials = select_and_load()
    assert chosen.name == "env"
    assert credentials.access_token == SecretToken(token)
    assert credentials.expires_at is None
    # As Claude Code assumes for this variable: inference-only.
    assert credentials.scopes == ("user:inference",)
    assert credentials.source == "CLAUDE_CODE_OAUTH_TOKEN"


def test_env_backend_reads_the_variable(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", f"  {token}\n")
    credentials = EnvBackend().read_credentials()
    assert credentials.access_token == SecretToken(token)
    assert load_credentials("env").access_token == SecretToken(token)
    monkeypatch.delenv("CLAUDE_CODE_OAUTH_TOKEN")
    with pytest.raises(CredentialsNotFoundError):
        EnvBackend().read_credentials()
    with pytest.raises(NoBackendError, match="CLAUDE_CODE_OAUTH_TOKEN"):
        load_credentials("env")


def test_env_backend_with_an_unusable_token(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    bad = token[:30] + " " + token[30:]
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", bad)
    with pytest.raises(InvalidCredentialsError) as caught:
        load_credentials("env")
    support.assert_no_token(str(caught.value), token)
    assert caught.value.__context__ is None


def test_env_backend_not_used_with_a_profile(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", token)
    with pytest.raises(NoBackendError, match="profile"):
        load_credentials("env", config_dir="/some/profile")


def test_env_backend_name_and_repr(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", token)
    backend = EnvBackend()
    assert backend.name == "env"
    assert "env" in repr(backend)
    support.assert_no_token(repr(backend), token)
    assert "CLAUDE_CODE_OAUTH_TOKEN" in backend.describe()


class Unnamed(CredentialBackend):
    def priority(self) -> float:
        return 1.0

    def read_credentials(self) -> Credentials:
        raise ValueError("boom " + self.secret)

    secret: ClassVar[str] = ""


def test_instance_backend_crash_is_reported_by_type_only(token: str) -> None:
    Unnamed.secret = token
    with pytest.raises(InvalidCredentialsError) as caught:
        load_credentials(Unnamed())
    message = str(caught.value)
    assert "Unnamed" in message
    assert "ValueError" in message
    assert "boom" not in message
    support.assert_no_token(message, token)
    assert caught.value.__context__ is None
    assert caught.value.__cause__ is None


# -- the package's import cost and public names ---------------------------------------------

FORBIDDEN = ("requests", "cattrs", "keyring", "importlib.metadata", "importlib_metadata", "attrs", "attr", "urllib3")


def test_import_claude_usage_is_cheap(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import json, sys
        before = sorted(sys.modules)
        import claude_usage
        after = sorted(sys.modules)
        print(json.dumps({"before": before, "after": after, "version": claude_usage.__version__}))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=str(tmp_path),
        timeout=60,
        check=True,
    )
    loaded = json.loads(completed.stdout)

    def heavy(modules: list[str]) -> list[str]:
        return [name for name in modules if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)]

    # Nothing heavy was there before (else this test could not tell)...
    assert heavy(loaded["before"]) == []
    # ...and importing the package brought none of it in.
    assert heavy(loaded["after"]) == []
    assert "claude_usage" in loaded["after"]
    assert isinstance(loaded["version"], str)


def test_using_a_model_name_does_not_import_requests(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import json, sys
        from claude_usage import UsageData, ClaudeUsageError, UsageWindow
        UsageData(five_hour=UsageWindow(1.0))
        print(json.dumps(sorted(sys.modules)))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=dict(os.environ), timeout=60, check=True
    )
    modules = json.loads(completed.stdout)
    assert not [m for m in modules if m in ("requests", "cattrs", "importlib.metadata", "keyring")]


def test_public_names() -> None:
    from claude_usage import ClaudeUsageError, UsageData, get_usage

    assert callable(get_usage)
    assert isinstance(UsageData, type)
    assert issubclass(ClaudeUsageError, Exception)
    assert claude_usage.__all__ == sorted(claude_usage.__all__)
    for name in claude_usage.__all__:
        value = getattr(claude_usage, name)
        assert value is not None, name
    assert set(dir(claude_usage)) >= set(claude_usage.__all__)
    for name in ("get_usage", "UsageData", "ClaudeUsageError", "parse_usage", "CredentialBackend", "backend_names"):
        assert name in claude_usage.__all__
    with pytest.raises(AttributeError):
        claude_usage.no_such_name
    with pytest.raises(ImportError):
        from claude_usage import no_such_name  # noqa: F401


def test_every_public_name_resolves_in_a_fresh_interpreter(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import claude_usage
        for name in claude_usage.__all__:
            getattr(claude_usage, name)
        from claude_usage import *  # noqa: F403
        print(len(claude_usage.__all__))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=dict(os.environ), timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert int(completed.stdout) == len(claude_usage.__all__)


def test_errors_derive_from_the_base() -> None:
    errors = [getattr(claude_usage, name) for name in claude_usage.__all__ if name.endswith(("Error", "Unavailable"))]
    assert errors
    for error in errors:
        assert issubclass(error, claude_usage.ClaudeUsageError), error
