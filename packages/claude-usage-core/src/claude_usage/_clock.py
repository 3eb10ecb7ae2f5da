"""Clock times as Claude Code prints them ("3:30pm", "6am"), standard
library only: the statusline render and the other commands share it."""

from __future__ import annotations

__all__ = ["twelve_hour"]


def twelve_hour(hour: int, minute: int) -> str:
    """``3:30pm`` for 15:30, ``6am`` for 06:00: minutes only when not zero."""
    return f"{hour % 12 or 12}{f':{minute:02d}' if minute else ''}{'am' if hour < 12 else 'pm'}"
