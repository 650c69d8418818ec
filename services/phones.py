"""Phone numbers normalised to E.164 ("+6281234567890") with the phonenumbers library.

Accepted: national forms ("0812-3456-7890", "(0341) 551234"), a national number without its
leading 0 ("81234567890"), international forms ("+62 812-3456-7890", "+62 (0)812 …") and the
digits-only international form Telegram puts in shared contacts ("6281234567890",
"447911123456"). Default region: Indonesia.

Decisions:

* Digits starting with ``62`` (no ``+``, no leading ``0``) are read as country code 62:
  otherwise "62341551234" would be read as a national number behind area code 0623.
* Other digits without ``+`` or leading ``0`` are tried as an Indonesian national number first,
  then as international digits (for foreign numbers in shared contacts).
* Letters are refused (phonenumbers would otherwise read "0812-ABC-…" as a keypad number).
* A number must pass ``phonenumbers.is_valid_number`` (length and number range).

Errors are :class:`PhoneError` with ``code``:

``invalid``
    not a phone number, or not a valid one. No params.
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers

DEFAULT_REGION = "ID"

_ALLOWED = re.compile(r"[0-9\s+().\-/]+")
_NON_DIGITS = re.compile(r"[^0-9]")


class PhoneError(ValueError):
    """A phone number that cannot be normalised; ``code`` is stable, see module doc."""

    def __init__(self, code: str, /, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code, params)

    def __str__(self) -> str:
        return f"{self.code} {self.params}" if self.params else self.code


def _valid_e164(candidate: str) -> str | None:
    try:
        number = phonenumbers.parse(candidate, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_phone(text: str) -> str:
    """The E.164 form of a phone number typed or shared by a user; raises PhoneError."""
    text = text.strip()
    if not text or not _ALLOWED.fullmatch(text):
        raise PhoneError("invalid")
    digits = _NON_DIGITS.sub("", text)
    if not digits:
        raise PhoneError("invalid")

    if text.startswith("+") or digits.startswith("0"):
        candidates = [text]
    elif digits.startswith("62"):
        candidates = ["+" + digits]
    else:
        candidates = [digits, "+" + digits]

    for candidate in candidates:
        e164 = _valid_e164(candidate)
        if e164 is not None:
            return e164
    raise PhoneError("invalid")


def phones_match(a: str, b: str) -> bool:
    """Whether two inputs are the same phone number; False when either is invalid."""
    try:
        return normalize_phone(a) == normalize_phone(b)
    except PhoneError:
        return False
