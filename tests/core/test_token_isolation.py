"""Only ``claude_usage._secret`` touches a token's raw value.

The check parses every module of every installed claude-usage package and
fails on any access to the private attributes that hold the secret
(``SecretToken._value``, ``BearerAuth._token``) outside ``_secret.py``.
"""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
from pathlib import Path

import pytest

import support
from claude_usage import Credentials, parse_claude_code_credentials

SECRET_ATTRIBUTES = {"_value", "_token"}
OWNER = "claude_usage._secret"
PACKAGES = ("claude_usage", "claude_usage_creds_linux", "claude_usage_creds_macos", "claude_usage_creds_command")


def violations(source: str, filename: str) -> list[str]:
    """Every line of ``source`` reading or writing a secret attribute, by
    attribute access or by name through getattr/setattr/__getattribute__."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Attribute) and node.attr in SECRET_ATTRIBUTES:
            found.append(f"{filename}:{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Constant) and node.value in SECRET_ATTRIBUTES:
            found.append(f"{filename}:{node.lineno}: {node.value!r} as a string")
    return found


def installed_modules() -> list[tuple[str, Path]]:
    modules: list[tuple[str, Path]] = []
    for package_name in PACKAGES:
        try:
            package = importlib.import_module(package_name)
        except ImportError:
            continue  # not installed in this environment
        for path in package.__path__:
            root = Path(path)
            modules.append((package_name, root / "__init__.py"))
            for info in pkgutil.walk_packages([str(root)], prefix=package_name + "."):
                spec_path = root.joinpath(*info.name.split(".")[1:])
                file = spec_path / "__init__.py" if info.ispkg else spec_path.with_suffix(".py")
                modules.append((info.name, file))
    return modules


def test_the_checker_sees_direct_and_indirect_access() -> None:
    assert violations("def f(t):\n    return t._value\n", "x.py") == ["x.py:2: ._value"]
    assert violations("getattr(t, '_value')\n", "y.py") == ["y.py:1: '_value' as a string"]
    assert violations("t.value\n", "z.py") == []


def test_only_the_secret_module_touches_the_raw_token() -> None:
    modules = installed_modules()
    names = {name for name, _ in modules}
    assert {"claude_usage.client", "claude_usage._http", "claude_usage.credentials", OWNER} <= names
    found: list[str] = []
    for name, path in modules:
        if name == OWNER:
            continue
        found.extend(violations(path.read_text(encoding="utf-8"), name))
    assert found == []
    owner = next(path for name, path in modules if name == OWNER)
    assert violations(owner.read_text(encoding="utf-8"), OWNER), "the owner module should be the one that does"


def test_refresh_token_is_never_kept(tmp_path: Path) -> None:
    access, refresh = support.make_token(), "sk-ant-ort01-" + support.make_token()[13:]
    blob = support.credentials_blob(access, refresh_token=refresh)
    credentials = parse_claude_code_credentials(json.dumps(blob).encode(), source="test")
    assert isinstance(credentials, Credentials)
    for value in (repr(credentials), *(repr(getattr(credentials, f)) for f in ("expires_at", "scopes"))):
        support.assert_no_token(value, refresh)
    from claude_usage.testing import _reachable_secret

    assert not _reachable_secret(credentials, refresh)
    assert _reachable_secret(credentials, access)  # the check itself works


@pytest.mark.parametrize("name", ["Credentials", "SecretToken"])
def test_secret_holders_refuse_pickle(name: str) -> None:
    import pickle

    import claude_usage

    token = support.make_token()
    value = claude_usage.Credentials(access_token=token) if name == "Credentials" else claude_usage.SecretToken(token)
    with pytest.raises(TypeError):
        pickle.dumps(value)
