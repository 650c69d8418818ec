"""Ids the bot receives from outside (callback data, deep links, commands) parsed one way.

Only ASCII digits count (`"²".isdigit()` is true, but `int("²")` fails), and only values the
database can hold (a 64-bit signed integer on PostgreSQL and SQLite): anything else is no id at
all, which the caller answers like an id that no longer exists.
"""

from __future__ import annotations

import re

MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(text: str | None) -> int | None:
    """The id written in `text` (surrounding spaces allowed), or None."""
    if text is None:
        return None
    text = text.strip()
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
