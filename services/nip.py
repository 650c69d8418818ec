"""Offline validation of NIP (PNS) and NI PPPK numbers.

Both are 18 digits starting with the birth date ``YYYYMMDD``:

* PNS:  ``YYYYMMDD`` birth + ``YYYYMM`` first appointment (TMT CPNS) + gender ``1``/``2``
  + sequence ``001``-``999``.
* PPPK: ``YYYYMMDD`` birth + ``YYYY`` appointment year + ``2`` + contract count ``1``-``9``
  + gender ``1``/``2`` + sequence ``001``-``999``.

Digits 13-14 of a PPPK number start with ``2`` and so are never a valid month (01-12): that
is what tells the two kinds apart. Everything else starting differently is read as PNS.

Input may carry a leading "NIP" / "NI PPPK" label and spaces, dots or dashes between digit
groups ("19850312 201001 1 001"); they are removed before checking.

Errors are :class:`NipError` with a stable ``code`` and ``params`` (checked in this order):

``empty``
    nothing but separators was given.
``not_digits``
    something other than digits remains after removing separators.
``length``
    not 18 digits; params ``length`` (int, the actual number of digits).
``birth_date``
    digits 1-8 are not a real calendar date; params ``value`` (the 8 digits).
``birth_date_range``
    the birth date is in the future or the holder is younger than 17 or older than 70 at
    ``today``; params ``birth_date`` (date), ``age`` (int, full years, negative if future),
    ``min_age`` (17), ``max_age`` (70).
``appointment_month``
    PNS only: digits 13-14 are not a month 01-12; params ``month`` (int).
``appointment``
    the appointment is less than 17 years after birth or lies in the future; params
    ``year`` (int), ``month`` (int, or None for PPPK), ``reason`` ("too_early" | "future").
    PNS compare year and month (appointment month >= birth month 17 years later, and
    <= the current month); PPPK compare years only.
``pppk_contract``
    PPPK only: digit 14, the contract count, is ``0``; params ``value`` (str digit).
``gender``
    digit 15 is not ``1`` (male) or ``2`` (female); params ``value`` (str digit).
``sequence``
    digits 16-18 are ``000``; params ``value`` (the 3 digits).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any, Literal

MIN_AGE = 17
MAX_AGE = 70
NIP_LENGTH = 18

_LABEL = re.compile(r"^\s*(?:nip|ni\s*pppk)\s*[.:]?", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s.\-]+")
_ASCII_DIGITS = re.compile(r"[0-9]+")


class NipError(ValueError):
    """A NIP / NI PPPK that fails an offline check; ``code`` is stable, see module doc."""

    def __init__(self, code: str, /, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code, params)

    def __str__(self) -> str:
        return f"{self.code} {self.params}" if self.params else self.code


@dataclass(frozen=True, slots=True)
class NipInfo:
    nip: str  # the normalized 18 digits
    kind: Literal["PNS", "PPPK"]
    birth_date: datetime.date
    appointment_year: int
    appointment_month: int | None  # None for PPPK (only the year is encoded)
    gender: Literal["M", "F"]
    sequence: int  # 1..999
    contract_count: int | None = None  # PPPK only: 1..9


def normalize_nip(text: str) -> str:
    """Remove an optional "NIP" label and the spaces, dots and dashes people type."""
    return _SEPARATORS.sub("", _LABEL.sub("", text, count=1))


def _age(birth: datetime.date, today: datetime.date) -> int:
    years = today.year - birth.year
    if (today.month, today.day) < (birth.month, birth.day):
        years -= 1
    return years


def parse_nip(text: str, *, today: datetime.date) -> NipInfo:
    """Validate a NIP or NI PPPK offline and split it into its parts.

    ``today`` is the WIB calendar date the checks are made against.
    Raises :class:`NipError` (codes in the module docstring).
    """
    nip = normalize_nip(text)
    if not nip:
        raise NipError("empty")
    if not _ASCII_DIGITS.fullmatch(nip):
        raise NipError("not_digits")
    if len(nip) != NIP_LENGTH:
        raise NipError("length", length=len(nip))

    try:
        birth = datetime.date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        raise NipError("birth_date", value=nip[0:8]) from None
    age = _age(birth, today)
    if birth > today or not MIN_AGE <= age <= MAX_AGE:
        raise NipError(
            "birth_date_range", birth_date=birth, age=age, min_age=MIN_AGE, max_age=MAX_AGE
        )

    year = int(nip[8:12])
    gender_digit = nip[14]
    sequence = nip[15:18]

    if nip[12] == "2":
        kind: Literal["PNS", "PPPK"] = "PPPK"
        month = None
        if year < birth.year + MIN_AGE:
            raise NipError("appointment", year=year, month=None, reason="too_early")
        if year > today.year:
            raise NipError("appointment", year=year, month=None, reason="future")
        if nip[13] == "0":
            raise NipError("pppk_contract", value=nip[13])
        contract_count: int | None = int(nip[13])
    else:
        kind = "PNS"
        month = int(nip[12:14])
        contract_count = None
        if not 1 <= month <= 12:
            raise NipError("appointment_month", month=month)
        if (year, month) < (birth.year + MIN_AGE, birth.month):
            raise NipError("appointment", year=year, month=month, reason="too_early")
        if (year, month) > (today.year, today.month):
            raise NipError("appointment", year=year, month=month, reason="future")

    if gender_digit not in ("1", "2"):
        raise NipError("gender", value=gender_digit)
    if sequence == "000":
        raise NipError("sequence", value=sequence)

    return NipInfo(
        nip=nip,
        kind=kind,
        birth_date=birth,
        appointment_year=year,
        appointment_month=month,
        gender="M" if gender_digit == "1" else "F",
        sequence=int(sequence),
        contract_count=contract_count,
    )
