"""The typed view of the usage endpoint's answer.

Frozen attrs classes, so a value can be shared between threads and cached.
They carry no secret. Build them from a response body with
:func:`claude_usage.parse_usage`; the converter lives in a private module so
that importing the models does not import cattrs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType

import attrs

__all__ = ["KNOWN_WINDOWS", "ExtraUsage", "Limit", "UsageData", "UsageWindow"]

#: The windows ``UsageData`` has an attribute for, in display order.
KNOWN_WINDOWS: tuple[str, ...] = (
    "five_hour",
    "seven_day",
    "seven_day_opus",
    "seven_day_sonnet",
    "seven_day_oauth_apps",
)


@attrs.frozen
class UsageWindow:
    """One rate-limit window: how much of it is used and when it resets.

    ``utilization`` is a percentage (``24.0`` is 24 %) and can exceed 100.
    ``resets_at`` is timezone-aware UTC whatever offset the API sent, or
    ``None`` when the window has not started.
    """

    utilization: float
    resets_at: datetime | None = None


@attrs.frozen
class Limit:
    """An entry of the ``limits`` list: one limit and whether it binds now.

    ``kind`` is ``"session"``, ``"weekly_all"``, ``"weekly_scoped"`` or a kind
    added later; ``model`` is the display name of the model a scoped limit
    applies to. Exactly one limit is normally ``is_active``: the one that
    blocks the user first.
    """

    kind: str
    percent: float
    severity: str | None = None
    resets_at: datetime | None = None
    is_active: bool = False
    model: str | None = None


@attrs.frozen
class ExtraUsage:
    """Pay-as-you-go usage beyond the plan ("extra usage"), when enabled.

    The money fields are optional: the API leaves them ``null`` while extra
    usage is off and has added fields over time.
    """

    is_enabled: bool = False
    monthly_limit: float | None = None
    used_credits: float | None = None
    utilization: float | None = None
    currency: str | None = None


def _limit_tuple(value: Iterable[Limit]) -> tuple[Limit, ...]:
    return tuple(value)


def _frozen_mapping(value: Mapping[str, UsageWindow]) -> Mapping[str, UsageWindow]:
    return MappingProxyType(dict(value))


@attrs.frozen
class UsageData:
    """Everything the usage endpoint reported.

    The named attributes are the windows known today (``None`` when the API
    sent ``null`` or nothing). ``windows`` maps *every* non-null window of
    the body by its API key, known or not, so a window the API adds next
    month reaches the user without a release. ``limits`` is the ``limits``
    list (empty before the API had one).
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
