"""The one way the bot writes data into files people open in a spreadsheet (CSV and XLSX).

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return is taken as a
formula by spreadsheet programs (OWASP: CSV injection): a roster's OPD name or a shop's name
could run `=HYPERLINK(...)` or worse. Every text cell from data goes through `neutral`, which
prefixes such text with an apostrophe so that it shows as the text it is. Numbers, dates and
booleans are written as such.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: object) -> object:
    """`value` safe for a spreadsheet cell: text that would start a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV file (UTF-8 with a BOM, which Excel needs) with every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutral(name) for name in header])
    for row in rows:
        writer.writerow(["" if value is None else neutral(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")
