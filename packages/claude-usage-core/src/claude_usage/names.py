"""What Claude Code calls the windows and limits the endpoint reports.

Names are facts read out of Claude Code 2.1.332 (its /usage screen and its
limit messages), so that this library and Claude Code say the same thing
about the same row. A key nobody has named yet is made readable
(``seven_day_cowork_beta`` -> ``Seven day cowork beta``) rather than hidden.

Standard library only: the statusline imports this on every render.
"""

from __future__ import annotations

__all__ = [
    "LIMIT_GROUP_TITLES",
    "SPEND_GROUP_TITLES",
    "WINDOW_NAMES",
    "WINDOW_SHORT_NAMES",
    "limit_group",
    "limit_title",
    "prettify",
    "window_name",
]

#: Claude Code's titles for the windows it knows, by API key.
WINDOW_NAMES: dict[str, str] = {
    "five_hour": "Current session",
    "seven_day": "Current week (all models)",
    "seven_day_sonnet": "Current week (Sonnet only)",
    "seven_day_opus": "Current week (Opus only)",
    "seven_day_overage_included": "Current week (Fable)",
    "seven_day_oauth_apps": "Current week (OAuth apps)",
    "seven_day_cowork": "Current week (Cowork)",
    "cinder_cove": "Claude Code and Cowork credit",
    "wattle_ember": "Credit",
}

#: Claude Code's short names for the same windows, as its limit messages
#: say them ("You've hit your Opus limit"); used where room is short.
WINDOW_SHORT_NAMES: dict[str, str] = {
    "five_hour": "5-hour limit",
    "seven_day": "weekly limit",
    "seven_day_opus": "Opus limit",
    "seven_day_sonnet": "Sonnet limit",
    "seven_day_overage_included": "Fable limit",
}

#: How a ``limits`` row's ``group`` is titled; the row's model or surface
#: goes in brackets after it, as on Claude Code's /usage screen.
LIMIT_GROUP_TITLES: dict[str, str] = {
    "session": "Current session",
    "weekly": "Current week",
}

#: Spend limits (an enterprise gateway's ``kind: "spend"`` rows) by group.
SPEND_GROUP_TITLES: dict[str, str] = {
    "daily": "Spend today",
    "weekly": "Spend this week",
    "monthly": "Spend this month",
}

# Kinds that imply a group, for rows from servers that send no ``group``.
_GROUP_OF_KIND = {"session": "session", "weekly_all": "weekly", "weekly_scoped": "weekly"}


def prettify(key: str) -> str:
    """``seven_day_cowork`` -> ``Seven day cowork``: an unknown key, readable."""
    words = key.replace("_", " ").replace("-", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else key


def window_name(key: str, label: str | None = None) -> str:
    """The name to show for a window: the server's label, Claude Code's name,
    or the key made readable."""
    if label:
        return label
    return WINDOW_NAMES.get(key) or prettify(key)


def limit_group(kind: str, group: str | None) -> str:
    """The row's group as sent, or the one its kind implies (older servers)."""
    return group or _GROUP_OF_KIND.get(kind) or kind


def limit_title(kind: str, group: str | None, model: str | None, surface: str | None) -> str:
    """``Current week (Opus)``, ``Current week (Claude Code)``, ``Current
    session``, ``Spend this month``: one ``limits`` row, named as Claude Code
    names it."""
    grouped = limit_group(kind, group)
    titles = SPEND_GROUP_TITLES if kind == "spend" else LIMIT_GROUP_TITLES
    title = titles.get(grouped) or prettify(grouped)
    scope = model or surface
    if scope:
        return f"{title} ({scope})"
    if kind == "weekly_all":
        return f"{title} (all models)"
    return title
