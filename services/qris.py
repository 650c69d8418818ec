"""QRIS (EMVCo merchant-presented QR) payloads: parse, validate, make dynamic.

Pure functions over strings: no aiogram, no I/O, no database.

A payload is a flat sequence of TLV data objects ``ID(2 digits) LEN(2 decimal digits) VALUE``.
Lengths count characters; the CRC is computed over the UTF-8 encoding (QRIS payloads are
ASCII in practice, where both are the same).

Every failure raises :class:`QrisError` whose ``code`` is one of :data:`ERROR_CODES`.
Handlers translate the code into a localized message; ``detail`` is English, for logs only.

Error codes, in the order the checks run in :func:`parse`:

``empty``          nothing left after stripping surrounding whitespace
``too_long``       longer than 512 characters (the EMVCo limit); also raised by
                   :func:`make_dynamic` when adding the amount would exceed it
``not_qris``       does not start with ``000201`` (payload format indicator), or the payload
                   is not for Indonesia / rupiah (``53`` is not ``360``, ``58`` is not ``ID``)
``structure``      the TLV cannot be read: non-digit ID or length, zero length, a length past the
                   end, trailing characters, or a malformed nested template (``26``–``51``, ``62``)
``crc``            tag ``63`` does not have length 4 or does not match the computed CRC
``order``          ``63`` not the last tag, or the tags before it not in strictly ascending
                   order (so also duplicated tags)
``missing_tag``    a mandatory tag is absent: ``00 01 52 53 58 59 60 63`` and at least one
                   merchant account template in ``26``–``51``
``invalid_field``  a mandatory field has a malformed value: ``01`` not ``11``/``12``, ``52`` not
                   4 digits, blank ``59``/``60``
``amount``         tag ``54`` is not a positive whole rupiah amount; or the amount given to
                   :func:`make_dynamic` is not an ``int`` in ``1 .. 9_999_999_999_999``
``dynamic``        :func:`validate_static` got a dynamic code (``01`` = ``12``, or a fixed ``54``)

Tag order: EMVCo only fixes ``00`` first and ``63`` last; QRIS codes issued in Indonesia list the
other tags in ascending order, and :func:`make_dynamic` relies on that to insert ``54`` "in tag
order", so :func:`parse` requires it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

__all__ = [
    "ERROR_CODES",
    "MAX_AMOUNT",
    "MAX_PAYLOAD_LENGTH",
    "QrisError",
    "QrisPayload",
    "crc16_ccitt_false",
    "make_dynamic",
    "parse",
    "validate_static",
]

ERROR_CODES: frozenset[str] = frozenset(
    {
        "empty",
        "too_long",
        "not_qris",
        "structure",
        "crc",
        "order",
        "missing_tag",
        "invalid_field",
        "amount",
        "dynamic",
    }
)

MAX_PAYLOAD_LENGTH = 512
# Tag 54 is at most 13 characters.
MAX_AMOUNT = 10**13 - 1

POINT_OF_INITIATION_STATIC = "11"
POINT_OF_INITIATION_DYNAMIC = "12"

_TAG_FORMAT = "00"
_TAG_INITIATION = "01"
_TAG_MCC = "52"
_TAG_CURRENCY = "53"
_TAG_AMOUNT = "54"
_TAG_COUNTRY = "58"
_TAG_NAME = "59"
_TAG_CITY = "60"
_TAG_POSTAL_CODE = "61"
_TAG_ADDITIONAL = "62"
_TAG_CRC = "63"
_TAG_QRIS_ACCOUNT = "51"

_MANDATORY = (
    _TAG_FORMAT,
    _TAG_INITIATION,
    _TAG_MCC,
    _TAG_CURRENCY,
    _TAG_COUNTRY,
    _TAG_NAME,
    _TAG_CITY,
    _TAG_CRC,
)
_MERCHANT_ACCOUNT_TAGS = frozenset(f"{n:02d}" for n in range(26, 52))
# Templates whose value is itself a TLV list.
_TEMPLATE_TAGS = _MERCHANT_ACCOUNT_TAGS | {_TAG_ADDITIONAL}

_AMOUNT_RE = re.compile(r"[0-9]+(?:\.[0-9]{0,2})?")
_MCC_RE = re.compile(r"[0-9]{4}")
_HEX4_RE = re.compile(r"[0-9A-F]{4}")


class QrisError(ValueError):
    """A payload or an argument is not acceptable. ``code`` is one of :data:`ERROR_CODES`."""

    def __init__(self, code: str, detail: str = "") -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown QRIS error code {code!r}")
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


# --- CRC ----------------------------------------------------------------------------------------


def _make_crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return tuple(table)


_CRC_TABLE = _make_crc_table()


def crc16_ccitt_false(data: bytes | str) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, xorout 0.

    ``str`` input is encoded as UTF-8. ``crc16_ccitt_false("123456789") == 0x29B1``.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    crc = 0xFFFF
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC_TABLE[((crc >> 8) ^ byte) & 0xFF]
    return crc


def _crc_hex(text: str) -> str:
    return f"{crc16_ccitt_false(text):04X}"


# --- TLV ----------------------------------------------------------------------------------------


def _parse_tlv(text: str, where: str) -> tuple[tuple[str, str], ...]:
    """Split ``text`` into (ID, value) pairs, keeping order. Raises ``structure``."""
    fields: list[tuple[str, str]] = []
    pos = 0
    end = len(text)
    while pos < end:
        if end - pos < 4:
            raise QrisError("structure", f"{where}: {end - pos} trailing character(s) at {pos}")
        tag = text[pos : pos + 2]
        length_text = text[pos + 2 : pos + 4]
        if not (_is_ascii_digits(tag) and _is_ascii_digits(length_text)):
            raise QrisError("structure", f"{where}: no ID/length digits at {pos}")
        length = int(length_text)
        if length == 0:
            raise QrisError("structure", f"{where}: tag {tag} has length 00")
        start = pos + 4
        if start + length > end:
            raise QrisError(
                "structure", f"{where}: tag {tag} length {length} runs past the end at {pos}"
            )
        fields.append((tag, text[start : start + length]))
        pos = start + length
    return tuple(fields)


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _serialise(fields: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> str:
    parts = []
    for tag, value in fields:
        if not 1 <= len(value) <= 99:
            # Only reachable through programming errors: parse() never builds such fields.
            raise QrisError("structure", f"tag {tag} value length {len(value)} outside 1..99")
        parts.append(f"{tag}{len(value):02d}{value}")
    return "".join(parts)


def _with_crc(fields_without_crc: list[tuple[str, str]]) -> str:
    body = _serialise(fields_without_crc) + _TAG_CRC + "04"
    return body + _crc_hex(body)


# --- Payload ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QrisPayload:
    """A validated QRIS payload: its top-level tags in payload order, ``63`` included.

    Build it with :func:`parse`; ``to_string()`` gives the payload back with a fresh CRC.
    """

    tags: tuple[tuple[str, str], ...]

    def get(self, tag: str, default: str | None = None) -> str | None:
        for field_tag, value in self.tags:
            if field_tag == tag:
                return value
        return default

    def __contains__(self, tag: object) -> bool:
        return any(field_tag == tag for field_tag, _ in self.tags)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.tags)

    def template(self, tag: str) -> tuple[tuple[str, str], ...] | None:
        """Sub-tags of a template (``26``–``51``, ``62``) in order, or ``None`` if absent."""
        if tag not in _TEMPLATE_TAGS:
            raise ValueError(f"tag {tag} is not a template")
        value = self.get(tag)
        return None if value is None else _parse_tlv(value, f"tag {tag}")

    @property
    def is_dynamic(self) -> bool:
        return self.get(_TAG_INITIATION) == POINT_OF_INITIATION_DYNAMIC

    @property
    def merchant_name(self) -> str:
        return self.get(_TAG_NAME) or ""

    @property
    def merchant_city(self) -> str:
        return self.get(_TAG_CITY) or ""

    @property
    def mcc(self) -> str:
        return self.get(_TAG_MCC) or ""

    @property
    def postal_code(self) -> str | None:
        return self.get(_TAG_POSTAL_CODE)

    @property
    def amount(self) -> int | None:
        """Tag ``54`` in whole rupiah, ``None`` when absent."""
        value = self.get(_TAG_AMOUNT)
        return None if value is None else _amount_value(value)

    @property
    def nmid(self) -> str | None:
        """National Merchant ID: sub-tag ``02`` of the QRIS template ``51``, when present."""
        sub = self.template(_TAG_QRIS_ACCOUNT)
        if sub is None:
            return None
        return next((value for tag, value in sub if tag == "02"), None)

    @property
    def merchant_accounts(self) -> dict[str, tuple[tuple[str, str], ...]]:
        """Merchant account templates ``26``–``51`` by tag, each as its ordered sub-tags."""
        return {
            tag: _parse_tlv(value, f"tag {tag}")
            for tag, value in self.tags
            if tag in _MERCHANT_ACCOUNT_TAGS
        }

    @property
    def additional_data(self) -> tuple[tuple[str, str], ...] | None:
        """Sub-tags of template ``62``, or ``None``."""
        return self.template(_TAG_ADDITIONAL)

    def to_string(self) -> str:
        """The payload with tag ``63`` recomputed (identical to the input for a parsed payload)."""
        return _with_crc([field for field in self.tags if field[0] != _TAG_CRC])


def _amount_value(value: str) -> int:
    """Parse the text of tag 54. Rupiah has no minor unit, so only whole amounts pass."""
    if not _AMOUNT_RE.fullmatch(value):
        raise QrisError("amount", f"tag 54 {value!r} is not a decimal amount")
    whole, _, fraction = value.partition(".")
    if fraction.strip("0"):
        raise QrisError("amount", f"tag 54 {value!r} is not a whole rupiah amount")
    amount = int(whole)
    if amount <= 0:
        raise QrisError("amount", f"tag 54 {value!r} is not positive")
    return amount


def parse(payload: str) -> QrisPayload:
    """Parse and validate a QRIS payload; see the module docstring for the checks and codes."""
    if not isinstance(payload, str):
        raise TypeError(f"payload must be str, not {type(payload).__name__}")
    text = payload.strip()
    if not text:
        raise QrisError("empty", "empty payload")
    if len(text) > MAX_PAYLOAD_LENGTH:
        raise QrisError("too_long", f"{len(text)} characters > {MAX_PAYLOAD_LENGTH}")
    if not text.startswith("000201"):
        raise QrisError("not_qris", "does not start with payload format indicator 000201")

    fields = _parse_tlv(text, "payload")
    for tag, value in fields:
        if tag in _TEMPLATE_TAGS:
            _parse_tlv(value, f"tag {tag}")

    tags = [tag for tag, _ in fields]
    if _TAG_CRC not in tags:
        raise QrisError("missing_tag", "tag 63")
    if tags[-1] != _TAG_CRC:
        raise QrisError("order", "tag 63 is not the last tag")
    crc_value = fields[-1][1]
    if len(crc_value) != 4:
        raise QrisError("crc", f"tag 63 has length {len(crc_value)}, not 04")
    expected = _crc_hex(text[:-4])
    if not _HEX4_RE.fullmatch(crc_value) or crc_value != expected:
        raise QrisError("crc", f"tag 63 is {crc_value!r}, computed {expected}")

    # 63 is last (checked above); the tags before it ascend strictly, which also rules out
    # duplicates. Tags 64..99 may therefore sit just before 63.
    for previous, current in pairwise(tags[:-1]):
        if current <= previous:
            raise QrisError("order", f"tag {current} after tag {previous}")
    if _TAG_CRC in tags[:-1]:
        raise QrisError("order", "tag 63 appears twice")

    result = QrisPayload(fields)
    for tag in _MANDATORY:
        if tag not in result:
            raise QrisError("missing_tag", f"tag {tag}")
    if not any(tag in _MERCHANT_ACCOUNT_TAGS for tag in tags):
        raise QrisError("missing_tag", "no merchant account template in 26..51")

    if result.get(_TAG_CURRENCY) != "360":
        raise QrisError("not_qris", f"currency {result.get(_TAG_CURRENCY)!r} is not 360 (IDR)")
    if result.get(_TAG_COUNTRY) != "ID":
        raise QrisError("not_qris", f"country {result.get(_TAG_COUNTRY)!r} is not ID")
    initiation = result.get(_TAG_INITIATION)
    if initiation not in (POINT_OF_INITIATION_STATIC, POINT_OF_INITIATION_DYNAMIC):
        raise QrisError("invalid_field", f"tag 01 {initiation!r} is not 11 or 12")
    if not _MCC_RE.fullmatch(result.mcc):
        raise QrisError("invalid_field", f"tag 52 {result.mcc!r} is not 4 digits")
    for tag in (_TAG_NAME, _TAG_CITY):
        if not (result.get(tag) or "").strip():
            raise QrisError("invalid_field", f"tag {tag} is blank")
    if _TAG_AMOUNT in result:
        _amount_value(result.get(_TAG_AMOUNT) or "")
    return result


def _check_amount(amount: object) -> int:
    # bool is an int subclass; True must not become Rp1.
    if type(amount) is not int:
        raise QrisError("amount", f"amount must be int, not {type(amount).__name__}")
    if not 1 <= amount <= MAX_AMOUNT:
        raise QrisError("amount", f"amount {amount} outside 1..{MAX_AMOUNT}")
    return amount


def make_dynamic(static_payload: str, amount: int) -> str:
    """The merchant's payload turned into a one-off dynamic payload for ``amount`` rupiah.

    Sets ``01`` to ``12``, inserts (or replaces) ``54`` in tag order, recomputes ``63``; every
    other tag is kept as is and in place. An already dynamic payload gets its amount replaced.
    """
    _check_amount(amount)
    source = parse(static_payload)
    fields: list[tuple[str, str]] = []
    inserted = False
    for tag, value in source.tags:
        if tag in (_TAG_AMOUNT, _TAG_CRC):
            continue
        if not inserted and tag > _TAG_AMOUNT:
            fields.append((_TAG_AMOUNT, str(amount)))
            inserted = True
        if tag == _TAG_INITIATION:
            value = POINT_OF_INITIATION_DYNAMIC
        fields.append((tag, value))
    if not inserted:  # unreachable for a parsed payload (58 always follows), kept for safety
        fields.append((_TAG_AMOUNT, str(amount)))
    result = _with_crc(fields)
    if len(result) > MAX_PAYLOAD_LENGTH:
        raise QrisError("too_long", f"dynamic payload would be {len(result)} characters")
    return result


def validate_static(payload: str) -> QrisPayload:
    """Validate the code a merchant registers: it must be their printed *static* QRIS.

    A dynamic code (``01`` = ``12``) or any code carrying a fixed amount (``54``) is a one-off
    for a single payment, so it is refused with ``dynamic`` instead of being silently turned
    back into a static one.
    """
    result = parse(payload)
    if result.is_dynamic:
        raise QrisError("dynamic", "tag 01 is 12 (dynamic)")
    if _TAG_AMOUNT in result:
        raise QrisError("dynamic", "static code carries a fixed amount (tag 54)")
    return result
