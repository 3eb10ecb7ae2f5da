"""ISO-8601 times as Python 3.10 reads them: standard library only, no
``re`` (the statusline render reads reset times through it).

Python 3.11's ``datetime.fromisoformat`` reads nearly any ISO-8601 text;
3.10's reads only what ``isoformat()`` writes: no ``Z``, a fraction of a
second in exactly 3 or 6 digits, an offset with a colon. The API has sent
``Z``, ``.5`` and nine digits; :func:`three_ten` brings each to a shape both
read, so that the package behaves alike on every supported Python.

What :func:`three_ten` cannot bring to such a shape (the basic format
``20261125T100000Z``, week dates ``2026-W48-3``, ``24:00``, which 3.14 reads
as the next midnight) :func:`parse_iso` refuses on every Python, rather than
reading it on 3.11 and dropping it on 3.10.
"""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["parse_iso", "three_ten"]

_DIGITS = frozenset("0123456789")


def _fraction(part: str) -> str:
    """``HH:MM:SS.f…`` (or ``,f…``) with the fraction in 6 digits (3 or 6
    are kept as they are); ``part`` as it is when it has no fraction."""
    if len(part) <= 8 or part[8] not in ".,":
        return part
    end = 9
    while end < len(part) and part[end] in _DIGITS:
        end += 1
    digits = part[9:end]
    if digits and len(digits) not in (3, 6):
        digits = (digits + "000000")[:6]
    return f"{part[:8]}.{digits}{part[end:]}"


def three_ten(text: str) -> str:
    """``text`` in a shape 3.10's ``fromisoformat`` reads: ``Z`` as
    ``+00:00``; an offset of ``+HH``, ``+HHMM`` or ``+HHMMSS`` with colons
    (``+HH:00``, ``+HH:MM``, ``+HH:MM:SS``); a decimal comma as a point and
    the fraction in 6 digits (3 or 6 are kept as they are)."""
    text = text.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    # YYYY-MM-DD is 10 characters: the separator is the 11th, the time follows.
    if len(text) <= 11:
        return text
    time = text[11:]
    signs = [at for at in (time.find("+"), time.find("-")) if at >= 0]
    cut = min(signs) if signs else len(time)
    clock, offset = _fraction(time[:cut]), time[cut:]
    body = offset[1:]
    if len(body) in (2, 4, 6) and all(c in _DIGITS for c in body):
        offset = offset[0] + ":".join(body[at : at + 2] for at in range(0, len(body), 2))
        if len(body) == 2:
            offset += ":00"
    return f"{text[:11]}{clock}{offset}"


def _number(text: str, start: int, width: int, top: int) -> bool:
    """``width`` ASCII digits at ``start``, at most ``top``."""
    part = text[start : start + width]
    return len(part) == width and all(c in _DIGITS for c in part) and int(part) <= top


def _clock(text: str, start: int, fractions: tuple[int, ...] = (3, 6)) -> int:
    """Where ``HH[:MM[:SS[.f…]]]`` at ``start`` ends (the fraction in one of
    the ``fractions`` lengths of digits), or -1."""
    if not _number(text, start, 2, 23):
        return -1
    end = start + 2
    for top in (59, 59):
        if text[end : end + 1] != ":":
            return end
        if not _number(text, end + 1, 2, top):
            return -1
        end += 3
    if text[end : end + 1] == ".":
        digits = end + 1
        while digits < len(text) and text[digits] in _DIGITS:
            digits += 1
        if digits - end - 1 not in fractions:
            return -1
        end = digits
    return end


def _read_alike(text: str) -> bool:
    """Whether ``text`` is what ``isoformat()`` writes (the separator ``T``,
    ``t`` or a space): what every Python from 3.10 on reads the same way."""
    if not (_number(text, 0, 4, 9999) and text[4:5] == "-" and _number(text, 5, 2, 12) and text[7:8] == "-"):
        return False
    if not _number(text, 8, 2, 31):
        return False
    if len(text) == 10:
        return True
    if text[10] not in ("T", "t", " "):
        return False
    end = _clock(text, 11)
    if end < 0:
        return False
    if end == len(text):
        return True
    if text[end] not in ("+", "-"):
        return False
    # An offset is HH:MM[:SS[.ffffff]]: 3.10 wants its minutes, and 6 digits
    # in a fraction of a second there (3.11 reads 3 too).
    return _clock(text, end + 1, (6,)) == len(text) and text[end + 3 : end + 4] == ":"


def parse_iso(text: str) -> datetime:
    """An aware datetime in UTC; a time without an offset is read as UTC
    (the API always sends one), not as the machine's local time. Raises
    ``ValueError`` for what is not an ISO-8601 time, or is one only some
    Pythons read, or lies outside the years a datetime holds."""
    normal = three_ten(text)
    if not _read_alike(normal):
        raise ValueError(f"not an ISO-8601 time in a shape every supported Python reads: {text!r}")
    parsed = datetime.fromisoformat(normal)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError as error:  # 0001-01-01T00:00:00+01:00
        raise ValueError(f"out of the range of a datetime: {text!r}") from error
