"""Golongan of PNS (I/a ... IV/e) and PPPK (I ... XVII), and the quota class they fall in.

Data: ``services/data/golongan.csv`` (PNS golongan/ruang with pangkat names), loaded once.

The minimum monthly spend is keyed by a quota class, one of :data:`QUOTA_CLASSES`: the PNS
golongan I-IV, or "PPPK" for every PPPK.

:func:`parse_golongan` accepts, case-insensitively, with an optional "gol." / "golongan"
label, and with "/", "-", ".", spaces or nothing between golongan and ruang:

* PNS with ruang: "III/a", "iii/a", "III a", "IIIa", "III-a", "3a", "3/a" -> "III/a"
  (only the combinations in the CSV: ruang a-d, and e for IV only);
* PNS without ruang: "III", "3" -> "III";
* a pangkat name: "Penata Muda" -> "III/a" ("Tk. I" / "Tk I" stand for "Tingkat I");
* PPPK: "PPPK", "P3K" -> "PPPK"; "PPPK IX", "pppk ix", "PPPK 9", "P3K-9" -> "PPPK IX";
* a bare golongan above IV ("IX", "9"), which only PPPK have -> "PPPK IX".

A bare I-IV ("III", "3") is PNS unless the caller passes ``kind="PPPK"`` (known from the NI
PPPK, see services.nip), in which case it is "PPPK III"; with ``kind`` given, a golongan of
the other kind is refused.

Errors are :class:`GolonganError` with a stable ``code`` and ``params``:

``unknown``
    not a golongan; params ``text`` (the input, stripped).
``kind_mismatch``
    a valid golongan of the other kind than ``kind``; params ``text`` (the input, stripped),
    ``kind`` (the expected kind, "PNS" | "PPPK").
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from unidecode import unidecode

GOLONGAN_CSV = Path(__file__).parent / "data" / "golongan.csv"

QUOTA_CLASSES = ("I", "II", "III", "IV", "PPPK")
PPPK_MAX = 17

_ROMAN = (
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X",
    "XI", "XII", "XIII", "XIV", "XV", "XVI", "XVII",
)  # fmt: skip
_LEVEL_BY_ROMAN = {roman.lower(): level for level, roman in enumerate(_ROMAN, start=1)}

_LABEL = re.compile(r"^(?:golongan|gol)(?:\.|\b)\s*")
_PPPK = re.compile(r"^(?:pppk|p3k)[\s/.\-]*(?P<level>[a-z0-9]*)$")
_WITH_RUANG = re.compile(r"^(?P<level>[ivx]+|[0-9]+)[\s/.\-]*(?P<ruang>[a-e])$")
_LEVEL_ONLY = re.compile(r"^(?P<level>[ivx]+|[0-9]+)$")
_TINGKAT = re.compile(r"\btk\b\.?")


class GolonganError(ValueError):
    """An unrecognised golongan; ``code`` is stable, see module doc."""

    def __init__(self, code: str, /, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code, params)

    def __str__(self) -> str:
        return f"{self.code} {self.params}" if self.params else self.code


@dataclass(frozen=True, slots=True)
class Golongan:
    kind: Literal["PNS", "PPPK"]
    golongan: str  # canonical: "III/a", "III" (PNS without ruang), "PPPK IX", "PPPK"
    quota_class: str  # one of QUOTA_CLASSES
    pangkat: str | None = None  # PNS with ruang only, e.g. "Penata Muda"


@cache
def _pns_rows() -> dict[str, Golongan]:
    """PNS golongan with ruang by canonical name ("III/a")."""
    with GOLONGAN_CSV.open(encoding="utf-8", newline="") as fh:
        return {
            row["kelas"].strip(): Golongan(
                kind="PNS",
                golongan=row["kelas"].strip(),
                quota_class=row["golongan"].strip(),
                pangkat=row["pangkat"].strip() or None,
            )
            for row in csv.DictReader(fh)
            if row["jenis"].strip() == "PNS"
        }


def _pangkat_key(text: str) -> str:
    return " ".join(_TINGKAT.sub("tingkat ", text.lower()).split())


@cache
def _by_pangkat() -> dict[str, Golongan]:
    return {_pangkat_key(g.pangkat): g for g in _pns_rows().values() if g.pangkat}


def _level(token: str) -> int | None:
    if token.isascii() and token.isdigit():
        level = int(token)
        return level if 1 <= level <= PPPK_MAX and token[0] != "0" else None
    return _LEVEL_BY_ROMAN.get(token)


def _pppk(level: int | None) -> Golongan:
    name = "PPPK" if level is None else f"PPPK {_ROMAN[level - 1]}"
    return Golongan(kind="PPPK", golongan=name, quota_class="PPPK")


def _pns(level: int) -> Golongan:
    roman = _ROMAN[level - 1]
    return Golongan(kind="PNS", golongan=roman, quota_class=roman)


def _parse(s: str, kind: str | None) -> Golongan | None:
    if m := _PPPK.fullmatch(s):
        if not m["level"]:
            return _pppk(None)
        level = _level(m["level"])
        return _pppk(level) if level is not None else None
    if m := _WITH_RUANG.fullmatch(s):
        level = _level(m["level"])
        if level is None or level > 4:
            return None
        return _pns_rows().get(f"{_ROMAN[level - 1]}/{m['ruang']}")
    if m := _LEVEL_ONLY.fullmatch(s):
        level = _level(m["level"])
        if level is None:
            return None
        if level > 4 or kind == "PPPK":
            return _pppk(level)
        return _pns(level)
    return _by_pangkat().get(_pangkat_key(s))


def parse_golongan(text: str, *, kind: Literal["PNS", "PPPK"] | None = None) -> Golongan:
    """The golongan in ``text``; ``kind`` (from the NIP) settles a bare I-IV and is enforced.

    Raises :class:`GolonganError` (see module doc).
    """
    raw = text.strip()
    s = " ".join(unidecode(raw).lower().split())
    s = _LABEL.sub("", s, count=1).strip()
    golongan = _parse(s, kind) if s else None
    if golongan is None:
        raise GolonganError("unknown", text=raw)
    if kind is not None and golongan.kind != kind:
        raise GolonganError("kind_mismatch", text=raw, kind=kind)
    return golongan
