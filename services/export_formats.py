"""The formats of export details and of permit and certificate numbers, checked offline
(a number's authenticity is what an administrator verifies). Used by the chat and by the
product import alike.

    HS code: 6 to 10 digits (6: the international Harmonized System, 8: Indonesia's BTKI /
        AHTN, 10: national splits); dots and spaces as printed ("0902.10.10") are dropped.
    NIB: 13 digits (OSS).
    PIRT: the SPP-IRT number, 15 digits ("P-IRT No. 2063507010123-25": 13 digits and the
        2-digit year of expiry, Peraturan BPOM 22/2018); certificates issued before 2018 have
        12 digits.
    BPOM: "MD" (made in Indonesia) or "ML" (imported) and 12 digits ("BPOM RI MD
        224510001234").
    Halal: the BPJPH certificate number, "ID" and 13 to 20 digits ("ID35110000123450123");
        or an older MUI certificate number, 14 digits ("00150012345678").
    SNI: the standard the product conforms to, as on the SNI mark ("SNI 3719:2014",
        "SNI 01-3719-1995").

Refusal codes: hs_code_invalid, number_invalid [kind], export_value_invalid [field].
"""

from __future__ import annotations

import re
from enum import StrEnum

from services.errors import Refusal, ServiceError


class CertKind(StrEnum):
    NIB = "nib"
    PIRT = "pirt"
    BPOM = "bpom"
    HALAL = "halal"
    SNI = "sni"


PRODUCT_CERTS = (CertKind.PIRT, CertKind.BPOM, CertKind.HALAL, CertKind.SNI)

MAX_QUANTITY = 10_000_000
MAX_WEIGHT_GRAMS = 1_000_000  # one tonne per unit
MAX_SIDE_CM = 1_000
MAX_SHELF_LIFE_DAYS = 3_650
FOOD_CATEGORY = "kuliner"

# --- formats -----------------------------------------------------------------------------------


def _digits(text: str, *, keep: str = "") -> str:
    """The text without spaces, dots and dashes (and the characters in `keep` left alone)."""
    drop = "".join(c for c in " .-\u2013/" if c not in keep)
    return "".join(c for c in text.strip() if c not in drop)


def parse_hs_code(text: str) -> str:
    code = _digits(text)
    if code.upper().startswith("HS"):
        code = code[2:].lstrip(":")
    if not (code.isascii() and code.isdigit() and 6 <= len(code) <= 10):
        raise ServiceError(Refusal.HS_CODE_INVALID)
    return code


_BPOM = re.compile(r"^(?:BPOMRI|BPOM)?(MD|ML)(\d{12})$")
_HALAL = re.compile(r"^(?:NO)?(ID\d{13,20})$")
_MUI = re.compile(r"^(?:LPPOMMUI|LPPOM|MUI)?(\d{14})$")
_SNI = re.compile(r"^SNI\s*((?:\d{2}-\d{4}-\d{4})|(?:\d{4}(?:-\d{1,2})?:\d{4}))$", re.I)
_PIRT = re.compile(r"^(?:PIRT(?:NO)?|SPPIRT(?:NO)?)?(\d{15}|\d{12})$")


def parse_number(kind: str, text: str) -> str:
    """A certificate or permit number in its canonical form, or `number_invalid`."""
    raw = " ".join((text or "").split())
    compact = _digits(raw).upper().replace(":", "")
    if kind == CertKind.NIB:
        if compact.isascii() and compact.isdigit() and len(compact) == 13:
            return compact
    elif kind == CertKind.PIRT:
        match = _PIRT.match(compact)
        if match:
            return match.group(1)
    elif kind == CertKind.BPOM:
        match = _BPOM.match(compact)
        if match:
            return f"{match.group(1)} {match.group(2)}"
    elif kind == CertKind.HALAL:
        match = _HALAL.match(compact) or _MUI.match(compact)
        if match:
            return match.group(1)
    elif kind == CertKind.SNI:
        match = _SNI.match(raw.upper().replace("SNI:", "SNI ").strip())
        if match:
            return f"SNI {match.group(1)}"
    else:
        raise ServiceError(Refusal.NOT_FOUND)
    raise ServiceError(Refusal.NUMBER_INVALID, kind=kind)


def parse_positive(text: str, field: str, maximum: int = MAX_QUANTITY) -> int:
    raw = _digits(text).replace(",", "")
    for word in ("pcs", "unit", "units", "per", "bulan", "month", "/"):
        raw = raw.lower().replace(word, "")
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= maximum:
        raise ServiceError(Refusal.EXPORT_VALUE_INVALID, field=field)
    return int(raw)


_WEIGHT = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(g|gr|gram|grams|kg|kilo|kilogram)?$")
_DIMENSIONS = re.compile(
    r"^(\d+(?:[.,]\d+)?)\s*[x×*]\s*(\d+(?:[.,]\d+)?)\s*[x×*]\s*(\d+(?:[.,]\d+)?)\s*(cm)?$"
)
_SHELF = re.compile(r"^(\d+)\s*(hari|days?|d|bulan|months?|tahun|years?)?$")


def parse_weight(text: str) -> int:
    """Grams per unit: "250", "250 g", "0,5 kg"."""
    match = _WEIGHT.match(" ".join(text.lower().split()))
    if match:
        grams = float(match.group(1).replace(",", "."))
        if (match.group(2) or "g").startswith("k"):
            grams *= 1000
        if 0 < grams <= MAX_WEIGHT_GRAMS:
            return round(grams)
    raise ServiceError(Refusal.EXPORT_VALUE_INVALID, field="weight_grams")


def parse_dimensions(text: str) -> str:
    """Length × width × height of one packed unit, in centimetres: "20x10x5"."""
    match = _DIMENSIONS.match(" ".join(text.lower().split()))
    if match:
        sides = [float(match.group(i).replace(",", ".")) for i in (1, 2, 3)]
        if all(0 < side <= MAX_SIDE_CM for side in sides):
            return "x".join(f"{side:g}" for side in sides)
    raise ServiceError(Refusal.EXPORT_VALUE_INVALID, field="dimensions_cm")


def parse_shelf_life(text: str) -> int:
    """Days: "180", "180 hari", "6 bulan" (30 days each), "1 tahun" (365)."""
    match = _SHELF.match(" ".join(text.lower().split()))
    if match:
        days = int(match.group(1))
        unit = match.group(2) or "d"
        if unit.startswith(("bulan", "month")):
            days *= 30
        elif unit.startswith(("tahun", "year")):
            days *= 365
        if 0 < days <= MAX_SHELF_LIFE_DAYS:
            return days
    raise ServiceError(Refusal.EXPORT_VALUE_INVALID, field="shelf_life_days")
