"""claude_usage.forecast: pace and run-out per window, with an injected clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claude_usage import Limit, UsageWindow, forecast_limit, forecast_window, parse_usage, unstructure_usage
from claude_usage.forecast import MIN_ELAPSED_SHARE, project, window_length

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
FIVE_HOURS = timedelta(hours=5)


def test_eighty_percent_half_way_through_five_hours_is_on_pace_for_160_and_runs_out_in_37_minutes() -> None:
    forecast = forecast_window("five_hour", UsageWindow(80.0, NOW + timedelta(hours=2.5)), NOW)
    assert forecast.basis == "average"
    assert forecast.projected_percent == pytest.approx(160.0)
    assert forecast.runs_out_at == NOW + timedelta(minutes=37, seconds=30)
    assert forecast.runs_out and forecast.margin == timedelta(hours=1, minutes=52, seconds=30)


def test_a_window_that_lasts_to_its_reset_has_a_projection_and_no_run_out() -> None:
    forecast = forecast_window("seven_day", UsageWindow(20.0, NOW + timedelta(days=3.5)), NOW)
    assert forecast.projected_percent == pytest.approx(40.0)
    assert forecast.runs_out_at is None and not forecast.runs_out and forecast.margin is None


def test_exactly_on_pace_for_100_does_not_run_out_before_the_reset() -> None:
    forecast = forecast_window("five_hour", UsageWindow(50.0, NOW + timedelta(hours=2.5)), NOW)
    assert forecast.projected_percent == pytest.approx(100.0)
    assert forecast.runs_out_at is None


def test_already_at_100_runs_out_now() -> None:
    forecast = forecast_window("five_hour", UsageWindow(104.0, NOW + timedelta(hours=1)), NOW)
    assert forecast.runs_out_at == NOW
    assert forecast.projected_percent == pytest.approx(130.0)


def test_nothing_used_projects_zero_and_never_runs_out() -> None:
    forecast = forecast_window("five_hour", UsageWindow(0.0, NOW + timedelta(hours=1)), NOW)
    assert forecast.projected_percent == 0.0 and forecast.runs_out_at is None


def test_early_in_a_window_says_too_early_instead_of_thousands_of_percent() -> None:
    # Three minutes into five hours at 10 % would "project" 1000 %.
    early = forecast_window("five_hour", UsageWindow(10.0, NOW + FIVE_HOURS - timedelta(minutes=3)), NOW)
    assert early.basis == "too_early" and early.projected_percent is None and early.runs_out_at is None
    # Just past the threshold the projection is given.
    elapsed = FIVE_HOURS * MIN_ELAPSED_SHARE + timedelta(seconds=1)
    later = forecast_window("five_hour", UsageWindow(10.0, NOW + FIVE_HOURS - elapsed), NOW)
    assert later.basis == "average" and later.projected_percent is not None


@pytest.mark.parametrize(
    ("key", "window", "basis"),
    [
        ("cinder_cove", UsageWindow(40.0, NOW + timedelta(days=2)), "unknown_length"),
        ("five_hour", UsageWindow(40.0, None), "not_started"),
        ("five_hour", UsageWindow(40.0, NOW - timedelta(seconds=1)), "reset_due"),
        ("five_hour", UsageWindow(40.0, NOW + timedelta(hours=9)), "too_early"),  # a reset further than the length
    ],
)
def test_windows_without_a_forecast_say_why(key: str, window: UsageWindow, basis: str) -> None:
    forecast = forecast_window(key, window, NOW)
    assert forecast.basis == basis
    assert forecast.projected_percent is None and forecast.runs_out_at is None


@pytest.mark.parametrize(
    ("key", "length"),
    [
        ("five_hour", FIVE_HOURS),
        ("seven_day", timedelta(days=7)),
        ("seven_day_opus", timedelta(days=7)),
        ("seven_day_overage_included", timedelta(days=7)),
        ("cinder_cove", None),
        ("wattle_ember", None),
    ],
)
def test_window_lengths_by_key(key: str, length: timedelta | None) -> None:
    assert window_length(key) == length


@pytest.mark.parametrize(
    ("kind", "group", "length"),
    [
        ("session", "session", FIVE_HOURS),
        ("weekly_all", "weekly", timedelta(days=7)),
        ("weekly_scoped", "weekly", timedelta(days=7)),
        ("spend", "daily", timedelta(days=1)),
        ("spend", "monthly", None),
        ("weekly_scoped", None, timedelta(days=7)),
        ("a_kind_from_next_month", None, None),
    ],
)
def test_limits_take_their_length_from_the_group(kind: str, group: str | None, length: timedelta | None) -> None:
    resets = NOW + (length / 2 if length else timedelta(days=1))
    forecast = forecast_limit(Limit(kind, 30.0, resets_at=resets, group=group), NOW)
    if length is None:
        assert forecast.basis == "unknown_length"
    else:
        assert forecast.projected_percent == pytest.approx(60.0)


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        project(10.0, NOW, FIVE_HOURS, datetime(2026, 12, 5, 12, 0))


@given(
    st.floats(min_value=0.0, max_value=500.0),
    st.floats(min_value=MIN_ELAPSED_SHARE * 1.01, max_value=0.999),
)
def test_run_out_is_before_the_reset_exactly_when_the_projection_passes_100(percent: float, share: float) -> None:
    resets = NOW + FIVE_HOURS * (1 - share)
    forecast = project(percent, resets, FIVE_HOURS, NOW)
    assert forecast.projected_percent is not None
    assert forecast.projected_percent == pytest.approx(percent / share)
    if forecast.runs_out_at is not None:
        assert NOW <= forecast.runs_out_at < resets
        assert forecast.projected_percent >= 100.0 * (1 - 1e-9)
    else:
        assert forecast.projected_percent <= 100.0 * (1 + 1e-9)


def test_the_json_document_carries_each_windows_and_limits_forecast() -> None:
    usage = parse_usage(
        {
            "five_hour": {"utilization": 80.0, "resets_at": (NOW + timedelta(hours=2.5)).isoformat()},
            "seven_day": {"utilization": 10.0, "resets_at": (NOW + timedelta(days=6.99)).isoformat()},
            "cinder_cove": {"utilization": 5.0, "resets_at": None},
            "limits": [
                {
                    "kind": "session",
                    "group": "session",
                    "percent": 80.0,
                    "resets_at": (NOW + timedelta(hours=2.5)).isoformat(),
                    "is_active": True,
                }
            ],
        }
    )
    document = unstructure_usage(usage, now=NOW)
    five = document["five_hour"]
    assert five["projected_percent"] == pytest.approx(160.0)
    assert five["runs_out_at"] == (NOW + timedelta(minutes=37.5)).isoformat()
    assert five["forecast_basis"] == "average"
    assert document["windows"]["five_hour"] == five
    assert document["seven_day"]["forecast_basis"] == "too_early"
    assert document["windows"]["cinder_cove"]["forecast_basis"] == "unknown_length"
    assert document["limits"][0]["runs_out_at"] == five["runs_out_at"]
