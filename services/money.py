"""Rupiah amounts: parsing what people type, and display through Babel.

Money is an ``int`` number of rupiah everywhere.

:func:`parse_rupiah` accepts, case-insensitively and with any spacing:

* plain or grouped digits: "500000", "500.000", "1.500.000", "25,000", "1 500 000";
* a currency label before or after: "Rp 500.000", "Rp. 500.000", "rp500.000,00", "IDR 25000",
  "500.000 rupiah", and the customary ",-" / ".-" ending ("Rp 500.000,-");
* a multiplier word: "rb" / "ribu" / "k" (x 1 000), "jt" / "juta" (x 1 000 000),
  "miliar" / "milyar" (x 1 000 000 000): "500rb", "500 ribu", "1,5jt", "1.5 juta", "2jt",
  "0,5rb". "m" is refused as ambiguous (miliar in Indonesian, million in English).

How separators are read (Indonesian uses "." for thousands and "," for decimals, English the
reverse; both are accepted and told apart by their position, never by the user's locale):

1. Both "." and "," present: the one that comes last is the decimal mark, the other groups
   thousands ("1.500.000,00", "1,500,000.00").
2. One kind of separator appearing several times: thousands grouping ("1.500.000").
3. One separator appearing once, followed by exactly 3 digits: thousands grouping, so
   "25.000" and "25,000" are both 25 000. This holds with a multiplier too: "1.500rb" is
   1 500 000 and "1.500 juta" is 1.5 miliar (as in Indonesian budget documents). Write
   "1,5jt" or "1.5jt" for one and a half million.
4. One separator appearing once, followed by 1-2 digits (or, with a multiplier, any other
   number of digits): decimal mark ("1,5jt", "500.000,00" by rule 1, "25,00").
5. Thousands groups must be well formed: 1-3 digits, then groups of exactly 3.

Without a multiplier the decimals must be zero ("500.000,00"); with one, the result must be a
whole number of rupiah ("0,5rb" = 500 is fine, "1,0005rb" is not).

Errors are :class:`MoneyError` with a stable ``code`` and ``params``:

``empty``
    nothing given.
``not_a_number``
    not an amount this module can read (letters, malformed grouping, two decimal marks...).
``negative``
    a minus sign before the amount.
``fraction``
    not a whole number of rupiah ("1.234,5", "0,5"); params ``value`` (str, the exact
    decimal amount, e.g. "1234.5").
``too_large``
    above :data:`MAX_AMOUNT`; params ``maximum`` (int).

:func:`format_rupiah` shows an amount without decimals: "Rp500.000" for Indonesian
(Babel, id_ID) and "Rp500,000" for English (Babel's en grouping with the "Rp" symbol that
Indonesians know; Babel's ``en_ID`` groups with dots like id, and plain ``en`` would print
"IDR500,000").
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel.numbers import format_currency

MAX_AMOUNT = 1_000_000_000_000

_MULTIPLIERS = {
    "": 1,
    "rb": 1_000,
    "ribu": 1_000,
    "k": 1_000,
    "jt": 1_000_000,
    "juta": 1_000_000,
    "miliar": 1_000_000_000,
    "milyar": 1_000_000_000,
}

_SPACES = re.compile(r"\s+")
_PREFIX = re.compile(r"^(?:rp\.?|idr)")
_SUFFIX = re.compile(r"(?:rupiah|rp|idr)$")
_DASH_END = re.compile(r"[.,]-$")
_AMOUNT = re.compile(r"(?P<num>[0-9][0-9.,]*)(?P<unit>[a-z]*)")
_GROUPED = re.compile(r"[0-9]{1,3}(?:X[0-9]{3})+")
_MINUS = ("-", "\u2212", "\u2013")


class MoneyError(ValueError):
    """An amount that cannot be read; ``code`` is stable, see module doc."""

    def __init__(self, code: str, /, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code, params)

    def __str__(self) -> str:
        return f"{self.code} {self.params}" if self.params else self.code


def _ungroup(part: str, sep: str) -> str:
    """Digits of a thousands-grouped integer part, or not_a_number."""
    if sep not in part:
        return part
    if not _GROUPED.fullmatch(part.replace(sep, "X")):
        raise MoneyError("not_a_number")
    return part.replace(sep, "")


def _to_decimal(num: str, has_unit: bool) -> Decimal:
    dots, commas = num.count("."), num.count(",")
    if num[-1] in ".,":
        raise MoneyError("not_a_number")
    if dots and commas:
        decimal_sep = "." if num.rfind(".") > num.rfind(",") else ","
        group_sep = "," if decimal_sep == "." else "."
        whole, _, frac = num.rpartition(decimal_sep)
        if decimal_sep in whole:
            raise MoneyError("not_a_number")
        return Decimal(f"{_ungroup(whole, group_sep)}.{frac}")
    if not dots and not commas:
        return Decimal(num)
    sep = "." if dots else ","
    if num.count(sep) > 1:
        return Decimal(_ungroup(num, sep))
    whole, _, frac = num.partition(sep)
    if len(frac) == 3:
        return Decimal(_ungroup(num, sep))
    if len(frac) > 3 and not has_unit:
        raise MoneyError("not_a_number")
    return Decimal(f"{whole}.{frac}")


def parse_rupiah(text: str) -> int:
    """The whole-rupiah amount in ``text``; raises :class:`MoneyError` (see module doc)."""
    s = _SPACES.sub("", text.lower())
    if not s:
        raise MoneyError("empty")

    negative = False
    if s.startswith(_MINUS):
        negative, s = True, s[1:]
    s = _PREFIX.sub("", s, count=1)
    if s.startswith(_MINUS):
        negative, s = True, s[1:]
    s = _DASH_END.sub("", s)
    s = _SUFFIX.sub("", s, count=1)
    s = _DASH_END.sub("", s)

    match = _AMOUNT.fullmatch(s)
    if match is None or match["unit"] not in _MULTIPLIERS:
        raise MoneyError("not_a_number")
    unit = match["unit"]
    value = _to_decimal(match["num"], has_unit=bool(unit)) * _MULTIPLIERS[unit]

    if negative and value != 0:
        raise MoneyError("negative")
    if value != value.to_integral_value():
        raise MoneyError("fraction", value=format(value.normalize(), "f"))
    if value > MAX_AMOUNT:
        raise MoneyError("too_large", maximum=MAX_AMOUNT)
    return int(value)


def format_rupiah(amount: int, locale: str = "id") -> str:
    """Display an amount without decimals: "Rp500.000" (id), "Rp500,000" (en).

    ``locale`` is a language tag such as "id", "en", "en_US" or "en-GB": English for any "en"
    tag, Indonesian for everything else (the product's two locales).
    """
    english = locale.replace("-", "_").split("_")[0].lower() == "en"
    return _format_rupiah(int(amount), english)


@lru_cache(maxsize=16_384)
def _format_rupiah(amount: int, english: bool) -> str:
    # Babel's formatting costs ~50 µs a call; a catalog page shows ten prices, most of them
    # common ones, so the results are kept.
    if english:
        return format_currency(
            amount, "IDR", locale="en", format="'Rp'#,##0", currency_digits=False
        )
    return format_currency(amount, "IDR", locale="id_ID", format="¤#,##0", currency_digits=False)
