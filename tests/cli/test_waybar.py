"""``show --waybar``: the four keys Waybar reads, from a loopback server,
and a line with the documented exit code when the fetch fails."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer

import support


def at(seconds: float) -> str:
    return datetime.fromtimestamp(time.time() + seconds, timezone.utc).isoformat()


BODY: dict[str, Any] = {
    "five_hour": {"utilization": 42.0, "resets_at": at(9000)},
    "seven_day": {"utilization": 30.0, "resets_at": at(3.5 * 86400)},
    "seven_day_opus": {"utilization": 91.5, "resets_at": at(2 * 86400)},
    "limits": [
        {"kind": "session", "group": "session", "percent": 42.0, "resets_at": at(9000), "severity": "normal"},
        {
            "kind": "weekly_scoped",
            "group": "weekly",
            "percent": 91.5,
            "resets_at": at(2 * 86400),
            "severity": "warning",
            "is_active": True,
            "scope": {"model": {"display_name": "Opus"}},
        },
    ],
}


def test_waybar_prints_the_four_keys_of_the_binding_row(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, BODY)
    result = support.run_cli("show", "--waybar")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1  # one line: Waybar reads line by line
    line = json.loads(result.stdout)
    assert set(line) == {"text", "tooltip", "class", "percentage"}
    assert line["text"] == "7d (Opus) 91%"
    assert line["class"] == "warning"
    assert line["percentage"] == 91
    tooltip = line["tooltip"].split("\n")
    assert [row.split(":")[0] for row in tooltip] == [
        "Current session",
        "Current week (all models)",
        "Current week (Opus only)",
        "Binding now",
    ], tooltip
    assert "on pace for" in tooltip[0] and tooltip[3].startswith("Binding now: Current week (Opus) 91%, resets in")
    # The same before the command name, and with --remaining.
    left = json.loads(support.run_cli("--waybar", "--remaining").stdout)
    assert (left["text"], left["percentage"]) == ("7d (Opus) 8% left", 8)
    assert len(api.log) == 1  # through the shared cache


def test_without_a_binding_limit_the_bar_is_the_five_hour_window(api: HTTPServer, logged_in: Path) -> None:
    support.serve(api, {"five_hour": BODY["five_hour"], "seven_day": BODY["seven_day"]})
    line = json.loads(support.run_cli("show", "--waybar").stdout)
    assert (line["text"], line["class"], line["percentage"]) == ("5h 42%", "normal", 42)


def test_a_failure_is_a_line_for_the_bar_and_exits_0_so_waybar_shows_it(api: HTTPServer, logged_in: Path) -> None:
    # Waybar hides a custom module whose command exits non-zero.
    support.serve(api, {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}, status=429)
    result = support.run_cli("show", "--waybar")
    assert result.returncode == 0
    line = json.loads(result.stdout)
    assert (line["class"], line["percentage"]) == ("error", 0)
    assert "limiting requests" in line["tooltip"] or "rate" in line["tooltip"].lower(), line
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("claude-usage: error: ")


def test_text_and_tooltip_are_pango_markup_that_shows_them_as_they_are(
    api: HTTPServer, logged_in: Path, token: str
) -> None:
    body = json.loads(json.dumps(BODY))
    body["seven_day_tools"] = {
        "utilization": 5.0,
        "resets_at": body["seven_day"]["resets_at"],
        "label": "Tools <beta> & co",
    }
    support.serve(api, body)
    line = json.loads(support.run_cli("show", "--waybar").stdout)
    assert "Tools &lt;beta&gt; &amp; co" in line["tooltip"], line["tooltip"]
    assert "<beta>" not in line["tooltip"]
    # An error message with markup in it (the withheld token) is escaped too.
    api.clear()
    support.serve(api, {"type": "error", "error": {"type": "authentication_error", "message": token}}, status=401)
    failed = support.run_cli("show", "--waybar", "--max-age", "0")
    error = json.loads(failed.stdout)
    assert error["class"] == "error" and "<" not in error["tooltip"] and ">" not in error["tooltip"]
    support.assert_no_token(failed.stdout + failed.stderr, token)


def test_waybar_with_json_or_all_profiles_is_a_usage_error(api: HTTPServer, logged_in: Path) -> None:
    for extra in ("--json", "--all-profiles"):
        result = support.run_cli("show", "--waybar", extra)
        assert result.returncode == 2 and "--waybar" in result.stderr
    assert len(api.log) == 0
