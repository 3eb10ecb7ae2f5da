"""The observation log: what each window read, and when, for recent-rate forecasts.

Beside each account's cache file ``usage-<key>.json`` the shared cache keeps
``history-<key>.jsonl``: one JSON line per *distinct* observation of a
window (``{"t": epoch, "w": "five_hour", "p": 42.0, "r": reset epoch, "s":
"api"|"statusline"}``). Two sources write it, neither sending a request:

* every successful fetch through the cache (every window of the body, and
  every row of its ``limits`` list under :func:`limit_key`), and
* every statusline render, from the ``rate_limits`` Claude Code hands it on
  stdin. A render reads only the file's tail and appends only when a value
  moved by at least :data:`CHANGE` or a new cycle began, so an idle session
  writes nothing.

The file is mode 0600 in the 0700 cache directory. It keeps about
:data:`KEEP_SECONDS` (8 days) and never more than :data:`MAX_BYTES`: an
append that takes it past the cap rewrites it (atomically) as its newest
half, without what is older than that; an append that finds the file's
first line older than that compacts it too, so an old reading never stays
on disk for long. Appends from
several processes are single ``write`` calls with ``O_APPEND``; one that
lands while another process compacts can be lost, which costs one
observation, never the file.

With it a forecast can use the *recent* burn rate (:func:`recent_start`):
the oldest observation of the same cycle within the last
:data:`RECENT_SECONDS`, at least :data:`MIN_RECENT_SPAN` before now, against
the current value. Standard library only: statusline renders import it.
"""

from __future__ import annotations

import math
import os
import time

from claude_usage import _fastjson

__all__ = [
    "CHANGE",
    "KEEP_SECONDS",
    "MAX_BYTES",
    "MIN_RECENT_SPAN",
    "RECENT_HORIZON",
    "RECENT_SECONDS",
    "History",
    "epoch",
    "history_file",
    "limit_key",
    "load_history",
    "observe_body",
    "observe_rate_limits",
    "recent_start",
    "scope_name",
]

#: How long observations are kept.
KEEP_SECONDS = 8 * 86400.0
#: The most the log may hold; a compaction keeps its newest half.
MAX_BYTES = 512 * 1024
#: A value has to move this much (percentage points) to be written again:
#: Claude Code rounds to one decimal, the API does not.
CHANGE = 0.1
#: Two reset times this close belong to one cycle (the API's and Claude
#: Code's differ by rounding; a new cycle starts hours later).
SAME_CYCLE = 900.0
#: The recent rate is measured over at most this much of the past ...
RECENT_SECONDS = 3600.0
#: ... and over at least this much, else the window's average is used.
MIN_RECENT_SPAN = 600.0
#: The recent rate is carried to the reset only when that is at most this
#: far away: an hour's pace says much of the next few hours, little of a week.
RECENT_HORIZON = 5 * 3600.0
#: How much of the file's end a render reads to find the last values.
TAIL_BYTES = 16 * 1024

Point = tuple[float, float, float]  # (observed at, percent, resets at), epochs


def history_file(cache_file: str) -> str:
    """The log beside a cache file ``.../usage-<key>.json``."""
    directory, name = os.path.split(cache_file)
    key = name[len("usage-") :] if name.startswith("usage-") else name
    if key.endswith(".json"):
        key = key[: -len(".json")]
    return os.path.join(directory, f"history-{key}.jsonl")


def limit_key(kind: str, model: str | None = None, surface: str | None = None) -> str:
    """The log's key for a ``limits`` row. The session and all-models weekly
    rows measure what ``five_hour`` and ``seven_day`` do, so they share their
    keys (and the statusline's readings); a scoped row has its own."""
    if kind == "session":
        return "five_hour"
    if kind == "weekly_all":
        return "seven_day"
    return f"limit:{kind}:{model or ''}:{surface or ''}"


def scope_name(scope: object, part: str) -> str | None:
    """The ``display_name`` of a ``limits`` row's ``scope.model`` or
    ``scope.surface`` (``part``), when it is text."""
    inner = scope.get(part) if isinstance(scope, dict) else None
    name = inner.get("display_name") if isinstance(inner, dict) else None
    return name if isinstance(name, str) else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def epoch(value: object) -> float | None:
    """A reset time as epoch seconds: Claude Code sends epoch seconds, the
    API ISO-8601 (read here in the shapes Python 3.10 also reads)."""
    number = _number(value)
    if number is not None:
        return number / 1000 if number > 1e11 else number  # milliseconds, defensively
    if not isinstance(value, str):
        return None
    from claude_usage._iso import parse_iso

    try:
        return parse_iso(value).timestamp()
    except ValueError:
        return None


class History:
    """Observations per window key, oldest first (see :func:`load_history`)."""

    __slots__ = ("points",)

    def __init__(self, points: dict[str, list[Point]] | None = None) -> None:
        self.points: dict[str, list[Point]] = points or {}

    def __repr__(self) -> str:
        return f"<History {sum(map(len, self.points.values()))} observations of {len(self.points)} windows>"

    def cycle(self, key: str, resets_at: float) -> list[tuple[float, float]]:
        """(observed at, percent) of ``key`` in the cycle that resets at ``resets_at``."""
        return [(t, p) for t, p, r in self.points.get(key, ()) if abs(r - resets_at) <= SAME_CYCLE]


def recent_start(history: History | None, key: str, resets_at: float | None, now: float) -> tuple[float, float] | None:
    """Where the recent rate of ``key`` starts: (epoch, percent) of the
    oldest observation of this cycle within :data:`RECENT_SECONDS`, when it
    is at least :data:`MIN_RECENT_SPAN` old and the reset at most
    :data:`RECENT_HORIZON` away; else None (the average is used)."""
    if history is None or resets_at is None or not 0 < resets_at - now <= RECENT_HORIZON:
        return None
    for observed, percent in history.cycle(key, resets_at):
        if now - RECENT_SECONDS <= observed:
            return (observed, percent) if now - observed >= MIN_RECENT_SPAN else None
    return None


def _parse_lines(data: bytes, since: float) -> dict[str, list[Point]]:
    points: dict[str, list[Point]] = {}
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            record = _fastjson.loads(line)
        except (ValueError, RecursionError):
            continue  # a torn or foreign line: the rest still counts
        if not isinstance(record, dict):
            continue
        key = record.get("w")
        observed, percent, resets = _number(record.get("t")), _number(record.get("p")), _number(record.get("r"))
        if not isinstance(key, str) or observed is None or percent is None or resets is None or observed < since:
            continue
        points.setdefault(key, []).append((observed, percent, resets))
    for series in points.values():
        series.sort()
    return points


def _read(path: str, limit: int) -> bytes:
    """The file's last ``limit`` bytes, from a line start; b"" when absent.
    Bounded whatever the file holds: a log grown by hand costs no more."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return b""
    try:
        size = os.fstat(fd).st_size
        start = max(0, size - limit)
        if start:
            os.lseek(fd, start, os.SEEK_SET)
        data = os.read(fd, size - start) if size > start else b""
    except OSError:
        return b""
    finally:
        os.close(fd)
    if start:
        data = data[data.find(b"\n") + 1 :] if b"\n" in data else b""
    return data


def load_history(cache_file: str, now: float | None = None) -> History:
    """The observations kept beside ``cache_file`` (a :meth:`UsageCache.path_for`)."""
    moment = time.time() if now is None else now
    return History(_parse_lines(_read(history_file(cache_file), 2 * MAX_BYTES), moment - KEEP_SECONDS))


def _changed(last: Point | None, percent: float, resets: float) -> bool:
    if last is None or abs(last[2] - resets) > SAME_CYCLE:
        return True
    if last[1] >= 100.0 and percent >= 100.0:
        return False  # Claude Code caps at 100, the API does not: not a change
    return abs(last[1] - percent) >= CHANGE - 1e-9  # 30.2 - 30.1 is 0.0999...


def _record(cache_file: str, observations: list[tuple[str, float, float]], now: float, source: str) -> History:
    """Append the observations that differ from the last ones logged. The
    log's recent end (its last :data:`TAIL_BYTES`, with what was written),
    which is all a recent rate needs. Never raises: a log that cannot be
    written costs only the recent-rate forecast."""
    path = history_file(cache_file)
    data = _read(path, TAIL_BYTES)
    tail = _parse_lines(data, now - KEEP_SECONDS)
    # After a torn last line (a writer killed mid-write) start a new one,
    # or the next record would be glued to it and lost.
    lines = ["\n"] if data and not data.endswith(b"\n") else []
    written = len(lines)
    for key, percent, resets in observations:
        series = tail.setdefault(key, [])
        if _changed(series[-1] if series else None, percent, resets):
            record = {"t": round(now, 3), "w": key, "p": percent, "r": resets, "s": source}
            lines.append(_fastjson.dumps(record) + "\n")
            series.append((round(now, 3), percent, resets))
    if len(lines) > written:
        size = _append(path, "".join(lines).encode("utf-8"))
        if size > MAX_BYTES or (size and _expired_head(path, now)):
            _compact(path, now)
    return History(tail)


def _expired_head(path: str, now: float) -> bool:
    """Whether the log's first line is older than :data:`KEEP_SECONDS` (or
    not a reading at all): read from its first bytes, on appends only."""
    try:
        with open(path, "rb") as file:
            head = file.read(256)
    except OSError:
        return False
    first = head.split(b"\n", 1)[0]
    observed = _observed_at(first) if first.strip() else None
    return observed is None or observed < now - KEEP_SECONDS


def _append(path: str, data: bytes) -> int:
    """Append in one write; the file's size after it, 0 when it failed."""
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError:
        return 0
    try:
        os.write(fd, data)
        return os.fstat(fd).st_size
    except OSError:
        return 0
    finally:
        os.close(fd)


def _observed_at(line: bytes) -> float | None:
    """When a line's reading was taken. Records are written with ``t``
    first, so it is read without a JSON parse of every line (a compaction
    runs on a render); any other line is parsed."""
    if line.startswith(b'{"t":'):
        end = line.find(b",", 5)
        try:
            return _number(float(line[5:end]))
        except ValueError:
            pass
    try:
        record = _fastjson.loads(line)
    except (ValueError, RecursionError):
        return None
    return _number(record.get("t")) if isinstance(record, dict) else None


def _compact(path: str, now: float) -> None:
    """Rewrite the log as its newest half without what is older than
    :data:`KEEP_SECONDS`. A render may be the one to run it, so it costs a
    slice and a bisection (appends come in time order), not a parse of every
    line."""
    from bisect import bisect_left

    from claude_usage._files import write_private  # compactions are rare: a module less per render

    lines = [line for line in _read(path, MAX_BYTES // 2).split(b"\n") if line.strip()]
    first = bisect_left(lines, now - KEEP_SECONDS, key=lambda line: _observed_at(line) or 0.0)
    kept = lines[first:]
    write_private(path, b"\n".join(kept).decode("utf-8", "replace") + ("\n" if kept else ""))


def observe_body(cache_file: str, body: object, now: float | None = None) -> History:
    """Log every window of an API body (``utilization`` and ``resets_at``)
    and every row of its ``limits`` list; the log's recent end."""
    if not isinstance(body, dict):
        body = {}
    observations: list[tuple[str, float, float]] = []
    seen: set[str] = set()
    for key, value in body.items():
        if not isinstance(key, str) or not isinstance(value, dict):
            continue
        percent, resets = _number(value.get("utilization")), epoch(value.get("resets_at"))
        if percent is not None and resets is not None:
            observations.append((key, percent, resets))
            seen.add(key)
    rows = body.get("limits")
    for row in rows if isinstance(rows, list) else ():
        if not isinstance(row, dict) or not isinstance(row.get("kind"), str):
            continue
        scope = row.get("scope")
        key = limit_key(row["kind"], scope_name(scope, "model"), scope_name(scope, "surface"))
        percent, resets = _number(row.get("percent")), epoch(row.get("resets_at"))
        if key not in seen and percent is not None and resets is not None:
            observations.append((key, percent, resets))
            seen.add(key)
    return _record(cache_file, observations, time.time() if now is None else now, "api")


def observe_rate_limits(cache_file: str, rate_limits: object, now: float | None = None) -> History:
    """Log the ``five_hour`` and ``seven_day`` of a statusline's stdin
    ``rate_limits``; the log's recent end (read even when there is nothing
    to log, for the statusline's pace)."""
    if not isinstance(rate_limits, dict):
        rate_limits = {}
    observations = []
    for key in ("five_hour", "seven_day"):
        value = rate_limits.get(key)
        if isinstance(value, dict):
            percent, resets = _number(value.get("used_percentage")), epoch(value.get("resets_at"))
            if percent is not None and resets is not None:
                observations.append((key, percent, resets))
    return _record(cache_file, observations, time.time() if now is None else now, "statusline")
