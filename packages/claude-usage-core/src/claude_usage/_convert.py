"""The one cattrs converter that turns response bodies into models and back.

Rules, because the endpoint is undocumented and grows every few weeks:

* unknown keys are ignored and ``null`` is the same as absent, anywhere;
* a window is any top-level key whose value is an object with
  ``utilization`` (for the five known windows) or with ``utilization`` and
  ``resets_at`` (for any other key); a window whose ``utilization`` is null
  is no data, i.e. ``None``;
* a known window with a value of the wrong type (a string where a number
  belongs) is a :class:`ResponseFormatError`: we would rather say the body is
  wrong than show a made-up number. An unknown window of the wrong shape is
  skipped and logged;
* a ``limits`` entry that cannot be read (a null or wrong-typed ``kind`` or
  ``percent``, not an object) is skipped and logged, and so is an
  ``extra_usage`` of the wrong shape: they must not hide the windows.

Every failure, whatever the input, surfaces as ``ResponseFormatError``.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timezone
from typing import Any

import cattrs

from claude_usage.errors import ResponseFormatError
from claude_usage.models import KNOWN_WINDOWS, ExtraUsage, Limit, UsageData, UsageWindow

__all__ = ["parse_usage", "unstructure_usage"]

log = logging.getLogger("claude_usage")


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
    if value.endswith("Z"):
        # Python 3.10's fromisoformat does not accept the "Z" suffix.
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        # The API always sends an offset; a bare time is read as UTC rather
        # than as the machine's local time.
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _without_nulls(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise TypeError(f"expected an object, got {type(data).__name__}")
    return {key: value for key, value in data.items() if value is not None}


def _limit_fields(data: Any) -> dict[str, Any]:
    fields = _without_nulls(data)
    scope = fields.pop("scope", None)
    model = scope.get("model") if isinstance(scope, dict) else None
    name = model.get("display_name") if isinstance(model, dict) else None
    if name is not None:
        fields["model"] = name
    return fields


def _build_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=False)
    converter.register_structure_hook(float, _number)
    converter.register_structure_hook(str, _string)
    converter.register_structure_hook(bool, _boolean)
    converter.register_structure_hook(datetime, _timestamp)
    converter.register_unstructure_hook(datetime, lambda value: value.isoformat())

    for cls, prepare in ((UsageWindow, _without_nulls), (ExtraUsage, _without_nulls), (Limit, _limit_fields)):
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


_FAILURES = (cattrs.BaseValidationError, TypeError, ValueError, KeyError, OverflowError, RecursionError)


def _structure(value: Any, cls: type[Any], where: str) -> Any:
    try:
        return _CONVERTER.structure(value, cls)
    except _FAILURES as exc:
        reason = _describe(exc)
    raise _Malformed(where, reason)


def _is_window(key: str, value: Any) -> bool:
    if key == "extra_usage" or not isinstance(value, dict) or "utilization" not in value:
        return False
    return key in KNOWN_WINDOWS or "resets_at" in value


def _parse(body: Any) -> UsageData:
    if not isinstance(body, dict):
        raise _Malformed("the response", f"expected a JSON object, got {type(body).__name__}")
    if not any(key in body for key in (*KNOWN_WINDOWS, "limits")):
        raise _Malformed("the response", "none of five_hour, seven_day or limits is present")

    windows: dict[str, UsageWindow] = {}
    for key, value in body.items():
        if not isinstance(key, str):
            continue
        if key in KNOWN_WINDOWS and value is not None and not _is_window(key, value):
            raise _Malformed(key, "expected an object with a utilization")
        if not _is_window(key, value) or value["utilization"] is None:
            continue
        try:
            windows[key] = _structure(value, UsageWindow, key)
        except _Malformed:
            if key in KNOWN_WINDOWS:
                raise
            log.debug("skipping window %r: it does not have the shape of a window", key)

    # Limits and extra usage are secondary: an entry of an unexpected shape
    # (a kind added tomorrow with other fields) is skipped, so it cannot hide
    # the windows. Only the windows themselves must be right.
    limits: list[Limit] = []
    raw_limits = body.get("limits")
    if isinstance(raw_limits, list):
        for index, item in enumerate(raw_limits):
            try:
                limits.append(_structure(item, Limit, f"limits[{index}]"))
            except _Malformed as exc:
                log.debug("skipping %s", exc)
    elif raw_limits is not None:
        log.debug("skipping limits: expected a list, got %s", type(raw_limits).__name__)

    extra = None
    raw_extra = body.get("extra_usage")
    if raw_extra is not None:
        try:
            extra = _structure(raw_extra, ExtraUsage, "extra_usage")
        except _Malformed as exc:
            log.debug("skipping %s", exc)

    return UsageData(
        **{key: windows.get(key) for key in KNOWN_WINDOWS},
        windows=windows,
        limits=tuple(limits),
        extra_usage=extra,
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


def _window(window: UsageWindow | None) -> dict[str, Any] | None:
    return None if window is None else _CONVERTER.unstructure(window)


def unstructure_usage(usage: UsageData) -> dict[str, Any]:
    """The JSON document ``claude-usage --json`` prints (and the cache keeps)."""
    return {
        "five_hour": _window(usage.five_hour),
        "seven_day": _window(usage.seven_day),
        "windows": {key: _window(value) for key, value in usage.windows.items()},
        "limits": [_CONVERTER.unstructure(limit) for limit in usage.limits],
        "extra_usage": None if usage.extra_usage is None else _CONVERTER.unstructure(usage.extra_usage),
    }
