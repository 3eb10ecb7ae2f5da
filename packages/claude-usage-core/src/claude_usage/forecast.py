"""Pace: where a window is heading at the rate it has been used.

A window of known length began ``length - (resets_at - now)`` ago. Carrying
the average rate since then to the reset gives ``projected_percent``
(utilization x length / elapsed); ``runs_out_at`` is when that rate reaches
100 %, or ``None`` when it does not before the reset. A few minutes into a
window one early burst would project thousands of percent, so before
:data:`MIN_ELAPSED_SHARE` of the window has passed the forecast says
``too_early`` instead of a number.

Given the observation log (:mod:`claude_usage.history`), a window whose
reset is at most five hours away is carried at its *recent* rate instead:
from the oldest observation of this cycle in the last hour (at least ten
minutes back) to the value now. That is what a burst after an idle morning,
or a pause after a burst, changes; ``basis`` says which rate was used.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs

from claude_usage.history import History, limit_key, recent_start
from claude_usage.models import Limit, UsageWindow

__all__ = [
    "MIN_ELAPSED_SHARE",
    "Forecast",
    "forecast_limit",
    "forecast_window",
    "limit_length",
    "project",
    "recent_point",
    "window_length",
]

FIVE_HOURS = timedelta(hours=5)
SEVEN_DAYS = timedelta(days=7)

#: Window lengths by key; ``seven_day_*`` (per model, OAuth apps, ...) are weekly.
WINDOW_LENGTHS = {"five_hour": FIVE_HOURS, "seven_day": SEVEN_DAYS}
#: Lengths of ``limits`` rows by ``group`` (a gateway's monthly group has no fixed length).
GROUP_LENGTHS = {"session": FIVE_HOURS, "weekly": SEVEN_DAYS, "daily": timedelta(days=1)}
#: Before this share of a window has passed (15 minutes of five hours, 8.4
#: hours of a week) the average rate says too little to project.
MIN_ELAPSED_SHARE = 0.05


@attrs.frozen
class Forecast:
    """Where one window is heading.

    ``basis`` says what the figures rest on: ``"average"`` (the rate since
    the window began, carried to the reset), ``"recent"`` (the rate over the
    last hour of the observation log), or why there are none:
    ``"too_early"`` (less than :data:`MIN_ELAPSED_SHARE` of the window has
    passed), ``"unknown_length"`` (a window or group whose length is not
    known, such as a credit), ``"not_started"`` (no reset time) or
    ``"reset_due"`` (the reset time has passed). ``projected_percent`` is the
    share used at the reset at that rate; ``runs_out_at`` when 100 % is
    reached (``now`` when it already is), ``None`` when not before the reset.
    """

    basis: str
    projected_percent: float | None = None
    runs_out_at: datetime | None = None
    resets_at: datetime | None = None

    @property
    def runs_out(self) -> bool:
        """Whether the window is projected to reach 100 % before it resets."""
        return self.runs_out_at is not None

    @property
    def margin(self) -> timedelta | None:
        """How long before the reset it runs out, when it does."""
        if self.runs_out_at is None or self.resets_at is None:
            return None
        return self.resets_at - self.runs_out_at


def window_length(key: str) -> timedelta | None:
    """The length of the window under ``key`` in ``UsageData.windows``, if known."""
    if key in WINDOW_LENGTHS:
        return WINDOW_LENGTHS[key]
    return SEVEN_DAYS if key.startswith("seven_day_") else None


def limit_length(limit: Limit) -> timedelta | None:
    """The length of a ``limits`` row, by its group (else its kind), if known."""
    if limit.group is not None:
        return GROUP_LENGTHS.get(limit.group)
    return {"session": FIVE_HOURS, "weekly_all": SEVEN_DAYS, "weekly_scoped": SEVEN_DAYS}.get(limit.kind)


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


def project(
    percent: float,
    resets_at: datetime | None,
    length: timedelta | None,
    now: datetime | None = None,
    recent: tuple[datetime, float] | None = None,
) -> Forecast:
    """The forecast for ``percent`` used of a window of ``length`` that resets
    at ``resets_at``, as of ``now`` (timezone-aware; default: the clock).

    ``recent`` is an earlier observation of the same cycle, (when, percent):
    given it, the rate since then is carried to the reset (``"recent"``);
    without it, the average since the window began (``"average"``).
    """
    moment = _now(now)
    if length is None:
        return Forecast("unknown_length", resets_at=resets_at)
    if resets_at is None:
        return Forecast("not_started")
    remaining = resets_at - moment
    if remaining <= timedelta(0):
        return Forecast("reset_due", resets_at=resets_at)
    elapsed = length - remaining
    if elapsed < length * MIN_ELAPSED_SHARE:
        return Forecast("too_early", resets_at=resets_at)
    used = max(0.0, percent)
    if recent is not None and recent[0] < moment:
        # Percentage points per second since the earlier observation; a value
        # that went down (a correction) counts as no use.
        rate = max(0.0, used - recent[1]) / (moment - recent[0]).total_seconds()
        basis = "recent"
    else:
        rate = used / elapsed.total_seconds()
        basis = "average"
    projected = used + rate * remaining.total_seconds()
    if used >= 100.0:
        runs_out_at: datetime | None = moment
    elif rate <= 0.0:
        runs_out_at = None
    else:
        # In seconds: a tiny rate makes the wait too long for a timedelta.
        until_full = (100.0 - used) / rate
        runs_out_at = moment + timedelta(seconds=until_full) if until_full < remaining.total_seconds() else None
    return Forecast(basis, projected, runs_out_at, resets_at)


def recent_point(
    history: History | None, key: str, resets_at: datetime | None, now: datetime | None = None
) -> tuple[datetime, float] | None:
    """The start of the recent rate of window ``key`` in ``history``, if any
    (see :func:`claude_usage.history.recent_start`)."""
    if history is None or resets_at is None:
        return None
    found = recent_start(history, key, resets_at.timestamp(), _now(now).timestamp())
    return None if found is None else (datetime.fromtimestamp(found[0], timezone.utc), found[1])


def forecast_window(
    key: str, window: UsageWindow, now: datetime | None = None, history: History | None = None
) -> Forecast:
    """The forecast for the window under ``key`` (``"five_hour"``, ...), at
    its recent rate when ``history`` (:func:`claude_usage.load_history`) has one."""
    recent = recent_point(history, key, window.resets_at, now)
    return project(window.utilization, window.resets_at, window_length(key), now, recent)


def forecast_limit(limit: Limit, now: datetime | None = None, history: History | None = None) -> Forecast:
    """The forecast for one ``limits`` row, at its recent rate when
    ``history`` has one (the session and all-models weekly rows share the
    observations of ``five_hour`` and ``seven_day``)."""
    recent = recent_point(history, limit_key(limit.kind, limit.model, limit.surface), limit.resets_at, now)
    return project(limit.percent, limit.resets_at, limit_length(limit), now, recent)
