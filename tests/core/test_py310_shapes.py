"""ISO-8601 times read alike on every supported Python (3.10 to 3.14).

CI runs the suite on 3.10 to 3.14, but machines that run it by hand often
have 3.11 alone, whose ``datetime.fromisoformat`` reads far more than
3.10's (and 3.14's reads ``24:00`` as the next midnight). These tests feed
the shapes 3.10 refuses to our own parsing (``claude_usage._iso``) and hold
it to two rules that need no 3.10 to check: what it hands
``fromisoformat`` is in the shape 3.10 reads, and what it cannot bring to
that shape it refuses on every Python. The expected times are worked out
here, never by ``fromisoformat`` on the raw text.
"""

from __future__ import annotations

import ast
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import support
from claude_usage import parse_usage
from claude_usage._iso import parse_iso, three_ten
from claude_usage.history import epoch

ROOT = Path(__file__).resolve().parents[2]
UTC = timezone.utc


def at(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 3.11 reads these as they are; 3.10 only once normalised.
        ("2026-11-25T10:00:00+00", datetime(2026, 11, 25, 10, tzinfo=UTC)),
        ("2026-11-25T10:00:00-05", datetime(2026, 11, 25, 10, tzinfo=at(-300))),
        ("2026-11-25T10:00:00.5+01", datetime(2026, 11, 25, 10, 0, 0, 500000, tzinfo=at(60))),
        ("2026-11-25T10:00:00+013000", datetime(2026, 11, 25, 10, tzinfo=timezone(timedelta(hours=1, minutes=30)))),
        ("2026-11-25T10:00:00,5Z", datetime(2026, 11, 25, 10, 0, 0, 500000, tzinfo=UTC)),
        ("2026-11-25T10:00:00,123456-01:30", datetime(2026, 11, 25, 10, 0, 0, 123456, tzinfo=at(-90))),
        ("2026-11-25t10:00:00.1234z", datetime(2026, 11, 25, 10, 0, 0, 123400, tzinfo=UTC)),
        ("2026-11-25T10:00:00.12345678901234567890Z", datetime(2026, 11, 25, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-25T10Z", datetime(2026, 11, 25, 10, tzinfo=UTC)),
        ("2026-11-25T10:30+0530", datetime(2026, 11, 25, 10, 30, tzinfo=at(330))),
        # What isoformat() writes, which every Python reads.
        ("2026-11-25T10:00:00+01:00:30", datetime(2026, 11, 25, 10, tzinfo=timezone(timedelta(hours=1, seconds=30)))),
        ("2026-11-25", datetime(2026, 11, 25, tzinfo=UTC)),
        ("2026-11-25 10:00:00", datetime(2026, 11, 25, 10, tzinfo=UTC)),
    ],
)
def test_shapes_3_10_refuses_are_normalised_and_read(text: str, expected: datetime) -> None:
    normal = three_ten(text)
    assert support.PY310_ISO.fullmatch(normal), normal
    assert parse_iso(text) == expected
    assert parse_iso(text).tzinfo == UTC
    assert epoch(text) == expected.timestamp()


@pytest.mark.parametrize(
    "text",
    [
        "20261125T100000Z",  # the basic format: 3.11 on
        "2026-11-25T100000Z",
        "2026-11-25T1000Z",
        "2026-W48-3",  # a week date: 3.11 on
        "2026-W48-3T10:00:00Z",
        "2026-11-25T24:00:00Z",  # the next midnight on 3.14, refused before
        "2026-11-25T24:00",
        "2026-11-25T10:00:00+00:00:00.123",  # 3 digits in an offset's fraction: 3.11 on
        "2026-11-25T10:00:00.5+00:00:00.5",
        "2026-11-25T10:00:00 Z",  # what 3.10's C parser lets through by accident
        "2026-11-25T10:00:00.Z",
        "2026-11-25_10:00:00Z",
        "2026-11-25T10:00.5Z",
        "2026-11-25T10:00:00+00:00Z",
        "2026-11-25T10:00:00−05:00",  # a minus sign, not a hyphen
        "２０２６-11-25T10:00:00Z",  # full-width digits
    ],
)
def test_shapes_only_some_pythons_read_are_refused_on_every_python(text: str) -> None:
    with pytest.raises(ValueError, match="shape every supported Python reads"):
        parse_iso(text)
    assert epoch(text) is None
    usage = parse_usage({"five_hour": {"utilization": 5.0, "resets_at": text}})
    assert usage.five_hour is not None and usage.five_hour.resets_at is None


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_time_a_datetime_cannot_hold_in_utc_is_a_value_error(text: str) -> None:
    """Not an OverflowError out of ``epoch``, which the statusline render calls."""
    with pytest.raises(ValueError, match="out of the range"):
        parse_iso(text)
    assert epoch(text) is None


#: ISO-8601-like text: every shape of the standard 3.11 reads, and 3.10's
#: accidents. [0-9], not \d: hypothesis's \d draws any Unicode digit.
ISO_LIKE = (
    r"\s?[0-9]{4}-?(W[0-9]{2}-?[0-9]|[0-9]{2}-?[0-9]{2}|[0-9]{3})"
    r"([Tt _][0-9]{2}(:?[0-9]{2}(:?[0-9]{2})?)?([.,][0-9]{0,10})?)?"
    r"( ?(Z|z|[+-][0-9]{2}(:?[0-9]{2}(:?[0-9]{2}([.,][0-9]{0,7})?)?)?))?\s?"
)


@given(st.one_of(st.from_regex(ISO_LIKE, fullmatch=True), st.text(alphabet="0123456789-:Tt Zz+.,W", max_size=40)))
def test_fromisoformat_only_ever_sees_what_3_10_reads(text: str) -> None:
    """Whatever parse_iso reads, it read from a 3.10 shape; so it reads the
    same on 3.10 as on the Python running this."""
    try:
        parsed = parse_iso(text)
    except ValueError:
        return
    normal = three_ten(text)
    assert support.PY310_ISO.fullmatch(normal), (text, normal)
    read = datetime.fromisoformat(normal)
    assert parsed == (read if read.tzinfo else read.replace(tzinfo=UTC))


def fromisoformat_calls(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr == "fromisoformat"]


def test_every_fromisoformat_call_in_the_packages_goes_through_the_iso_module() -> None:
    """``claude_usage._iso`` is the one place that reads ISO-8601 text."""
    calls: dict[str, Any] = {}
    for path in sorted(ROOT.glob("packages/*/src/**/*.py")):
        if path.name == "_iso.py" and path.parent.name == "claude_usage":
            continue
        if lines := fromisoformat_calls(path):
            calls[str(path.relative_to(ROOT))] = lines
    assert calls == {}, "parse ISO-8601 text with claude_usage._iso.parse_iso (3.10 reads far less than 3.11)"
