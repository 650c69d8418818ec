"""Ids the bot receives from outside (callback data, deep links, commands) parsed one way.

Only ASCII digits count (`"²".isdigit()` is true, but `int("²")` fails), and only values the
database can hold: row ids are PostgreSQL `integer` columns (32-bit signed), Telegram ids
`bigint` (64-bit). Anything else is no id at all, which the caller answers like an id that no
longer exists.
"""

from __future__ import annotations

import re

MAX_ID = 2**31 - 1  # a row id (PostgreSQL integer)
MAX_TELEGRAM_ID = 2**63 - 1  # a Telegram user or chat id (bigint)
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(text: str | None, *, maximum: int = MAX_ID) -> int | None:
    """The id written in `text` (surrounding spaces allowed), or None."""
    if text is None:
        return None
    text = text.strip()
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 0 < value <= maximum else None


def ascii_number(value: object) -> object:
    """For validators: a text of ASCII digits becomes an int; any other text is refused
    (ValueError); other values pass unchanged (the field's type checks them)."""
    if isinstance(value, str):
        if not _DIGITS.fullmatch(value):
            raise ValueError("not a number in ASCII digits")
        return int(value)
    return value
