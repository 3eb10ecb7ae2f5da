"""ISO-8601 times as Python 3.10 reads them: standard library only, no
``re`` (the statusline render reads reset times through it).

Python 3.11's ``datetime.fromisoformat`` reads nearly any ISO-8601 text;
3.10's reads only what ``isoformat()`` writes: no ``Z``, a fraction of a
second in exactly 3 or 6 digits, an offset with a colon. The API has sent
``Z``, ``.5`` and nine digits; :func:`three_ten` brings each to a shape both
read, so that the package behaves alike on every supported Python.
"""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["parse_iso", "three_ten"]


def three_ten(text: str) -> str:
    """``text`` in a shape 3.10's ``fromisoformat`` reads: ``Z`` as
    ``+00:00``, ``+0000`` as ``+00:00``, the fraction in 6 digits (3 or 6
    are kept as they are)."""
    text = text.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    if len(text) > 19 and text[-5:-4] in ("+", "-") and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    # YYYY-MM-DDTHH:MM:SS is 19 characters: a fraction starts right after.
    if len(text) > 20 and text[10:11] in ("T", "t", " ") and text[19] == ".":
        end = 20
        while end < len(text) and text[end].isdigit():
            end += 1
        digits = text[20:end]
        if digits and len(digits) not in (3, 6):
            text = f"{text[:20]}{(digits + '000000')[:6]}{text[end:]}"
    return text


def parse_iso(text: str) -> datetime:
    """An aware datetime in UTC; a time without an offset is read as UTC
    (the API always sends one), not as the machine's local time. Raises
    ``ValueError`` for what is not an ISO-8601 time."""
    parsed = datetime.fromisoformat(three_ten(text))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)
