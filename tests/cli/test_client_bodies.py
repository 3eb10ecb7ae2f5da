"""Bodies written from the schema Claude Code 2.1.332 validates, served by a
loopback server, reaching the user through ``show``, ``--json`` (valid
against the schema), ``check`` and the exit codes; and the requests Claude
Code would not send, not sent."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pytest_httpserver import HTTPServer

import support

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schema" / "usage.schema.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def shown(*args: str) -> str:
    result = support.run_cli(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def as_json() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(shown("--json"))
    assert list(VALIDATOR.iter_errors(document)) == []
    return document


def failure(code: int, token: str, *args: str) -> str:
    result = support.run_cli(*args)
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("claude-usage: error: "), result.stderr
    assert "Traceback" not in result.stderr
    support.assert_no_token(result.stdout + result.stderr, token)
    return lines[0]


# -- what reaches the user -------------------------------------------------------------


def test_credits_surfaces_and_money_in_show(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, support.load_body("client_credits_and_surfaces.json", future=True))
    out = shown()
    assert re.search(r"^Current session +█*░* +23%", out, re.MULTILINE)  # 23.5 floored
    assert re.search(r"^Current week \(Sonnet only\) .* 99%", out, re.MULTILINE)  # 99.6 is not 100
    assert re.search(r"^Claude Code and Cowork credit .* 40%", out, re.MULTILINE)
    assert re.search(r"^Credit .* 25%  \$12\.50 of \$50\.00, resets in ", out, re.MULTILINE)
    assert re.search(r"^▶ Current week \(Fable\) +99% \[critical\] .*← binding now$", out, re.MULTILINE)
    assert re.search(r"^  Current week \(Claude Code\) +6% \[warning\]", out, re.MULTILINE)
    assert "Spring promotion: 10%, $10 of $100, " in out and "(Expires Dec 15)" in out
    assert "Extra usage: on, $271.40 of $500.00 spent (54%)" in out
    assert "27140" not in out


def test_rows_are_coloured_by_the_servers_severity_only(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, support.load_body("client_credits_and_surfaces.json"))
    out = shown("--color", "always")
    lines = {ANSI.sub("", line).lstrip("▶ ").split("  ")[0]: line for line in out.splitlines()}
    assert "\x1b[31m" in lines["Current week (Fable)"]  # critical
    assert "\x1b[33m" in lines["Current week (Claude Code)"]  # warning
    assert "\x1b[32m" in lines["Current week (all models)"]  # normal
    # 99.6% of a window the server did not grade is not coloured by us.
    assert "\x1b[3" not in lines["Current week (Sonnet only)"]


def test_credits_surfaces_and_money_in_json(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, support.load_body("client_credits_and_surfaces.json"))
    document = as_json()
    extra = document["extra_usage"]
    assert (extra["used_credits"], extra["monthly_limit"]) == (27140, 50000)  # minor units, as sent
    assert (extra["used_amount"], extra["monthly_limit_amount"], extra["currency_code"]) == (271.4, 500.0, "USD")
    ember = document["windows"]["wattle_ember"]
    assert (ember["label"], ember["limit_dollars"], ember["used_dollars"]) == ("Credit", 50, 12.5)
    assert document["windows"]["cinder_cove"]["label"] == "Claude Code and Cowork credit"
    assert [promo["program_id"] for promo in document["promo_credits"]] == ["spring_2026"]
    assert [(row["group"], row["model"], row["surface"]) for row in document["limits"]][2:] == [
        ("weekly", "Fable", None),
        ("weekly", None, "Claude Code"),
    ]


@pytest.mark.parametrize(
    ("currency", "used", "limit", "expected"),
    [
        ("USD", 27140, 50000, "$271.40 of $500.00 spent"),
        ("EUR", 5050, 10000, "€50.50 of €100.00 spent"),
        ("BRL", 5000, 20000, "R$50 of R$200 spent"),
        ("JPY", 1200, 50000, "¥1,200 of ¥50,000 spent"),
        ("CHF", 1250, 5000, "12.50 CHF of 50.00 CHF spent"),
    ],
)
def test_money_in_three_currencies_and_more(
    api: HTTPServer, logged_in: Path, currency: str, used: int, limit: int, expected: str
) -> None:
    body = {
        "five_hour": {"utilization": 1, "resets_at": None},
        "extra_usage": {"is_enabled": True, "monthly_limit": limit, "used_credits": used, "currency": currency},
    }
    support.serve(api, body)
    assert f"Extra usage: on, {expected}" in shown()


def test_unlimited_extra_usage(api: HTTPServer, logged_in: Path) -> None:
    body = {"extra_usage": {"is_enabled": True, "monthly_limit": None, "used_credits": 990, "currency": "USD"}}
    support.serve(api, body)
    assert "Extra usage: on, unlimited, $9.90 spent" in shown()


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"disabled_reason": "out_of_credits"}, "Extra usage: off (you're out of usage credits)"),
        ({"disabled_reason": "org_spend_cap_reached"}, "Extra usage: off (your organization's spend limit is reached)"),
        ({"disabled_reason": "org_level_disabled_until"}, "Extra usage: off (the usage credit limit is reached)"),
        ({"disabled_reason": "brand_new_reason"}, "Extra usage: off (brand new reason)"),
        ({"spend_limit_reached": True}, "Extra usage: off, you've hit your monthly spend limit"),
        ({}, "Extra usage: off"),
    ],
)
def test_extra_usage_off_says_why(api: HTTPServer, logged_in: Path, fields: dict[str, Any], expected: str) -> None:
    support.serve(api, {"extra_usage": {"is_enabled": False, "monthly_limit": None, "used_credits": None, **fields}})
    out = shown()
    assert out.rstrip().endswith(expected)


def test_a_gateway_spend_body(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, support.load_body("client_gateway_spend.json"))
    out = shown()
    assert "No usage windows reported." in out
    assert re.search(r"^  Spend today +12%", out, re.MULTILINE)
    assert re.search(r"^▶ Spend this month +112% \[critical\]", out, re.MULTILINE)
    assert "Extra usage: on, unlimited, €1,234.56 spent" in out
    document = as_json()
    assert document["windows"] == {} and document["five_hour"] is None
    assert document["extra_usage"]["used_amount"] == 1234.56


def test_extra_usage_alone_is_a_usage_answer(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, support.load_body("client_extra_usage_only.json"))
    assert shown().rstrip().endswith("Extra usage: off (you're out of usage credits)")
    assert as_json()["extra_usage"]["currency_code"] == "BRL"


def test_check_floors_what_it_prints_and_compares_the_exact_value(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, support.load_body("client_credits_and_surfaces.json"))
    over = support.run_cli("check", "--window", "seven_day_sonnet", "--max", "99.5")
    assert (over.returncode, over.stdout.strip()) == (1, "Current week (Sonnet only) 99% is at or over 99.5%")
    under = support.run_cli("check", "--window", "seven_day_sonnet", "--max", "100")
    assert (under.returncode, under.stdout.strip()) == (0, "Current week (Sonnet only) 99% is under 100%")


# -- what the endpoint's answers mean -------------------------------------------------------


def test_a_success_status_carrying_a_rate_limit_is_rate_limiting(api: HTTPServer, logged_in: Path, token: str) -> None:
    support.serve(
        api, {"error": {"type": "rate_limit_error", "message": "Rate limited"}}, headers={"Retry-After": "120"}
    )
    line = failure(5, token)
    assert "temporarily limiting requests (not your usage limit); retry in 2 min" in line
    # The shared back-off holds: the next command sends nothing, and says
    # what the endpoint said, not "429".
    again = failure(5, token)
    assert "temporarily limiting requests (not your usage limit); retry in " in again and "shared back-off" in again
    assert "429" not in again
    assert len(api.log) == 1


def test_a_success_status_carrying_another_error(api: HTTPServer, logged_in: Path, token: str) -> None:
    support.serve(api, {"error": {"type": "overloaded_error", "message": "busy"}})
    assert "answered 200 with an error (overloaded_error) instead of usage data" in failure(6, token)


def test_a_403_from_the_edge_is_rate_limiting(api: HTTPServer, logged_in: Path, token: str) -> None:
    support.serve(api, "<html>Access denied</html>", status=403, headers={"Content-Type": "text/html"})
    line = failure(5, token)
    assert "403 from the edge, not your usage limit" in line
    assert len(api.log) == 1
    again = failure(5, token)
    assert "403 from the edge, not your usage limit" in again and "shared back-off" in again
    assert len(api.log) == 1  # the rate-limit back-off (5 min), not an hour's auth block, and no resend


def test_a_403_with_an_anthropic_error_is_a_rejection(api: HTTPServer, logged_in: Path, token: str) -> None:
    body = {"type": "error", "error": {"type": "permission_error", "message": "Organization is disabled"}}
    support.serve(api, body, status=403)
    assert "Organization is disabled" in failure(4, token)


# -- requests not sent -------------------------------------------------------------------------


def test_a_stored_login_without_the_profile_scope_is_not_sent(api: HTTPServer, home: Path, token: str) -> None:
    support.write_credentials(home / ".claude", support.credentials_blob(token, scopes=["user:inference"]))
    support.serve(api, support.load_body("client_credits_and_surfaces.json"))
    line = failure(3, token)
    assert "not sent: this token lacks the user:profile scope" in line and "/login" in line
    failure(3, token, "--json")
    assert api.log == []


def test_the_env_token_is_not_sent_without_its_scopes(
    api: HTTPServer, home: Path, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    support.serve(api, support.load_body("client_credits_and_surfaces.json"))
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", token)
    assert "CLAUDE_CODE_OAUTH_SCOPES" in failure(3, token)
    assert api.log == []
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_SCOPES", "user:inference user:profile")
    assert "Extra usage: on, $271.40" in shown()
    assert len(api.log) == 1


def test_an_ended_login_says_log_in_again(api: HTTPServer, home: Path, token: str) -> None:
    blob = {"claudeAiOauth": {"accessToken": "", "refreshToken": "", "expiresAt": 0, "loginEnded": "time_limit"}}
    support.write_credentials(home / ".claude", blob)
    line = failure(3, token)
    assert "has ended (its time limit was reached); run `claude` and log in again" in line
    assert "invalid" not in line and "JSON" not in line
    assert api.log == []


def test_an_unapproved_custom_oauth_url_is_a_usage_error(
    logged_in: Path, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLAUDE_USAGE_BASE_URL", raising=False)
    monkeypatch.setenv("CLAUDE_CODE_CUSTOM_OAUTH_URL", "https://claude.example.com")
    assert "CLAUDE_CODE_CUSTOM_OAUTH_URL is not an approved endpoint" in failure(2, token)


def test_limits_are_grouped_in_the_order_the_server_first_names_each_group(api: HTTPServer, logged_in: Path) -> None:
    rows = [
        {"kind": "weekly_all", "group": "weekly", "percent": 41, "severity": "normal", "resets_at": None},
        {"kind": "session", "group": "session", "percent": 23, "severity": "normal", "resets_at": None},
        {
            "kind": "weekly_scoped",
            "group": "weekly",
            "percent": 6,
            "severity": "normal",
            "resets_at": None,
            "scope": {"model": {"display_name": "Opus"}},
        },
    ]
    support.serve(api, {"limits": rows})
    out = shown()
    titles = [line[2:].split("  ")[0] for line in out.splitlines() if line[:2] in ("  ", "▶ ") and "%" in line]
    assert titles == ["Current week (all models)", "Current week (Opus)", "Current session"]
