"""The JSON contract: what ``claude-usage --json`` prints matches
``schema/usage.schema.json`` (JSON Schema draft 2020-12), for every test body,
with date-times checked; and every property it prints is documented there."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pytest_httpserver import HTTPServer

import claude_usage
import support

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schema" / "usage.schema.json"
CLI_DOC = ROOT / "docs" / "cli.md"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(document)
    return document


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def violations(validator: Draft202012Validator, document: Any) -> list[str]:
    return [
        f"/{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda error: list(map(str, error.absolute_path)))
    ]


def leaf_errors(validator: Draft202012Validator, document: Any) -> list[str]:
    """Like :func:`violations`, but into the alternatives of ``anyOf``: why
    each alternative failed (a window that is neither a window nor null)."""
    pending = list(validator.iter_errors(document))
    found = []
    while pending:
        error = pending.pop()
        if error.context:
            pending += error.context
        else:
            found.append(f"/{'/'.join(map(str, error.absolute_path))}: {error.message}")
    return sorted(found)


def undocumented(schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    """Properties the document has that the schema does not name (allowed by
    the schema for forward compatibility, but ours must all be documented)."""
    definitions = schema["$defs"]
    found = [f"/{key}" for key in document if key not in schema["properties"]]
    objects: list[tuple[str, Any, str]] = [
        ("/five_hour", document.get("five_hour"), "window"),
        ("/seven_day", document.get("seven_day"), "window"),
        ("/extra_usage", document.get("extra_usage"), "extra_usage"),
    ]
    objects += [(f"/windows/{key}", value, "window") for key, value in document.get("windows", {}).items()]
    objects += [(f"/limits/{index}", value, "limit") for index, value in enumerate(document.get("limits", []))]
    objects += [
        (f"/promo_credits/{index}", value, "promo_credit")
        for index, value in enumerate(document.get("promo_credits", []))
    ]
    for where, value, definition in objects:
        if isinstance(value, dict):
            found += [f"{where}/{key}" for key in value if key not in definitions[definition]["properties"]]
    return found


def as_printed(usage: claude_usage.UsageData) -> dict[str, Any]:
    """``unstructure_usage`` through a JSON round trip, as the command prints it."""
    document: dict[str, Any] = json.loads(json.dumps(claude_usage.unstructure_usage(usage)))
    return document


def test_date_times_are_checked(validator: Draft202012Validator) -> None:
    checker = validator.format_checker
    assert checker is not None
    # jsonschema checks "date-time" only when rfc3339-validator is installed;
    # without it every string would pass silently.
    assert "date-time" in checker.checkers, "install rfc3339-validator (tox.ini test_deps)"


@pytest.mark.parametrize("name", support.body_names())
def test_command_output_matches_the_schema(
    name: str,
    api: HTTPServer,
    home: Path,
    token: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    schema: dict[str, Any],
    validator: Draft202012Validator,
) -> None:
    support.write_credentials(home / ".claude", support.credentials_blob(token))
    monkeypatch.setenv("CLAUDE_USAGE_CACHE_DIR", str(tmp_path / "cache"))  # a fresh fetch, never another test's data
    monkeypatch.setenv("CLAUDE_USAGE_BACKEND", "file")
    support.serve(api, support.load_body(name))

    result = support.run_cli("--json")

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert violations(validator, document) == []
    assert undocumented(schema, document) == []
    support.assert_no_token(result.stdout + result.stderr, token)


@pytest.mark.parametrize("name", support.body_names())
def test_unstructured_usage_matches_the_schema(
    name: str, schema: dict[str, Any], validator: Draft202012Validator
) -> None:
    document = as_printed(claude_usage.parse_usage(support.load_body(name)))
    assert violations(validator, document) == []
    assert undocumented(schema, document) == []


def test_documented_example_matches_the_schema(validator: Draft202012Validator) -> None:
    match = re.search(r"```json\n(.*?)```", CLI_DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert match, f"{CLI_DOC} has no JSON example"
    assert violations(validator, json.loads(match.group(1))) == []


@pytest.fixture
def valid() -> dict[str, Any]:
    """A complete valid document: a body with extra usage enabled, plus the optional fields."""
    document = as_printed(claude_usage.parse_usage(support.load_body("variant_per_model_extra_usage.json")))
    document["fetched_at"] = "2026-07-08T00:00:00+00:00"
    document["stale"] = False
    return document


def test_valid_document_is_valid(validator: Draft202012Validator, valid: dict[str, Any]) -> None:
    assert valid["five_hour"] and valid["limits"] == [] and valid["extra_usage"]["is_enabled"] is True
    assert violations(validator, valid) == []


def test_utilization_as_a_string_is_rejected(validator: Draft202012Validator, valid: dict[str, Any]) -> None:
    valid["five_hour"]["utilization"] = "53.0"
    assert len(violations(validator, valid)) == 1
    assert "/five_hour/utilization: '53.0' is not of type 'number'" in leaf_errors(validator, valid)
    valid["five_hour"]["utilization"] = 53.0
    valid["windows"]["five_hour"]["utilization"] = "53.0"
    assert violations(validator, valid) == ["/windows/five_hour/utilization: '53.0' is not of type 'number'"]


def set_at(document: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    target: Any = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


LIMIT = {
    "kind": "weekly_scoped",
    "percent": 100.0,
    "severity": "critical",
    "resets_at": "2026-09-04T00:00:00+00:00",
    "is_active": True,
    "model": "Opus",
    "group": "weekly",
    "surface": None,
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("seven_day", "utilization"), None),
        (("seven_day", "resets_at"), "next Tuesday"),
        (("five_hour", "resets_at"), "2026-07-08 00:49"),  # no offset: not RFC 3339
        (("windows", "seven_day_cowork"), None),
        (("windows", "seven_day_cowork"), {"utilization": True, "resets_at": None}),
        (("limits",), [{**LIMIT, "percent": "100"}]),
        (("limits",), [{**LIMIT, "is_active": "true"}]),
        (("limits",), [{**LIMIT, "resets_at": 1788480000}]),
        (("extra_usage", "is_enabled"), None),
        (("extra_usage", "used_credits"), "12.34"),
        (("fetched_at",), None),
        (("fetched_at",), "yesterday"),
        (("stale",), "no"),
        (("windows",), []),
        (("promo_credits",), None),
        (("promo_credits",), [{"program_id": 5}]),
        (("extra_usage", "used_amount"), -1),
        (("extra_usage", "currency"), "usd"),
        (("extra_usage", "currency_code"), None),
        (("extra_usage", "disabled_reason"), 3),
        (("limits",), [{**LIMIT, "group": 7}]),
        (("windows", "five_hour", "label"), ["Current session"]),
    ],
)
def test_wrong_types_are_rejected(
    validator: Draft202012Validator, valid: dict[str, Any], path: tuple[str | int, ...], value: Any
) -> None:
    set_at(valid, path, value)
    assert violations(validator, valid), f"{path} = {value!r} was accepted"


@pytest.mark.parametrize("key", ["five_hour", "seven_day", "windows", "limits", "extra_usage", "promo_credits"])
def test_required_properties(validator: Draft202012Validator, valid: dict[str, Any], key: str) -> None:
    del valid[key]
    assert violations(validator, valid) == [f"/: '{key}' is a required property"]


def test_unknown_properties_are_allowed(validator: Draft202012Validator, valid: dict[str, Any]) -> None:
    """Forward compatibility: a later version may add properties anywhere."""
    extended = copy.deepcopy(valid)
    extended["next_month"] = {"anything": [1, "two"]}
    extended["five_hour"]["surface"] = "web"
    extended["limits"] = [{**LIMIT, "scope": {"surface": None}}]
    extended["extra_usage"]["reason"] = None
    extended["windows"]["seven_day_cowork"] = {"utilization": 17.0, "resets_at": None, "label": "cowork"}
    assert violations(validator, extended) == []
