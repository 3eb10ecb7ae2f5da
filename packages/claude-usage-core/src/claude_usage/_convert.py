"""The one cattrs converter that turns response bodies into models and back.

Rules, because the endpoint is undocumented and grows every few weeks:

* a usage body is a JSON object holding at least one of the keys Claude
  Code tests for (:data:`~claude_usage.models.USAGE_KEYS`); a body with only
  ``extra_usage`` (what an enterprise gateway answers) is valid;
* unknown keys are ignored and ``null`` is the same as absent, anywhere;
* a window is a known window key whose value is an object, or any other
  top-level key whose value is an object with ``utilization`` and
  ``resets_at``; a window whose ``utilization`` is null is no data;
* one malformed part (a window, a ``limits`` entry, ``extra_usage``, a
  promotional credit) is dropped and logged: it never hides the rest. A
  wrong-typed optional field of a part (a label that is a number, an absurd
  ``decimal_places``) is dropped, not the part; a wrong-typed number the
  part is about (``utilization``, ``percent``, money) drops the part;
* money in ``extra_usage`` stays in the minor units it was sent in; credit
  dollars become exact decimals.

Every failure, whatever the input, surfaces as ``ResponseFormatError``.
"""

from __future__ import annotations

import logging
import math
import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import attrs
import cattrs

from claude_usage._iso import parse_iso
from claude_usage.errors import ResponseFormatError
from claude_usage.forecast import Forecast, forecast_limit, forecast_window
from claude_usage.history import History, scope_name
from claude_usage.models import (
    CREDIT_WINDOWS,
    KNOWN_WINDOWS,
    USAGE_KEYS,
    CreditWindow,
    ExtraUsage,
    Limit,
    PromoCredit,
    UsageData,
    UsageWindow,
)
from claude_usage.names import WINDOW_NAMES

__all__ = ["parse_usage", "unstructure_usage"]

log = logging.getLogger("claude_usage")

#: Money larger than this (in minor units, or dollars for credits) is not a
#: real balance: the part carrying it is dropped rather than printed.
MAX_MONEY = 1e13
#: ``decimal_places`` beyond this is absurd (ISO 4217's largest is 4).
MAX_DECIMAL_PLACES = 6
_CURRENCY = re.compile(r"[A-Za-z]{3}")
#: Top-level objects Claude Code knows are not windows.
_NOT_WINDOWS = frozenset(
    {
        "extra_usage",
        "limits",
        "promo_credits",
        "ended_promo_credits",
        # Claude Code's experiments: never windows, whatever they hold.
        "cedar_ember",
        "juniper_tide",
        "starry_waterfall",
    }
)


def _number(value: Any, _: object = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    try:
        result = float(value)
    except OverflowError:
        raise ValueError("number out of range") from None
    if not math.isfinite(result):
        raise ValueError("number is not finite")
    return result


def _money(value: Any) -> float:
    amount = _number(value)
    if amount < 0 or amount > MAX_MONEY:
        raise ValueError(f"money out of range ({amount:g})")
    return amount


def _dollars(value: Any, _: object = None) -> Decimal:
    amount = _money(value)
    return Decimal(int(amount)) if amount == int(amount) else Decimal(repr(amount))


def _string(value: Any, _: object = None) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _boolean(value: Any, _: object = None) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value


def _timestamp(value: Any, _: object = None) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO-8601 string, got {type(value).__name__}")
    return parse_iso(value)


def _optional(fields: dict[str, Any], name: str, check: Any) -> None:
    """Drop an optional field that does not pass ``check`` (logged, not fatal)."""
    if name in fields and not check(fields[name]):
        log.debug("ignoring %s: unexpected value of type %s", name, type(fields[name]).__name__)
        del fields[name]


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _without_nulls(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise TypeError(f"expected an object, got {type(data).__name__}")
    return {key: value for key, value in data.items() if value is not None}


def _readable_time(value: Any) -> bool:
    try:
        _timestamp(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def _window_fields(data: Any) -> dict[str, Any]:
    fields = _without_nulls(data)
    # An unreadable reset time is dropped, not the usage it comes with.
    _optional(fields, "resets_at", _readable_time)
    _optional(fields, "label", _is_text)
    _optional(fields, "covered_models_label", _is_text)
    return fields


def _promo_fields(data: Any) -> dict[str, Any]:
    fields = _window_fields(data)
    for name in ("terms_line", "notice"):
        _optional(fields, name, _is_text)
    return fields


def _limit_fields(data: Any) -> dict[str, Any]:
    fields = _without_nulls(data)
    _optional(fields, "resets_at", _readable_time)
    scope = fields.pop("scope", None)
    for key in ("model", "surface"):
        fields.pop(key, None)  # only ever from the scope object
        name = scope_name(scope, key)
        if name is not None:
            fields[key] = name
    for name in ("severity", "group"):
        _optional(fields, name, _is_text)
    _optional(fields, "is_active", lambda value: isinstance(value, bool))
    return fields


def _places(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_DECIMAL_PLACES


def _extra_fields(data: Any) -> dict[str, Any]:
    fields = _without_nulls(data)
    for name in ("monthly_limit", "used_credits"):
        if name in fields:
            fields[name] = _money(fields[name])
    if "is_enabled" not in fields and ("used_credits" in fields or "monthly_limit" in fields):
        # An enterprise gateway's extra usage has no is_enabled: money being
        # counted means it is on (Claude Code's gateway reader shows it so).
        fields["is_enabled"] = True
    currency = fields.get("currency")
    if currency is not None:
        if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
            # Amounts in an unknown unit would be made up: the part goes.
            raise ValueError("currency is not a three-letter ISO 4217 code")
        fields["currency"] = currency.upper()
    _optional(fields, "decimal_places", _places)
    _optional(fields, "disabled_reason", _is_text)
    _optional(fields, "spend_limit_reached", lambda value: isinstance(value, bool))
    return fields


def _build_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=False)
    converter.register_structure_hook(float, _number)
    converter.register_structure_hook(str, _string)
    converter.register_structure_hook(bool, _boolean)
    converter.register_structure_hook(datetime, _timestamp)
    converter.register_structure_hook(Decimal, _dollars)
    converter.register_unstructure_hook(datetime, lambda value: value.isoformat())
    # Decimals reach JSON as numbers (271.4), never as strings or floats
    # computed in binary: json.dumps writes the float nearest the decimal.
    converter.register_unstructure_hook(Decimal, float)

    for cls, prepare in (
        (UsageWindow, _window_fields),
        (CreditWindow, _window_fields),
        (PromoCredit, _promo_fields),
        (ExtraUsage, _extra_fields),
        (Limit, _limit_fields),
    ):
        generated = cattrs.gen.make_dict_structure_fn(cls, converter)
        converter.register_structure_hook(
            cls, lambda data, target, _gen=generated, _prep=prepare: _gen(_prep(data), target)
        )
    return converter


_CONVERTER = _build_converter()


class _Malformed(Exception):
    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")


def _describe(exc: BaseException) -> str:
    # cattrs groups the per-field errors; the first leaf is the useful one.
    while getattr(exc, "exceptions", None):
        exc = exc.exceptions[0]  # type: ignore[attr-defined]
    return str(exc) or type(exc).__name__


_FAILURES = (
    cattrs.BaseValidationError,
    TypeError,
    ValueError,
    KeyError,
    OverflowError,
    RecursionError,
    ArithmeticError,
)


def _structure(value: Any, cls: type[Any], where: str) -> Any:
    try:
        return _CONVERTER.structure(value, cls)
    except _FAILURES as exc:
        reason = _describe(exc)
    raise _Malformed(where, reason)


def _part(value: Any, cls: type[Any], where: str) -> Any:
    """The part, or None (logged) when it is malformed: it never hides the rest."""
    try:
        return _structure(value, cls, where)
    except _Malformed as exc:
        log.debug("skipping %s", exc)
        return None


def _is_window(key: str, value: Any) -> bool:
    if key in _NOT_WINDOWS or not isinstance(value, dict):
        return False
    return (
        key in KNOWN_WINDOWS
        or key in CREDIT_WINDOWS
        or key in WINDOW_NAMES
        or ("utilization" in value and "resets_at" in value)
    )


def _window(key: str, value: dict[str, Any]) -> UsageWindow | None:
    cls = CreditWindow if any(name.endswith("_dollars") for name in value) else UsageWindow
    window: UsageWindow | None = _part(value, cls, key)
    if window is not None and window.label is None and key in WINDOW_NAMES:
        window = attrs.evolve(window, label=WINDOW_NAMES[key])
    return window


def _parse(body: Any) -> UsageData:
    if not isinstance(body, dict):
        raise _Malformed("the response", f"expected a JSON object, got {type(body).__name__}")
    if not any(key in body for key in USAGE_KEYS):
        raise _Malformed("the response", f"none of {', '.join(USAGE_KEYS)} is present")

    windows: dict[str, UsageWindow] = {}
    for key, value in body.items():
        if not isinstance(key, str):
            continue
        if key in WINDOW_NAMES and value is not None and not isinstance(value, dict):
            log.debug("skipping window %r: expected an object, got %s", key, type(value).__name__)
            continue
        if not _is_window(key, value) or value.get("utilization") is None:
            continue
        window = _window(key, value)
        if window is not None:
            windows[key] = window

    limits: list[Limit] = []
    raw_limits = body.get("limits")
    if isinstance(raw_limits, list):
        for index, item in enumerate(raw_limits):
            limit = _part(item, Limit, f"limits[{index}]")
            if limit is not None:
                limits.append(limit)
    elif raw_limits is not None:
        log.debug("skipping limits: expected a list, got %s", type(raw_limits).__name__)

    promos: list[PromoCredit] = []
    raw_promos = body.get("promo_credits")
    if isinstance(raw_promos, list):
        for index, item in enumerate(raw_promos):
            promo = _part(item, PromoCredit, f"promo_credits[{index}]")
            if promo is not None:
                promos.append(promo)
    elif raw_promos is not None:
        log.debug("skipping promo_credits: expected a list, got %s", type(raw_promos).__name__)

    raw_extra = body.get("extra_usage")
    extra = None if raw_extra is None else _part(raw_extra, ExtraUsage, "extra_usage")

    return UsageData(
        **{key: windows.get(key) for key in KNOWN_WINDOWS},
        windows=windows,
        limits=tuple(limits),
        extra_usage=extra,
        promo_credits=tuple(promos),
    )


def parse_usage(body: Any) -> UsageData:
    """Build :class:`UsageData` from a decoded JSON body.

    Raises :class:`ResponseFormatError` for anything that is not a usage
    body; never any other exception.
    """
    try:
        return _parse(body)
    except _Malformed as exc:
        message = str(exc)
    except RecursionError:
        message = "the response is nested too deeply"
    raise ResponseFormatError(f"unexpected usage response ({message})")


def _forecast_fields(forecast: Forecast) -> dict[str, Any]:
    return {
        "projected_percent": forecast.projected_percent,
        "runs_out_at": None if forecast.runs_out_at is None else forecast.runs_out_at.isoformat(),
        "forecast_basis": forecast.basis,
    }


def _unstructure_window(
    key: str, window: UsageWindow | None, now: datetime, history: History | None
) -> dict[str, Any] | None:
    if window is None:
        return None
    document: dict[str, Any] = _CONVERTER.unstructure(window)
    document.update(_forecast_fields(forecast_window(key, window, now, history)))
    return document


def _unstructure_limit(limit: Limit, now: datetime, history: History | None) -> dict[str, Any]:
    document: dict[str, Any] = _CONVERTER.unstructure(limit)
    document.update(_forecast_fields(forecast_limit(limit, now, history)))
    return document


def _amount(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _extra_document(extra: ExtraUsage) -> dict[str, Any]:
    document: dict[str, Any] = _CONVERTER.unstructure(extra)
    document["currency_code"] = extra.currency_code
    document["used_amount"] = _amount(extra.used_amount)
    document["monthly_limit_amount"] = _amount(extra.monthly_limit_amount)
    return document


def unstructure_usage(usage: UsageData, now: datetime | None = None, history: History | None = None) -> dict[str, Any]:
    """The JSON document ``claude-usage --json`` prints. Every window and
    limit carries its forecast (:mod:`claude_usage.forecast`) as of ``now``
    (timezone-aware; default: the clock); windows at their recent rate
    where ``history`` (the observation log) has one."""
    moment = now if now is not None else datetime.now(timezone.utc)
    return {
        "five_hour": _unstructure_window("five_hour", usage.five_hour, moment, history),
        "seven_day": _unstructure_window("seven_day", usage.seven_day, moment, history),
        "windows": {key: _unstructure_window(key, value, moment, history) for key, value in usage.windows.items()},
        "limits": [_unstructure_limit(limit, moment, history) for limit in usage.limits],
        "extra_usage": None if usage.extra_usage is None else _extra_document(usage.extra_usage),
        "promo_credits": [_CONVERTER.unstructure(promo) for promo in usage.promo_credits],
    }
