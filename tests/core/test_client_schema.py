"""The usage body as Claude Code 2.1.332 validates it: money in minor units
with exact major-unit amounts, credit windows under their labels, promotional
credits, limits with groups and surfaces, and bad input in every new field
dropped or typed, never another exception."""

from __future__ import annotations

import logging
import math
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import support
from claude_usage import CreditWindow, ExtraUsage, Limit, PromoCredit, ResponseFormatError, parse_usage
from claude_usage.models import currency_exponent

SETTINGS = settings(max_examples=300, derandomize=True, deadline=None)


def extra(**fields: Any) -> ExtraUsage:
    usage = parse_usage({"extra_usage": {"is_enabled": True, **fields}})
    assert usage.extra_usage is not None
    return usage.extra_usage


# -- money -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "used", "limit", "used_amount", "limit_amount"),
    [
        ("USD", 27140, 50000, "271.40", "500.00"),
        ("EUR", 5000, 5000, "50.00", "50.00"),
        ("BRL", 1, 100000, "0.01", "1000.00"),
        ("JPY", 1200, 50000, "1200", "50000"),
        ("KWD", 1500, 10000, "1.500", "10.000"),
        ("usd", 27140.5, 50000, "271.405", "500.00"),
        (None, 27140, 50000, "271.40", "500.00"),
    ],
)
def test_amounts_are_major_units_by_the_currencys_exponent(
    currency: str | None, used: float, limit: float, used_amount: str, limit_amount: str
) -> None:
    fields: dict[str, Any] = {"used_credits": used, "monthly_limit": limit}
    if currency is not None:
        fields["currency"] = currency
    money = extra(**fields)
    # What the API sent stays exactly what it sent (minor units).
    assert (money.used_credits, money.monthly_limit) == (used, limit)
    assert money.used_amount == Decimal(used_amount)
    assert str(money.used_amount) == used_amount  # every place of the currency, no float noise
    assert str(money.monthly_limit_amount) == limit_amount
    assert money.currency_code == (currency or "USD").upper()
    assert money.currency == (None if currency is None else currency.upper())


def test_decimal_places_from_the_body_win_over_the_currency() -> None:
    money = extra(used_credits=27140, monthly_limit=None, currency="USD", decimal_places=3)
    assert money.decimal_places == 3
    assert money.used_amount == Decimal("27.140")
    assert money.monthly_limit_amount is None  # no limit: unlimited


@pytest.mark.parametrize("places", [-1, 7, 99, 2.5, True, "2", None])
def test_an_absurd_decimal_places_is_ignored_not_the_money(places: Any) -> None:
    money = extra(used_credits=27140, monthly_limit=50000, currency="USD", decimal_places=places)
    assert money.decimal_places is None
    assert money.used_amount == Decimal("271.40")


def test_iso_exponents() -> None:
    assert [currency_exponent(code) for code in ("USD", "EUR", "BRL", "JPY", "jpy", "KWD", "XYZ")] == [
        2,
        2,
        2,
        0,
        0,
        3,
        2,
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"used_credits": -1},
        {"monthly_limit": -50000},
        {"used_credits": 1e20},
        {"monthly_limit": 10**400},
        {"used_credits": "271.40"},
        {"currency": "dollars"},
        {"currency": "US"},
        {"currency": ""},
        {"currency": 840},
        {"currency": ["USD"]},
        {"is_enabled": "yes"},
    ],
    ids=repr,
)
def test_extra_usage_with_bad_money_is_dropped_not_the_rest(
    fields: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "claude_usage")
    body = {"five_hour": {"utilization": 5, "resets_at": None}, "extra_usage": {"is_enabled": True, **fields}}
    usage = parse_usage(body)
    assert usage.extra_usage is None
    assert usage.five_hour is not None
    assert "skipping extra_usage" in caplog.text


@pytest.mark.parametrize(
    ("fields", "name"),
    [({"disabled_reason": 5}, "disabled_reason"), ({"spend_limit_reached": "true"}, "spend_limit_reached")],
)
def test_a_wrong_typed_reason_is_dropped_not_the_money(fields: dict[str, Any], name: str) -> None:
    money = extra(used_credits=100, monthly_limit=200, **fields)
    assert getattr(money, name) == attrs.fields_dict(ExtraUsage)[name].default
    assert money.used_amount == Decimal("1.00")


@pytest.mark.parametrize("reason", ["out_of_credits", "org_spend_cap_reached", "org_level_disabled_until", "next"])
def test_disabled_reason_passes_through(reason: str) -> None:
    usage = parse_usage({"extra_usage": {"is_enabled": False, "disabled_reason": reason, "spend_limit_reached": True}})
    assert usage.extra_usage == ExtraUsage(is_enabled=False, disabled_reason=reason, spend_limit_reached=True)


# -- credits -------------------------------------------------------------------------


def test_credit_windows_keep_their_labels_and_dollars() -> None:
    usage = parse_usage(support.load_body("client_credits_and_surfaces.json"))
    cove = usage.windows["cinder_cove"]
    assert type(cove) is not CreditWindow
    assert (cove.utilization, cove.label) == (40.0, "Claude Code and Cowork credit")
    ember = usage.windows["wattle_ember"]
    assert isinstance(ember, CreditWindow)
    assert ember.label == "Credit"  # the server's label was null
    assert (ember.limit_dollars, ember.used_dollars, ember.remaining_dollars) == (
        Decimal(50),
        Decimal("12.5"),
        Decimal("37.5"),
    )
    assert ember.covered_models_label == "Opus and Sonnet"
    assert "cedar_ember" not in usage.windows  # an experiment, not a window


def test_the_servers_label_wins() -> None:
    usage = parse_usage({"wattle_ember": {"utilization": 1, "resets_at": None, "label": "Welcome credit"}})
    assert usage.windows["wattle_ember"].label == "Welcome credit"
    usage = parse_usage({"five_hour": {"utilization": 1, "resets_at": None, "label": "Session (peak)"}})
    assert usage.windows["five_hour"].label == "Session (peak)"


def test_promo_credits_reach_the_user() -> None:
    usage = parse_usage(support.load_body("client_credits_and_surfaces.json"))
    assert usage.promo_credits == (
        PromoCredit(
            program_id="spring_2026",
            utilization=10.0,
            resets_at=usage.promo_credits[0].resets_at,
            label="Spring promotion",
            limit_dollars=Decimal(100),
            used_dollars=Decimal(10),
            remaining_dollars=Decimal(90),
            terms_line="Expires Dec 15",
        ),
    )


@pytest.mark.parametrize("value", [{}, "spring", 5, True, {"program_id": "x"}])
def test_promo_credits_not_a_list_are_ignored(value: Any) -> None:
    usage = parse_usage({"five_hour": {"utilization": 1, "resets_at": None}, "promo_credits": value})
    assert usage.promo_credits == ()
    assert usage.five_hour is not None


@pytest.mark.parametrize(
    "item",
    [
        None,
        5,
        {"utilization": 5},
        {"program_id": 7},
        {"program_id": "p", "limit_dollars": -5},
        {"program_id": "p", "used_dollars": "5"},
    ],
    ids=repr,
)
def test_a_malformed_promo_credit_is_dropped_alone(item: Any) -> None:
    usage = parse_usage({"limits": [], "promo_credits": [item, {"program_id": "kept", "utilization": None}]})
    assert [promo.program_id for promo in usage.promo_credits] == ["kept"]


def test_credit_window_with_bad_dollars_is_dropped_alone() -> None:
    usage = parse_usage(
        {
            "five_hour": {"utilization": 1, "resets_at": None},
            "wattle_ember": {"utilization": 5, "resets_at": None, "used_dollars": -3},
        }
    )
    assert set(usage.windows) == {"five_hour"}


# -- limits ---------------------------------------------------------------------------


def test_limits_keep_group_model_and_surface() -> None:
    usage = parse_usage(support.load_body("client_credits_and_surfaces.json"))
    assert [(limit.group, limit.model, limit.surface) for limit in usage.limits] == [
        ("session", None, None),
        ("weekly", None, None),
        ("weekly", "Fable", None),
        ("weekly", None, "Claude Code"),
    ]
    assert usage.active_limit is not None and usage.active_limit.percent == 99.6


def test_gateway_spend_limits_pass_through_untouched() -> None:
    usage = parse_usage(support.load_body("client_gateway_spend.json"))
    assert usage.windows == {}
    assert [(limit.kind, limit.group, limit.percent, limit.severity) for limit in usage.limits] == [
        ("spend", "daily", 12.0, "normal"),
        ("spend", "weekly", 17.6, "normal"),
        ("spend", "monthly", 112.5, "critical"),
    ]
    assert usage.extra_usage is not None
    assert usage.extra_usage.currency == "EUR"
    assert usage.extra_usage.monthly_limit is None
    assert usage.extra_usage.used_amount == Decimal("1234.56")


def test_unknown_kind_group_and_severity_pass_through() -> None:
    row = {"kind": "hourly_burst", "group": "burst", "percent": 3, "severity": "magenta", "resets_at": None}
    assert parse_usage({"limits": [row]}).limits == (
        Limit(kind="hourly_burst", percent=3.0, severity="magenta", group="burst"),
    )


# -- any shape -------------------------------------------------------------------------

_money = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
)
_currency = st.one_of(
    st.none(), st.integers(), st.sampled_from(["USD", "eur", "JPY", "KWD", "XYZ", "US", "", "dollars"])
)
_extra = st.fixed_dictionaries(
    {},
    optional={
        "is_enabled": st.one_of(st.booleans(), st.none(), st.integers()),
        "monthly_limit": _money,
        "used_credits": _money,
        "utilization": _money,
        "currency": _currency,
        "decimal_places": st.one_of(st.none(), st.booleans(), st.integers(min_value=-5, max_value=50), st.floats()),
        "disabled_reason": st.one_of(st.none(), st.text(max_size=10), st.integers()),
        "spend_limit_reached": st.one_of(st.none(), st.booleans(), st.text(max_size=3)),
    },
)
_credit = st.fixed_dictionaries(
    {},
    optional={
        "program_id": st.one_of(st.text(max_size=5), st.integers(), st.none()),
        "utilization": _money,
        "resets_at": st.one_of(st.none(), st.just("2026-12-01T00:00:00Z"), st.text(max_size=5)),
        "label": st.one_of(st.none(), st.text(max_size=5), st.integers()),
        "limit_dollars": _money,
        "used_dollars": _money,
        "remaining_dollars": _money,
    },
)


@SETTINGS
@given(extra_usage=_extra, credit=_credit, promos=st.one_of(st.lists(_credit, max_size=3), _money))
def test_any_money_shape_parses_or_is_dropped(extra_usage: Any, credit: Any, promos: Any) -> None:
    try:
        usage = parse_usage({"extra_usage": extra_usage, "wattle_ember": credit, "promo_credits": promos})
    except ResponseFormatError:  # pragma: no cover - the body always holds a usage key
        pytest.fail("a body with extra_usage was rejected")
    money = usage.extra_usage
    if money is not None:
        for amount in (money.used_amount, money.monthly_limit_amount):
            assert amount is None or (amount.is_finite() and amount >= 0)
        assert money.currency is None or (len(money.currency) == 3 and money.currency.isupper())
    for promo in usage.promo_credits:
        assert isinstance(promo.program_id, str)
        for dollars in (promo.limit_dollars, promo.used_dollars, promo.remaining_dollars):
            assert dollars is None or (isinstance(dollars, Decimal) and dollars >= 0)


def test_dollars_are_exact_decimals_not_binary_floats() -> None:
    usage = parse_usage(
        {"wattle_ember": {"utilization": 1, "resets_at": None, "used_dollars": 12.34, "limit_dollars": 0.1}}
    )
    ember = usage.windows["wattle_ember"]
    assert isinstance(ember, CreditWindow)
    assert (ember.used_dollars, ember.limit_dollars) == (Decimal("12.34"), Decimal("0.1"))


def test_a_gateways_extra_usage_without_is_enabled_is_on() -> None:
    """Claude Code's gateway reader has no is_enabled: money being counted
    means extra usage is on."""
    usage = parse_usage(support.load_body("client_gateway_spend.json"))
    assert usage.extra_usage is not None and usage.extra_usage.is_enabled is True
    assert parse_usage({"extra_usage": {"utilization": None}}).extra_usage == ExtraUsage(is_enabled=False)


@pytest.mark.parametrize("minor", [float("nan"), float("inf"), 1e30, 1e300])
def test_amounts_of_a_model_built_by_hand_never_raise(minor: float) -> None:
    money = ExtraUsage(is_enabled=True, used_credits=minor, monthly_limit=minor)
    if math.isfinite(minor):
        whole, cents = divmod(int(minor), 100)
        assert str(money.used_amount) == f"{whole}.{cents:02d}"
    else:
        assert money.used_amount is None and money.monthly_limit_amount is None


def test_experiments_are_never_windows() -> None:
    shaped = {"utilization": 5, "resets_at": "2026-12-01T00:00:00Z"}
    body = {"five_hour": shaped, "cedar_ember": shaped, "juniper_tide": shaped, "starry_waterfall": shaped}
    assert set(parse_usage(body).windows) == {"five_hour"}
