"""The models and the converter: every published body, every drift the
domain facts describe, and a property test that nothing but
ResponseFormatError ever escapes ``parse_usage``."""

from __future__ import annotations

import copy
import json
import logging
import math
import pickle
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import support
from claude_usage import (
    CreditWindow,
    ExtraUsage,
    Limit,
    ResponseFormatError,
    UsageData,
    UsageWindow,
    parse_usage,
    unstructure_usage,
)
from claude_usage.models import CREDIT_WINDOWS, KNOWN_WINDOWS, USAGE_KEYS

UTC = timezone.utc
TOP_LEVEL_KEYS = {"five_hour", "seven_day", "windows", "limits", "extra_usage", "promo_credits"}


def window(utilization: Any = 10.0, resets_at: Any = "2026-07-08T00:49:59.940321+00:00") -> dict[str, Any]:
    return {"utilization": utilization, "resets_at": resets_at}


def five_hour_body(**five_hour: Any) -> dict[str, Any]:
    return {"five_hour": {**window(), **five_hour}, "seven_day": window(1.0)}


def limit(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "session",
        "group": "session",
        "percent": 10,
        "severity": "normal",
        "resets_at": "2026-07-08T00:49:59+00:00",
        "scope": None,
        "is_active": False,
    }
    base.update(fields)
    return base


def nested_lists(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def nested_objects(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth):
        value = {"a": value}
    return value


# -- every sample body ----------------------------------------------------------


@pytest.mark.parametrize("name", support.body_names())
def test_every_sample_body_parses(name: str) -> None:
    usage = parse_usage(support.load_body(name))
    assert isinstance(usage, UsageData)
    # Whatever parsed, the named attributes agree with ``windows``.
    for key in KNOWN_WINDOWS:
        assert getattr(usage, key) == usage.windows.get(key)
    for value in usage.windows.values():
        assert isinstance(value, UsageWindow)
        assert value.resets_at is None or value.resets_at.tzinfo is UTC
    json.dumps(unstructure_usage(usage))


def test_there_are_sample_bodies() -> None:
    assert "published_domain_2026_07.json" in support.body_names()
    assert len(support.body_names()) >= 4


def test_published_domain_body_exact_values(body: dict[str, Any]) -> None:
    usage = parse_usage(body)

    assert usage.five_hour == UsageWindow(
        53.0, datetime(2026, 7, 8, 0, 49, 59, 940321, tzinfo=UTC), label="Current session"
    )
    assert usage.five_hour is not None
    assert usage.five_hour.utilization == 53.0
    assert type(usage.five_hour.utilization) is float
    assert usage.five_hour.resets_at == datetime(2026, 7, 8, 0, 49, 59, 940321, tzinfo=timezone.utc)
    assert usage.five_hour.resets_at is not None
    assert usage.five_hour.resets_at.tzinfo is timezone.utc
    assert usage.seven_day == UsageWindow(
        8.0, datetime(2026, 7, 13, 6, 0, tzinfo=UTC), label="Current week (all models)"
    )
    assert usage.seven_day_opus is None
    assert usage.seven_day_sonnet is None
    assert usage.seven_day_oauth_apps is None

    assert set(usage.windows) == {"five_hour", "seven_day"}
    assert usage.windows["five_hour"] == usage.five_hour
    assert usage.windows["seven_day"] == usage.seven_day

    assert isinstance(usage.limits, tuple)
    assert len(usage.limits) == 3
    session, weekly_all, scoped = usage.limits
    assert session == Limit(
        kind="session",
        percent=53.0,
        severity="normal",
        resets_at=datetime(2026, 7, 8, 0, 49, 59, 940321, tzinfo=UTC),
        is_active=True,
        model=None,
        group="session",
    )
    assert weekly_all.kind == "weekly_all"
    assert weekly_all.percent == 8.0
    assert weekly_all.is_active is False
    assert weekly_all.model is None
    assert scoped.kind == "weekly_scoped"
    assert scoped.model == "Fable"
    assert scoped.percent == 6.0
    assert scoped.resets_at == datetime(2026, 7, 13, 6, 0, tzinfo=UTC)
    assert usage.active_limit is session
    assert usage.active_limit is not None
    assert usage.active_limit.kind == "session"

    assert usage.extra_usage == ExtraUsage(is_enabled=False)
    assert usage.extra_usage is not None
    assert usage.extra_usage.is_enabled is False
    assert usage.extra_usage.monthly_limit is None
    assert usage.extra_usage.utilization is None


def test_published_epic_body() -> None:
    usage = parse_usage(support.load_body("published_epic_2026_01.json"))
    assert usage.five_hour == UsageWindow(8.0, datetime(2026, 1, 22, 9, 0, tzinfo=UTC), label="Current session")
    assert usage.seven_day == UsageWindow(
        77.0, datetime(2026, 1, 22, 19, 0, tzinfo=UTC), label="Current week (all models)"
    )
    assert usage.seven_day_sonnet == UsageWindow(
        0.0, datetime(2026, 1, 25, 19, 0, tzinfo=UTC), label="Current week (Sonnet only)"
    )
    assert usage.seven_day_opus is None
    assert usage.limits == ()
    assert usage.active_limit is None
    assert set(usage.windows) == {"five_hour", "seven_day", "seven_day_sonnet"}


def test_variant_with_new_keys_and_over_100() -> None:
    usage = parse_usage(support.load_body("variant_new_keys_over_100.json"))
    assert usage.five_hour is not None
    assert usage.five_hour.utilization == 104.5
    assert set(usage.windows) == {"five_hour", "seven_day", "seven_day_cowork"}
    assert usage.windows["seven_day_cowork"] == UsageWindow(
        17.0, datetime(2026, 9, 5, tzinfo=UTC), label="Current week (Cowork)"
    )
    assert usage.extra_usage == ExtraUsage(is_enabled=True, used_credits=0.0, currency="EUR")
    assert [item.kind for item in usage.limits] == ["session", "weekly_all", "weekly_scoped", "monthly_team"]
    assert usage.active_limit is not None
    assert usage.active_limit.model == "Opus"
    monthly = usage.limits[3]
    assert monthly == Limit(kind="monthly_team", percent=12.0, group="monthly")


def test_variant_per_model_and_extra_usage() -> None:
    usage = parse_usage(support.load_body("variant_per_model_extra_usage.json"))
    assert usage.seven_day == UsageWindow(
        41.0, datetime(2025, 11, 24, 6, 0, tzinfo=UTC), label="Current week (all models)"
    )
    assert usage.seven_day_opus == UsageWindow(
        12.5, datetime(2025, 11, 24, 6, 0, 0, 123000, tzinfo=UTC), label="Current week (Opus only)"
    )
    assert usage.seven_day_sonnet == UsageWindow(3.0, None, label="Current week (Sonnet only)")
    assert usage.extra_usage == ExtraUsage(
        is_enabled=True, monthly_limit=50.0, used_credits=12.34, utilization=24.68, currency="USD"
    )


# -- timestamps -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-08T00:49:59.940321+00:00", datetime(2026, 7, 8, 0, 49, 59, 940321, tzinfo=UTC)),
        ("2026-07-08T00:49:59Z", datetime(2026, 7, 8, 0, 49, 59, tzinfo=UTC)),
        ("2026-07-08T00:49:59.940321Z", datetime(2026, 7, 8, 0, 49, 59, 940321, tzinfo=UTC)),
        ("2026-07-08T00:49:59+00:00", datetime(2026, 7, 8, 0, 49, 59, tzinfo=UTC)),
        ("2026-07-08T00:49:59.000000+00:00", datetime(2026, 7, 8, 0, 49, 59, tzinfo=UTC)),
        ("2026-07-08T00:49:59.123+00:00", datetime(2026, 7, 8, 0, 49, 59, 123000, tzinfo=UTC)),
        ("2026-07-08T02:49:59+02:00", datetime(2026, 7, 8, 0, 49, 59, tzinfo=UTC)),
        ("2026-07-08T01:19:59.500+02:00", datetime(2026, 7, 7, 23, 19, 59, 500000, tzinfo=UTC)),
        ("2026-07-07T19:49:59-05:00", datetime(2026, 7, 8, 0, 49, 59, tzinfo=UTC)),
    ],
)
def test_timestamps_are_utc(text: str, expected: datetime) -> None:
    usage = parse_usage({"five_hour": window(5.0, text), "limits": [limit(resets_at=text)]})
    assert usage.five_hour is not None
    resets_at = usage.five_hour.resets_at
    assert resets_at == expected
    assert resets_at is not None
    assert resets_at.tzinfo is timezone.utc
    assert resets_at.utcoffset() == timedelta(0)
    # Same wall-clock fields as the expected UTC value, not just the same instant.
    assert (resets_at.year, resets_at.month, resets_at.day, resets_at.hour, resets_at.minute) == (
        expected.year,
        expected.month,
        expected.day,
        expected.hour,
        expected.minute,
    )
    assert usage.limits[0].resets_at == expected
    assert usage.limits[0].resets_at is not None
    assert usage.limits[0].resets_at.tzinfo is timezone.utc


def test_offset_in_unknown_window_converted_too() -> None:
    usage = parse_usage({"five_hour": None, "seven_day_cowork": window(1.0, "2026-07-08T02:00:00+02:00")})
    resets_at = usage.windows["seven_day_cowork"].resets_at
    assert resets_at == datetime(2026, 7, 8, 0, 0, tzinfo=UTC)
    assert resets_at is not None
    assert resets_at.tzinfo is timezone.utc


def test_null_resets_at() -> None:
    usage = parse_usage({"five_hour": window(0.0, None)})
    assert usage.five_hour == UsageWindow(0.0, None, label="Current session")


@pytest.mark.parametrize(
    "text", ["tomorrow", "", "2026-13-01T00:00:00+00:00", "2026-07-08T00:49:59+25:00", "0001-01-01T00:00:00+01:00", 5]
)
def test_an_unreadable_reset_time_is_dropped_not_the_usage(text: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, "claude_usage")
    usage = parse_usage({"five_hour": window(5.0, text), "limits": [limit(resets_at=text)]})
    assert usage.five_hour == UsageWindow(5.0, None, label="Current session")
    assert usage.limits[0].resets_at is None and usage.limits[0].percent == 10.0
    assert "ignoring resets_at" in caplog.text


PY310_ISO = support.PY310_ISO


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-25T10:00:00+0000", "2026-11-25T10:00:00+00:00"),
        ("2026-11-25T10:00:00Z", "2026-11-25T10:00:00+00:00"),
        ("2026-11-25T10:00:00.5z", "2026-11-25T10:00:00.500000+00:00"),
        ("2026-11-25 10:00:00.5+00:00", "2026-11-25 10:00:00.500000+00:00"),
        ("2026-11-25T10:00:00.123456789-0130", "2026-11-25T10:00:00.123456-01:30"),
        ("2026-11-25T10:00:00.123456789Z", "2026-11-25T10:00:00.123456+00:00"),
        ("2026-11-25T10:00:00.940321+00:00", "2026-11-25T10:00:00.940321+00:00"),
        ("2026-11-25T10:00:00.94+00:00", "2026-11-25T10:00:00.940000+00:00"),
        ("2026-11-25T10:00:00.123+00:00", "2026-11-25T10:00:00.123+00:00"),
        (" 2026-11-25T10:00:00 ", "2026-11-25T10:00:00"),
    ],
)
def test_timestamps_are_brought_to_the_shapes_python_3_10_reads(text: str, expected: str) -> None:
    """3.10's fromisoformat takes 3 or 6 fraction digits and a colon in the
    offset only; the conversion makes every shape the API sent one of those."""
    from claude_usage._iso import parse_iso, three_ten

    assert three_ten(text) == expected
    assert PY310_ISO.fullmatch(expected), expected
    read = datetime.fromisoformat(expected)
    assert parse_iso(text) == (read if read.tzinfo else read.replace(tzinfo=timezone.utc))


#: Offsets the API could send, in minutes east of UTC (None: no offset, read as UTC).
OFFSETS = {"Z": 0, "z": 0, "+0000": 0, "+00:00": 0, "+00": 0, "-0130": -90, "-01:30": -90, "-05": -300, "": None}


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.integers(min_value=0, max_value=9),
    st.sampled_from(sorted(OFFSETS)),
    st.sampled_from(["T", "t", " "]),
    st.sampled_from([".", ","]),
)
def test_every_shape_the_api_could_send_reads_as_3_10_would(
    moment: datetime, digits: int, offset: str, separator: str, point: str
) -> None:
    """The expected time is worked out here, not by ``fromisoformat``: 3.10's
    refuses most of these texts, and this test runs on 3.10 too."""
    from claude_usage._iso import parse_iso, three_ten

    fraction = f"{moment.microsecond:06d}789"[:digits]
    text = moment.strftime(f"%Y-%m-%d{separator}%H:%M:%S") + (point + fraction if digits else "") + offset
    normal = three_ten(text)
    assert PY310_ISO.fullmatch(normal), (text, normal)
    minutes = OFFSETS[offset]
    expected = moment.replace(
        microsecond=int((fraction + "000000")[:6]), tzinfo=timezone(timedelta(minutes=minutes or 0))
    )
    read = datetime.fromisoformat(normal)
    assert read == (expected if minutes is not None else expected.replace(tzinfo=None))
    assert parse_iso(text) == expected


def test_the_render_path_reads_reset_times_as_the_models_do() -> None:
    from claude_usage.history import epoch

    text = "2026-11-25T10:00:00.5Z"
    window = parse_usage({"five_hour": {"utilization": 1, "resets_at": text}}).five_hour
    assert window is not None and window.resets_at is not None
    assert epoch(text) == window.resets_at.timestamp()
    assert epoch("not a time") is None and epoch(1_800_000_000_000) == 1_800_000_000.0


# -- values ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [100.0, 104.5, 250, 1e6])
def test_utilization_over_100_kept(value: float) -> None:
    usage = parse_usage({"five_hour": window(value), "limits": [limit(percent=value)]})
    assert usage.five_hour is not None
    assert usage.five_hour.utilization == float(value)
    assert usage.limits[0].percent == float(value)


def test_integer_utilization_becomes_float() -> None:
    usage = parse_usage({"five_hour": window(41)})
    assert usage.five_hour is not None
    assert usage.five_hour.utilization == 41.0
    assert type(usage.five_hour.utilization) is float


def test_unknown_non_null_windows_reach_the_user(body: dict[str, Any]) -> None:
    body["seven_day_cowork"] = window(17.0, "2026-07-13T06:00:00+00:00")
    body["iguana_necktie"] = {"utilization": 2.5, "resets_at": None, "reason": "new"}
    usage = parse_usage(body)
    assert set(usage.windows) == {"five_hour", "seven_day", "seven_day_cowork", "iguana_necktie"}
    assert usage.windows["seven_day_cowork"] == UsageWindow(
        17.0, datetime(2026, 7, 13, 6, tzinfo=UTC), label="Current week (Cowork)"
    )
    assert usage.windows["iguana_necktie"] == UsageWindow(2.5, None)
    dumped = unstructure_usage(usage)
    assert dumped["windows"]["seven_day_cowork"] == {
        "utilization": 17.0,
        "resets_at": "2026-07-13T06:00:00+00:00",
        "label": "Current week (Cowork)",
        "projected_percent": None,
        "runs_out_at": None,
        "forecast_basis": "reset_due",  # a July body, read in December
    }


def test_unknown_object_without_resets_at_is_no_window() -> None:
    # extra_usage has a utilization too, and is no window; nor is any other
    # object that lacks resets_at.
    usage = parse_usage(
        {
            "five_hour": window(),
            "extra_usage": {"is_enabled": True, "utilization": 5.0},
            "spend": {"utilization": 3.0, "amount": 1},
        }
    )
    assert set(usage.windows) == {"five_hour"}
    assert usage.extra_usage == ExtraUsage(is_enabled=True, utilization=5.0)


def test_unknown_window_of_wrong_shape_is_skipped() -> None:
    usage = parse_usage({"five_hour": window(), "mystery": {"utilization": "lots", "resets_at": "soon"}})
    assert set(usage.windows) == {"five_hour"}


def test_null_windows_and_unknown_keys_ignored(body: dict[str, Any]) -> None:
    body.update(
        {
            "spend": {"amount": 0, "currency": "USD"},
            "member_dashboard_available": True,
            "tangelo": None,
            "iguana_necktie": None,
            "seven_day_cowork": None,
            "some_list": [1, 2, 3],
            "some_string": "x",
            "unknown_window_null_utilization": {"utilization": None, "resets_at": None},
        }
    )
    usage = parse_usage(body)
    assert usage == parse_usage(support.load_body("published_domain_2026_07.json"))
    assert set(usage.windows) == {"five_hour", "seven_day"}


def test_known_window_with_null_utilization_is_none() -> None:
    usage = parse_usage({"five_hour": window(None, "2026-07-08T00:00:00+00:00"), "seven_day": window(3.0)})
    assert usage.five_hour is None
    assert "five_hour" not in usage.windows
    assert usage.seven_day is not None


def test_nulls_in_optional_fields_use_defaults() -> None:
    usage = parse_usage(
        {
            "five_hour": {"utilization": 1.0, "resets_at": None, "reason": None},
            "extra_usage": {
                "is_enabled": None,
                "monthly_limit": None,
                "used_credits": None,
                "utilization": None,
                "currency": None,
            },
            "limits": [
                {
                    "kind": "session",
                    "percent": 5,
                    "severity": None,
                    "resets_at": None,
                    "scope": None,
                    "is_active": None,
                    "group": None,
                }
            ],
        }
    )
    assert usage.five_hour == UsageWindow(1.0, None, label="Current session")
    assert usage.extra_usage == ExtraUsage()
    assert usage.limits == (Limit(kind="session", percent=5.0),)
    assert usage.limits[0].is_active is False
    assert usage.active_limit is None


def test_missing_optional_fields_use_defaults() -> None:
    usage = parse_usage({"five_hour": {"utilization": 2}, "extra_usage": {}, "limits": [{"kind": "x", "percent": 1}]})
    assert usage.five_hour == UsageWindow(2.0, label="Current session")
    assert usage.extra_usage == ExtraUsage()
    assert usage.limits == (Limit(kind="x", percent=1.0),)


@pytest.mark.parametrize(
    "item",
    [
        limit(kind=None),
        limit(percent=None),
        limit(kind=None, percent=None),
        {"percent": 5},
        {"kind": "session"},
    ],
)
def test_limit_with_null_kind_or_percent_skipped(item: dict[str, Any]) -> None:
    usage = parse_usage({"limits": [item, limit(kind="weekly_all", is_active=True)]})
    assert [entry.kind for entry in usage.limits] == ["weekly_all"]
    assert usage.active_limit is not None
    assert usage.active_limit.kind == "weekly_all"


def test_unknown_limit_kinds_kept() -> None:
    usage = parse_usage(
        {
            "limits": [
                limit(kind="monthly_team", severity="catastrophic", new_field=[1, 2], group="monthly"),
                limit(kind="hourly_burst", percent=120, is_active=True),
            ]
        }
    )
    assert [entry.kind for entry in usage.limits] == ["monthly_team", "hourly_burst"]
    assert usage.limits[0].severity == "catastrophic"
    assert usage.active_limit is not None
    assert usage.active_limit.kind == "hourly_burst"
    assert usage.active_limit.percent == 120.0


@pytest.mark.parametrize(
    "scope",
    [
        None,
        {},
        {"model": None},
        {"model": "Opus"},
        {"model": {"id": "x"}},
        {"model": {"display_name": None}},
        {"surface": {"display_name": "Fable"}},
        "weird",
    ],
)
def test_limit_scope_without_model_name(scope: Any) -> None:
    usage = parse_usage({"limits": [limit(scope=scope)]})
    assert usage.limits[0].model is None


def test_limits_empty_list_and_no_windows() -> None:
    usage = parse_usage({"limits": []})
    assert usage == UsageData()
    assert usage.windows == {}
    assert usage.limits == ()


# -- rejected bodies ---------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    ["abc", "53", "", True, False, float("nan"), float("inf"), -float("inf"), 10**400, -(10**400), [53.0], {"x": 1}],
    ids=repr,
)
@pytest.mark.parametrize("key", [*KNOWN_WINDOWS, *CREDIT_WINDOWS])
def test_wrong_type_in_a_window_drops_that_window_only(key: str, bad: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, "claude_usage")
    other = "seven_day" if key == "five_hour" else "five_hour"
    usage = parse_usage({other: window(), key: window(bad), "limits": [limit()]})
    assert key not in usage.windows
    assert getattr(usage, key, None) is None
    assert set(usage.windows) == {other}
    assert len(usage.limits) == 1
    assert f"skipping {key}" in caplog.text


# Limits and extra usage are secondary: a malformed entry is skipped (and
# logged) so that it cannot hide the windows, which must be right.


@pytest.mark.parametrize("bad", ["abc", True, float("nan"), 10**400, [1]], ids=repr)
def test_limit_with_wrong_percent_is_skipped(bad: Any) -> None:
    usage = parse_usage({"five_hour": window(), "limits": [limit(kind="session"), limit(kind="odd", percent=bad)]})
    assert [entry.kind for entry in usage.limits] == ["session"]
    assert usage.five_hour is not None


@pytest.mark.parametrize("fields", [{"kind": 5}, {"kind": None}, {"percent": "5"}], ids=repr)
def test_limit_with_wrong_field_types_is_skipped(fields: dict[str, Any]) -> None:
    usage = parse_usage({"five_hour": window(), "limits": [limit(**fields), limit(kind="weekly_all")]})
    assert [entry.kind for entry in usage.limits] == ["weekly_all"]


@pytest.mark.parametrize(
    ("fields", "dropped"),
    [
        ({"severity": 3}, "severity"),
        ({"group": ["weekly"]}, "group"),
        ({"is_active": "yes"}, "is_active"),
        ({"is_active": 1}, "is_active"),
        ({"scope": {"model": {"display_name": 5}}}, "model"),
        ({"scope": {"surface": "Claude Code"}}, "surface"),
    ],
    ids=repr,
)
def test_limit_keeps_its_row_when_an_optional_field_is_wrong(fields: dict[str, Any], dropped: str) -> None:
    usage = parse_usage({"limits": [limit(kind="weekly_scoped", **fields)]})
    (row,) = usage.limits
    assert row.kind == "weekly_scoped"
    assert row.percent == 10.0
    assert getattr(row, dropped) == attrs.fields_dict(Limit)[dropped].default


@pytest.mark.parametrize(
    "extra",
    [{"is_enabled": "true"}, {"is_enabled": 1}, {"monthly_limit": "50"}, {"used_credits": float("nan")}, []],
    ids=repr,
)
def test_extra_usage_of_the_wrong_shape_is_dropped(extra: Any) -> None:
    usage = parse_usage({"five_hour": window(), "extra_usage": extra})
    assert usage.extra_usage is None
    assert usage.five_hour is not None


@pytest.mark.parametrize("value", ["abc", 53, [window()], True])
def test_known_window_not_an_object_is_dropped(value: Any) -> None:
    usage = parse_usage({"five_hour": value, "seven_day": window()})
    assert usage.five_hour is None
    assert set(usage.windows) == {"seven_day"}


def test_known_window_without_utilization_is_no_data() -> None:
    usage = parse_usage({"five_hour": {"resets_at": "2026-07-08T00:49:59+00:00"}})
    assert usage.five_hour is None
    assert usage.windows == {}


@pytest.mark.parametrize("body", [[], [{"five_hour": window()}], "five_hour", "", None, 0, 53.0, True, b"{}"], ids=repr)
def test_non_object_body_rejected(body: Any) -> None:
    with pytest.raises(ResponseFormatError) as caught:
        parse_usage(body)
    assert caught.value.__context__ is None
    assert caught.value.__cause__ is None


@pytest.mark.parametrize(
    "body",
    [{}, {"spend": {"amount": 1}}, {"tangelo": None, "member_dashboard_available": True}, {"promo_credits": []}],
    ids=repr,
)
def test_body_without_any_usage_rejected(body: dict[str, Any]) -> None:
    with pytest.raises(ResponseFormatError) as caught:
        parse_usage(body)
    assert "none of five_hour" in str(caught.value)


@pytest.mark.parametrize("key", USAGE_KEYS)
def test_any_one_of_the_nine_usage_keys_makes_a_usage_body(key: str) -> None:
    """Claude Code's own test: an object holding one of these keys, even null."""
    usage = parse_usage({key: None})
    assert usage.windows == {}
    assert usage.limits == ()
    assert usage.extra_usage is None


def test_extra_usage_alone_is_a_usage_body() -> None:
    usage = parse_usage({"extra_usage": {"is_enabled": True, "monthly_limit": 50000, "used_credits": 27140}})
    assert usage.windows == {}
    assert usage.extra_usage is not None
    assert usage.extra_usage.used_amount == Decimal("271.40")


@pytest.mark.parametrize("value", [{}, "session", 5, True, {"kind": "session", "percent": 5}])
def test_limits_not_a_list_are_ignored(value: Any) -> None:
    usage = parse_usage({"five_hour": window(), "limits": value})
    assert usage.limits == ()
    assert usage.five_hour is not None


@pytest.mark.parametrize("item", [None, 5, "session", [limit()]], ids=repr)
def test_limit_entry_not_an_object_is_skipped(item: Any) -> None:
    usage = parse_usage({"limits": [limit(), item]})
    assert len(usage.limits) == 1


DEPTH = 100_000


@pytest.mark.parametrize(
    "make_body",
    [
        lambda: nested_lists(DEPTH),
        lambda: nested_objects(DEPTH),
        lambda: {"five_hour": nested_lists(DEPTH)},
        lambda: {"five_hour": nested_objects(DEPTH)},
        lambda: {"five_hour": window(nested_lists(DEPTH))},
        lambda: {"five_hour": window(5.0, nested_objects(DEPTH))},
        lambda: {"limits": nested_lists(DEPTH)},
        lambda: {"limits": [limit(kind=nested_objects(DEPTH))]},
        lambda: {"five_hour": window(), "extra_usage": nested_lists(DEPTH)},
        lambda: {"five_hour": window(), "extra_usage": {"is_enabled": nested_objects(DEPTH)}},
    ],
)
def test_deep_nesting_is_a_format_error_or_dropped(make_body: Any) -> None:
    """Deep nesting is a format error for a body, and drops the part it is
    in (a window, limits, extra usage). Never a RecursionError."""
    body = make_body()
    try:
        usage = parse_usage(body)
    except ResponseFormatError:
        assert not (isinstance(body, dict) and any(key in body for key in USAGE_KEYS)), "a usage body was rejected"
        return
    except RecursionError:  # pragma: no cover - the failure this test is about
        pytest.fail("parse_usage let a RecursionError escape")
    assert set(usage.windows) <= {"five_hour"}
    # A deeply nested reset time is dropped, not the usage beside it.
    assert all(w.utilization in (5.0, 10.0) and w.resets_at is None for w in usage.windows.values()) or all(
        w.utilization == 10.0 for w in usage.windows.values()
    )
    assert usage.limits == ()
    assert usage.extra_usage is None


def test_deep_nesting_in_ignored_places_is_harmless() -> None:
    usage = parse_usage(
        {
            "five_hour": window(),
            "spend": nested_objects(DEPTH),
            "mystery": {"utilization": 1.0, "resets_at": nested_lists(DEPTH)},
            "limits": [limit(scope=nested_objects(DEPTH), new_field=nested_lists(DEPTH))],
        }
    )
    # "mystery" has the shape of a window; its unreadable reset is dropped.
    assert set(usage.windows) == {"five_hour", "mystery"}
    assert usage.windows["mystery"].resets_at is None
    assert usage.limits[0].model is None


def test_format_error_is_a_value_error_and_says_what() -> None:
    with pytest.raises(ValueError, match="none of five_hour"):
        parse_usage({"fivehour": window()})


# -- unstructure ------------------------------------------------------------------


@pytest.mark.parametrize("name", support.body_names())
def test_unstructure_is_json_serialisable(name: str) -> None:
    usage = parse_usage(support.load_body(name))
    dumped = unstructure_usage(usage)
    assert set(dumped) == TOP_LEVEL_KEYS
    text = json.dumps(dumped, allow_nan=False)
    assert json.loads(text) == dumped
    assert set(dumped["windows"]) == set(usage.windows)
    for key, value in dumped["windows"].items():
        source = usage.windows[key]
        credit = {"limit_dollars", "used_dollars", "remaining_dollars", "covered_models_label"}
        assert set(value) == {"utilization", "resets_at", "label", *FORECAST_KEYS} | (
            credit if isinstance(source, CreditWindow) else set()
        )
        assert value["label"] == source.label
        assert value["utilization"] == source.utilization
        if source.resets_at is None:
            assert value["resets_at"] is None
        else:
            assert isinstance(value["resets_at"], str)
            assert datetime.fromisoformat(value["resets_at"]) == source.resets_at
    for entry, source_limit in zip(dumped["limits"], usage.limits, strict=True):
        assert entry["kind"] == source_limit.kind
        assert entry["model"] == source_limit.model
        assert entry["resets_at"] is None or isinstance(entry["resets_at"], str)


FORECAST_KEYS = ("projected_percent", "runs_out_at", "forecast_basis")


def test_unstructure_published_body_exact(body: dict[str, Any]) -> None:
    # Half-way through the five-hour window; the week began 5 d 16.5 h ago.
    now = datetime(2026, 7, 7, 22, 19, 59, 940321, tzinfo=UTC)
    dumped = unstructure_usage(parse_usage(body), now=now)
    runs_out = now + timedelta(seconds=9000 * 47 / 53)  # 53 % in 2.5 h: 47 % more at that rate
    assert dumped["five_hour"] == {
        "utilization": 53.0,
        "resets_at": "2026-07-08T00:49:59.940321+00:00",
        "label": "Current session",
        "projected_percent": pytest.approx(106.0),
        "runs_out_at": runs_out.isoformat(),
        "forecast_basis": "average",
    }
    week_elapsed = timedelta(days=7) - (datetime(2026, 7, 13, 6, tzinfo=UTC) - now)
    assert dumped["seven_day"] == {
        "utilization": 8.0,
        "resets_at": "2026-07-13T06:00:00+00:00",
        "label": "Current week (all models)",
        "projected_percent": pytest.approx(8.0 * timedelta(days=7) / week_elapsed),
        "runs_out_at": None,
        "forecast_basis": "average",
    }
    assert dumped["limits"][2] == {
        "kind": "weekly_scoped",
        "percent": 6.0,
        "severity": "normal",
        "resets_at": "2026-07-13T06:00:00+00:00",
        "is_active": False,
        "model": "Fable",
        "group": "weekly",
        "surface": None,
        "projected_percent": pytest.approx(6.0 * timedelta(days=7) / week_elapsed),
        "runs_out_at": None,
        "forecast_basis": "average",
    }
    assert dumped["extra_usage"] == {
        "is_enabled": False,
        "monthly_limit": None,
        "used_credits": None,
        "utilization": None,
        "currency": None,
        "currency_code": "USD",
        "decimal_places": None,
        "disabled_reason": None,
        "spend_limit_reached": False,
        "used_amount": None,
        "monthly_limit_amount": None,
    }
    assert dumped["promo_credits"] == []


def test_unstructure_of_empty_usage() -> None:
    dumped = unstructure_usage(UsageData())
    assert dumped == {
        "five_hour": None,
        "seven_day": None,
        "windows": {},
        "limits": [],
        "extra_usage": None,
        "promo_credits": [],
    }


def test_unstructure_converts_offsets_to_utc_strings() -> None:
    dumped = unstructure_usage(parse_usage({"five_hour": window(1.0, "2026-07-08T02:00:00+02:00")}))
    assert dumped["five_hour"]["resets_at"] == "2026-07-08T00:00:00+00:00"


# -- the models themselves ---------------------------------------------------------


def test_models_are_frozen(body: dict[str, Any]) -> None:
    usage = parse_usage(body)
    five_hour = usage.five_hour
    extra_usage = usage.extra_usage
    assert five_hour is not None
    assert extra_usage is not None
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        usage.five_hour = None  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        usage.limits = ()  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        usage.windows = {}  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        five_hour.utilization = 0.0  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        usage.limits[0].is_active = False  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        extra_usage.is_enabled = True  # type: ignore[misc]
    assert usage.five_hour is five_hour
    assert five_hour.utilization == 53.0


def test_windows_is_read_only(body: dict[str, Any]) -> None:
    usage = parse_usage(body)
    with pytest.raises(TypeError):
        usage.windows["five_hour"] = UsageWindow(0.0)  # type: ignore[index]
    with pytest.raises(TypeError):
        del usage.windows["five_hour"]  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        usage.windows.clear()  # type: ignore[attr-defined]
    assert usage.five_hour is not None
    assert usage.windows["five_hour"].utilization == 53.0


def test_windows_does_not_alias_the_callers_dict() -> None:
    source = {"five_hour": UsageWindow(1.0)}
    usage = UsageData(five_hour=source["five_hour"], windows=source)
    source["seven_day"] = UsageWindow(2.0)
    assert set(usage.windows) == {"five_hour"}
    with pytest.raises(TypeError):
        usage.windows["x"] = UsageWindow(3.0)  # type: ignore[index]


def test_limits_is_a_tuple_even_from_a_list() -> None:
    usage = UsageData(limits=[Limit("session", 1.0)])
    assert usage.limits == (Limit("session", 1.0),)
    assert isinstance(usage.limits, tuple)


@pytest.mark.parametrize("name", support.body_names())
def test_usage_pickles(name: str) -> None:
    usage = parse_usage(support.load_body(name))
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        restored: UsageData = pickle.loads(pickle.dumps(usage, protocol=protocol))
        assert restored == usage
        assert hash(restored) == hash(usage)
        assert restored.windows == usage.windows
        with pytest.raises(TypeError):
            restored.windows["x"] = UsageWindow(1.0)  # type: ignore[index]
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            restored.seven_day = None  # type: ignore[misc]


def test_usage_copies(body: dict[str, Any]) -> None:
    usage = parse_usage(body)
    assert copy.copy(usage) == usage
    assert copy.deepcopy(usage) == usage
    evolved = attrs.evolve(usage, five_hour=None)
    assert evolved != usage
    assert evolved.windows == usage.windows


def test_equality_and_hash(body: dict[str, Any]) -> None:
    first = parse_usage(body)
    second = parse_usage(support.load_body("published_domain_2026_07.json"))
    assert first == second
    assert first is not second
    assert hash(first) == hash(second)
    assert len({first, second}) == 1

    body["five_hour"]["utilization"] = 54.0
    assert parse_usage(body) != first

    other = support.load_body("published_domain_2026_07.json")
    other["seven_day_cowork"] = window(1.0)
    with_extra_window = parse_usage(other)
    # Only ``windows`` differs: equality must see it.
    assert with_extra_window.five_hour == first.five_hour
    assert with_extra_window != first

    assert UsageWindow(1.0) == UsageWindow(1.0)
    assert UsageWindow(1.0) != UsageWindow(2.0)
    assert hash(UsageWindow(1.0, datetime(2026, 1, 1, tzinfo=UTC))) == hash(
        UsageWindow(1.0, datetime(2026, 1, 1, tzinfo=UTC))
    )
    assert Limit("session", 1.0) == Limit("session", 1.0)
    assert Limit("session", 1.0) != Limit("session", 1.0, is_active=True)
    assert hash(Limit("session", 1.0, model="Opus")) == hash(Limit("session", 1.0, model="Opus"))
    assert ExtraUsage() == ExtraUsage(is_enabled=False)
    assert hash(ExtraUsage()) == hash(ExtraUsage())
    assert UsageData() == UsageData()
    assert UsageData() != first
    assert first != object()


def test_same_instant_different_offsets_compare_equal() -> None:
    one = parse_usage({"five_hour": window(1.0, "2026-07-08T02:00:00+02:00")})
    two = parse_usage({"five_hour": window(1.0, "2026-07-08T00:00:00Z")})
    assert one == two
    assert hash(one) == hash(two)


def test_active_limit_first_active() -> None:
    usage = UsageData(limits=(Limit("a", 1.0), Limit("b", 2.0, is_active=True), Limit("c", 3.0, is_active=True)))
    assert usage.active_limit is not None
    assert usage.active_limit.kind == "b"


# -- property tests ----------------------------------------------------------------

SETTINGS = settings(max_examples=300, derandomize=True, deadline=None)

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**500),
    st.integers(min_value=-(10**500), max_value=-(10**300)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.sampled_from(
        [
            "2026-07-08T00:49:59.940321+00:00",
            "2026-07-08T00:49:59Z",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "utilization",
            "five_hour",
            "USD",
            "jpy",
            "EUROS",
            "out_of_credits",
            "rate_limit_error",
        ]
    ),
)
_keys = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            *KNOWN_WINDOWS,
            *CREDIT_WINDOWS,
            "limits",
            "extra_usage",
            "promo_credits",
            "utilization",
            "resets_at",
            "kind",
            "percent",
            "group",
            "scope",
            "model",
            "surface",
            "display_name",
            "label",
            "limit_dollars",
            "used_dollars",
            "monthly_limit",
            "used_credits",
            "currency",
            "decimal_places",
            "disabled_reason",
            "program_id",
            "error",
            "type",
        ]
    ),
)
json_values: st.SearchStrategy[Any] = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(_keys, children, max_size=5),
    ),
    max_leaves=25,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``value`` (not the root itself)."""
    found: list[tuple[Any, ...]] = []
    items: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    for key, child in items:
        path = (*prefix, key)
        found.append(path)
        found.extend(_paths(child, path))
    return found


PUBLISHED_PATHS = _paths(support.load_body("published_domain_2026_07.json"))


def _replace(body: Any, path: tuple[Any, ...], value: Any) -> None:
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _parses_or_format_error(body: Any) -> UsageData | None:
    try:
        result = parse_usage(body)
    except ResponseFormatError:
        return None
    assert isinstance(result, UsageData)
    # Whatever parsed must be displayable and storable.
    json.dumps(unstructure_usage(result), allow_nan=False)
    for window_value in result.windows.values():
        assert math.isfinite(window_value.utilization)
        assert window_value.resets_at is None or window_value.resets_at.tzinfo is UTC
    return result


@SETTINGS
@given(json_values)
def test_any_json_value_parses_or_is_a_format_error(value: Any) -> None:
    _parses_or_format_error(value)


@SETTINGS
@given(st.dictionaries(_keys, json_values, max_size=8))
def test_any_json_object_parses_or_is_a_format_error(value: dict[str, Any]) -> None:
    _parses_or_format_error(value)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(PUBLISHED_PATHS), json_values), min_size=1, max_size=3))
def test_mutated_published_body_parses_or_is_a_format_error(mutations: list[tuple[tuple[Any, ...], Any]]) -> None:
    body = support.load_body("published_domain_2026_07.json")
    for path, value in mutations:
        try:
            _replace(body, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed the parent of this path
    _parses_or_format_error(body)


@SETTINGS
@given(st.sampled_from(PUBLISHED_PATHS), json_values)
def test_single_mutation_of_published_body(path: tuple[Any, ...], value: Any) -> None:
    body = support.load_body("published_domain_2026_07.json")
    _replace(body, path, value)
    result = _parses_or_format_error(body)
    if result is not None and path[0] not in ("five_hour", "limits", "extra_usage", "seven_day"):
        # A value changed somewhere parsing ignores leaves the result alone.
        assert result.five_hour is not None
        assert result.five_hour.utilization == 53.0


@SETTINGS
@given(st.sampled_from(PUBLISHED_PATHS), json_values)
def test_mutation_is_deterministic(path: tuple[Any, ...], value: Any) -> None:
    body = support.load_body("published_domain_2026_07.json")
    _replace(body, path, value)
    assert _parses_or_format_error(body) == _parses_or_format_error(copy.deepcopy(body))
