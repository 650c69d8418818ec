"""Small text helpers shared by services (no user-facing prose here)."""

from __future__ import annotations

import re

from unidecode import unidecode

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize_key(text: str) -> str:
    """Lowercase ASCII letters and digits only: for matching names typed in different ways."""
    return _NON_ALNUM.sub("", unidecode(text).lower())


def clean_line(text: str) -> str:
    """Collapse whitespace of a one-line value (names, units)."""
    return " ".join(text.split())
