"""The typed view of the usage endpoint's answer.

Frozen attrs classes, so a value can be shared between threads and cached.
They carry no secret. Build them from a response body with
:func:`claude_usage.parse_usage`; the converter lives in a private module so
that importing the models does not import cattrs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, localcontext
from types import MappingProxyType

import attrs

__all__ = [
    "CREDIT_WINDOWS",
    "KNOWN_WINDOWS",
    "USAGE_KEYS",
    "CreditWindow",
    "ExtraUsage",
    "Limit",
    "PromoCredit",
    "UsageData",
    "UsageWindow",
    "currency_exponent",
]

#: The windows ``UsageData`` has an attribute for, in display order.
KNOWN_WINDOWS: tuple[str, ...] = (
    "five_hour",
    "seven_day",
    "seven_day_opus",
    "seven_day_sonnet",
    "seven_day_oauth_apps",
)

#: One-time and promotional credit windows (``cinder_cove``, ``wattle_ember``):
#: in ``UsageData.windows`` like any window, under their labels.
CREDIT_WINDOWS: tuple[str, ...] = ("cinder_cove", "wattle_ember")

#: A usage body holds at least one of these keys (Claude Code's own test of
#: "is this a usage answer"); a body with only ``extra_usage`` is valid.
USAGE_KEYS: tuple[str, ...] = (*KNOWN_WINDOWS, *CREDIT_WINDOWS, "extra_usage", "limits")

# ISO 4217 minor-unit exponents that are not 2. Any other three-letter code
# has 2, the exponent of nearly every currency (USD, EUR, BRL, GBP, ...).
_EXPONENTS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG"), 0),
    **dict.fromkeys(("RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}


def currency_exponent(currency: str) -> int:
    """Digits after the decimal point of ``currency``'s minor unit (ISO 4217):
    2 for USD, EUR, BRL; 0 for JPY; 3 for KWD."""
    return _EXPONENTS.get(currency.upper(), 2)


def _major(minor: float | None, places: int) -> Decimal | None:
    """``27140`` minor units at 2 places -> ``Decimal("271.40")``; ``None``
    for an unknown or non-finite amount."""
    if minor is None or not math.isfinite(minor):
        return None
    with localcontext() as context:
        # Enough digits for any amount a float can hold, so quantize never fails.
        context.prec = 400
        exact = Decimal(int(minor)) if minor == int(minor) else Decimal(repr(minor))
        amount = exact.scaleb(-places)
        exponent = amount.as_tuple().exponent
        # Show every place of the currency ("271.40", not "271.4").
        if isinstance(exponent, int) and exponent > -places:
            amount = amount.quantize(Decimal(1).scaleb(-places))
    return amount


@attrs.frozen
class UsageWindow:
    """One rate-limit window: how much of it is used and when it resets.

    ``utilization`` is a percentage (``24.0`` is 24 %) and can exceed 100.
    ``resets_at`` is timezone-aware UTC whatever offset the API sent, or
    ``None`` when the window has not started. ``label`` is the server's own
    label for the window, else the name Claude Code gives a window it knows
    ("Current session" for ``five_hour``, "Claude Code and Cowork credit" for
    ``cinder_cove``), else ``None``: show ``label or key``.
    """

    utilization: float
    resets_at: datetime | None = None
    label: str | None = None


@attrs.frozen
class CreditWindow(UsageWindow):
    """A credit the account was given (``wattle_ember``), used like a window.

    The dollar fields are what the API sent, in dollars (major units, not
    cents), as exact decimals; ``None`` when not sent. ``covered_models_label``
    says which models draw on the credit, in the server's words.
    """

    limit_dollars: Decimal | None = None
    used_dollars: Decimal | None = None
    remaining_dollars: Decimal | None = None
    covered_models_label: str | None = None


@attrs.frozen
class PromoCredit:
    """One entry of ``promo_credits``: a promotional credit and its terms.

    ``utilization`` is a percentage or ``None`` when the server sent none;
    the dollar fields are dollars (major units). ``program_id`` names the
    promotion; ``terms_line`` and ``notice`` are the server's own text.
    """

    program_id: str
    utilization: float | None = None
    resets_at: datetime | None = None
    label: str | None = None
    limit_dollars: Decimal | None = None
    used_dollars: Decimal | None = None
    remaining_dollars: Decimal | None = None
    terms_line: str | None = None
    notice: str | None = None


@attrs.frozen
class Limit:
    """An entry of the ``limits`` list: one limit and whether it binds now.

    ``kind`` is ``"session"``, ``"weekly_all"``, ``"weekly_scoped"``,
    ``"spend"`` (an enterprise gateway) or a kind added later; ``group`` is
    how the server groups rows (``"session"``, ``"weekly"``; a gateway's
    ``"daily"``, ``"weekly"``, ``"monthly"``). ``model`` and ``surface`` are
    the display names of the model or surface (``"Opus"``, ``"Claude Code"``)
    a scoped limit applies to. ``severity`` is the server's colour for the
    row (``"normal"``, ``"warning"``, ``"critical"``, ...): a client never
    grades a row itself. Every string passes through as sent, known or not.
    Exactly one limit is normally ``is_active``: the server's pick of the row
    a single-value indicator shows.
    """

    kind: str
    percent: float
    severity: str | None = None
    resets_at: datetime | None = None
    is_active: bool = False
    model: str | None = None
    group: str | None = None
    surface: str | None = None


@attrs.frozen
class ExtraUsage:
    """Pay-as-you-go usage beyond the plan ("extra usage", Claude Code's
    "Usage credits").

    ``monthly_limit`` and ``used_credits`` are exactly what the API sent:
    MINOR units of ``currency`` (cents for USD: ``27140`` is $271.40).
    ``used_amount`` and ``monthly_limit_amount`` are the same in major units
    as exact decimals. ``monthly_limit`` is ``None`` with extra usage on when
    there is no limit ("Unlimited"). ``currency`` is the ISO 4217 code the
    API sent (upper case), ``None`` when it sent none (then USD).
    ``decimal_places`` is the body's own exponent when it sent one.
    ``disabled_reason`` says why extra usage is off (``"out_of_credits"``,
    ``"org_spend_cap_reached"``, ``"org_level_disabled_until"``, or a value
    added later), and ``spend_limit_reached`` whether the monthly spend limit
    was hit.
    """

    is_enabled: bool = False
    monthly_limit: float | None = None
    used_credits: float | None = None
    utilization: float | None = None
    currency: str | None = None
    decimal_places: int | None = None
    disabled_reason: str | None = None
    spend_limit_reached: bool = False

    @property
    def currency_code(self) -> str:
        """The currency of the amounts: ``currency``, else USD (the API's default)."""
        return self.currency or "USD"

    @property
    def exponent(self) -> int:
        """Digits of the minor unit: ``decimal_places``, else the currency's."""
        return self.decimal_places if self.decimal_places is not None else currency_exponent(self.currency_code)

    @property
    def used_amount(self) -> Decimal | None:
        """``used_credits`` in major units (``Decimal("271.40")``), ``None`` when unknown."""
        return _major(self.used_credits, self.exponent)

    @property
    def monthly_limit_amount(self) -> Decimal | None:
        """``monthly_limit`` in major units, ``None`` when unknown or unlimited."""
        return _major(self.monthly_limit, self.exponent)


def _limit_tuple(value: Iterable[Limit]) -> tuple[Limit, ...]:
    return tuple(value)


def _promo_tuple(value: Iterable[PromoCredit]) -> tuple[PromoCredit, ...]:
    return tuple(value)


def _frozen_mapping(value: Mapping[str, UsageWindow]) -> Mapping[str, UsageWindow]:
    return MappingProxyType(dict(value))


@attrs.frozen
class UsageData:
    """Everything the usage endpoint reported.

    The named attributes are the windows known today (``None`` when the API
    sent ``null`` or nothing). ``windows`` maps *every* non-null window of
    the body by its API key, known or not, so a window the API adds next
    month reaches the user without a release; credit windows
    (``cinder_cove``, ``wattle_ember``) are among them, as
    :class:`CreditWindow` where the API sent dollars. ``limits`` is the
    ``limits`` list (empty before the API had one), ``promo_credits`` the
    promotional credits.
    """

    five_hour: UsageWindow | None = None
    seven_day: UsageWindow | None = None
    seven_day_opus: UsageWindow | None = None
    seven_day_sonnet: UsageWindow | None = None
    seven_day_oauth_apps: UsageWindow | None = None
    windows: Mapping[str, UsageWindow] = attrs.field(
        factory=dict,
        converter=_frozen_mapping,
        eq=attrs.cmp_using(eq=lambda a, b: dict(a) == dict(b)),
        hash=False,
    )
    limits: tuple[Limit, ...] = attrs.field(default=(), converter=_limit_tuple)
    extra_usage: ExtraUsage | None = None
    promo_credits: tuple[PromoCredit, ...] = attrs.field(default=(), converter=_promo_tuple)

    @property
    def active_limit(self) -> Limit | None:
        """The limit that binds now (``is_active``), if the API said."""
        return next((limit for limit in self.limits if limit.is_active), None)

    def __getstate__(self) -> dict[str, object]:
        state = {name: getattr(self, name) for name in attrs.fields_dict(type(self))}
        state["windows"] = dict(self.windows)
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        for name, value in state.items():
            kept = MappingProxyType(dict(value)) if name == "windows" else value  # type: ignore[call-overload]
            object.__setattr__(self, name, kept)
