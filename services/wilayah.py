"""Kecamatan and kelurahan of Kota Malang (5 and 57), matched from what people type.

Data: ``services/data/kota_malang_wilayah.csv`` (Kemendagri codes), loaded once.

Names are compared in a normalised form (:func:`normalize_name`): ASCII, lowercase, without a
"kel." / "kelurahan" / "kec." / "kecamatan" / "desa" prefix, and without any space, hyphen or
punctuation, so "Tasik Madu" == "Tasikmadu" and "Oro-oro Dowo" == "Oro Oro Dowo" ==
"orooro dowo". A name that is not an exact match is still accepted when exactly one candidate
has a rapidfuzz ``ratio`` >= 90 on the normalised form (one missing or extra letter in most
names); otherwise up to 3 suggestions (canonical names, best first) come with the error.

Errors are :class:`WilayahError` with a stable ``code`` and ``params``:

``unknown_kecamatan``
    params ``suggestions`` (list[str], canonical kecamatan names, may be empty).
``unknown_kelurahan``
    params ``suggestions`` (list[str], canonical kelurahan names, may be empty; from the
    given kecamatan when one is given).
``kelurahan_not_in_kecamatan``
    params ``kelurahan`` (canonical name of the recognised kelurahan), ``kecamatan`` (the
    canonical kecamatan that was given), ``actual_kecamatan`` (the kelurahan's kecamatan).
``unknown_code``
    :func:`kelurahan_by_code` only; params ``code`` (str).

Lists are sorted by name.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from rapidfuzz import fuzz, process
from unidecode import unidecode

from services.text import normalize_key

WILAYAH_CSV = Path(__file__).parent / "data" / "kota_malang_wilayah.csv"

_T = TypeVar("_T")

ACCEPT_SCORE = 90.0
SUGGEST_SCORE = 70.0
MAX_SUGGESTIONS = 3

_PREFIX = re.compile(r"^\W*(?:kelurahan|kecamatan|desa|kel|kec)(?:\.|\b)\W*")


class WilayahError(ValueError):
    """An unrecognised place name; ``code`` is stable, see module doc."""

    def __init__(self, code: str, /, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code, params)

    def __str__(self) -> str:
        return f"{self.code} {self.params}" if self.params else self.code


@dataclass(frozen=True, slots=True)
class Kelurahan:
    code: str  # Kemendagri code, e.g. "35.73.05.1012"
    kecamatan: str  # canonical kecamatan name, e.g. "Lowokwaru"
    name: str  # canonical kelurahan name, e.g. "Tasik Madu"


def normalize_name(text: str) -> str:
    """The comparison key of a place name: "Kel. Oro-oro Dowo" -> "oroorodowo"."""
    lowered = unidecode(text).lower()
    stripped = _PREFIX.sub("", lowered, count=1)
    return normalize_key(stripped)


@cache
def _kelurahan() -> tuple[Kelurahan, ...]:
    with WILAYAH_CSV.open(encoding="utf-8", newline="") as fh:
        rows = [
            Kelurahan(
                code=row["kode_kemendagri"].strip(),
                kecamatan=row["kecamatan"].strip(),
                name=row["kelurahan"].strip(),
            )
            for row in csv.DictReader(fh)
        ]
    return tuple(sorted(rows, key=lambda k: (normalize_name(k.name), k.code)))


@cache
def _kecamatan_by_key() -> dict[str, str]:
    names = sorted({k.kecamatan for k in _kelurahan()}, key=normalize_name)
    return {normalize_name(name): name for name in names}


@cache
def _kelurahan_by_key() -> dict[str, Kelurahan]:
    return {normalize_name(k.name): k for k in _kelurahan()}


def _lookup(key: str, choices: dict[str, _T]) -> list[_T]:
    """The exact match of ``key`` or the fuzzy matches scoring >= ACCEPT_SCORE."""
    if not key:
        return []
    if key in choices:
        return [choices[key]]
    return [
        choices[choice]
        for choice, _score, _ in process.extract(
            key, list(choices), scorer=fuzz.ratio, score_cutoff=ACCEPT_SCORE, limit=None
        )
    ]


def _suggest(key: str, names: list[str]) -> list[str]:
    if not key:
        return []
    by_key = {normalize_name(name): name for name in names}
    found = process.extract(
        key, list(by_key), scorer=fuzz.WRatio, score_cutoff=SUGGEST_SCORE, limit=MAX_SUGGESTIONS
    )
    return [by_key[choice] for choice, _score, _ in found]


def list_kecamatan() -> list[str]:
    """The canonical kecamatan names, sorted."""
    return list(_kecamatan_by_key().values())


def match_kecamatan(text: str) -> str:
    """The canonical kecamatan name for ``text`` ("kec. lowokwaru" -> "Lowokwaru")."""
    key = normalize_name(text)
    by_key = _kecamatan_by_key()
    found = _lookup(key, by_key)
    if len(found) == 1:
        return found[0]
    raise WilayahError("unknown_kecamatan", suggestions=_suggest(key, list(by_key.values())))


def list_kelurahan(kecamatan: str | None = None) -> list[Kelurahan]:
    """All kelurahan, or those of one kecamatan (any spelling match_kecamatan accepts)."""
    if kecamatan is None:
        return list(_kelurahan())
    canonical = match_kecamatan(kecamatan)
    return [k for k in _kelurahan() if k.kecamatan == canonical]


def kelurahan_by_code(code: str) -> Kelurahan:
    """The kelurahan with this Kemendagri code (e.g. stored in the database)."""
    for kelurahan in _kelurahan():
        if kelurahan.code == code.strip():
            return kelurahan
    raise WilayahError("unknown_code", code=code)


def match_kelurahan(text: str, kecamatan: str | None = None) -> Kelurahan:
    """The kelurahan named by ``text``, optionally required to lie in ``kecamatan``.

    With a kecamatan, a fuzzy match that is ambiguous city-wide but unique inside that
    kecamatan is accepted.
    """
    key = normalize_name(text)
    canonical_kec = match_kecamatan(kecamatan) if kecamatan is not None else None
    found: list[Kelurahan] = _lookup(key, _kelurahan_by_key())

    if canonical_kec is not None and len(found) > 1:
        inside = [k for k in found if k.kecamatan == canonical_kec]
        if len(inside) == 1:
            found = inside

    if len(found) == 1:
        kelurahan = found[0]
        if canonical_kec is not None and kelurahan.kecamatan != canonical_kec:
            raise WilayahError(
                "kelurahan_not_in_kecamatan",
                kelurahan=kelurahan.name,
                kecamatan=canonical_kec,
                actual_kecamatan=kelurahan.kecamatan,
            )
        return kelurahan

    pool = list_kelurahan(canonical_kec) if canonical_kec is not None else list(_kelurahan())
    raise WilayahError("unknown_kelurahan", suggestions=_suggest(key, [k.name for k in pool]))
