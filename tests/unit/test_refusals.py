"""Every refusal a service can raise has a polite sentence, in Indonesian and in English."""

from __future__ import annotations

import pytest

from services.errors import Forbidden, NotFound, Refusal, ServiceError
from views.i18n import get_i18n
from views.refusals import MESSAGES, describe

# Params every sentence may use, with values that show up in the text.
PARAMS = {
    "nip": "198503122010011001",
    "name": "Keripik <Tempe>",
    "merchant": "Kopi & Gula",
    "status": "pending",
    "stock": 3,
    "opd": "Diskominfo",
    "quota_class": "III",
    "length": 120,
    "max": 100,
    "orders": 2,
    "maximum": 1_000_000,
    "merchant_code": "M001",
    "reason": "bad_crc",
}


def _render(refusal: Refusal, locale: str) -> str:
    i18n = get_i18n()
    with i18n.context(), i18n.use_locale(locale):
        return describe(ServiceError(refusal, **PARAMS))


def test_every_refusal_has_a_sentence() -> None:
    missing = sorted(set(Refusal) - set(MESSAGES))
    assert not missing, f"no sentence in views/refusals.py for: {missing}"


@pytest.mark.parametrize("refusal", list(Refusal), ids=str)
def test_each_sentence_is_translated(refusal: Refusal) -> None:
    english, indonesian = _render(refusal, "en"), _render(refusal, "id")
    generic_en = "Sorry, that is not possible."
    assert english.strip() and indonesian.strip()
    if refusal is not Refusal.UNKNOWN_ACTION:  # its sentence is the generic one on purpose
        assert english != generic_en
    assert indonesian != english, f"{refusal}: the Indonesian sentence is missing"


def test_names_in_sentences_are_escaped() -> None:
    text = _render(Refusal.PRODUCT_UNAVAILABLE, "en")
    assert "Keripik &lt;Tempe&gt;" in text


def test_an_unknown_code_cannot_be_raised() -> None:
    with pytest.raises(ValueError):
        ServiceError("no_such_refusal")


def test_default_codes() -> None:
    assert Forbidden().code is Refusal.FORBIDDEN
    assert NotFound().code is Refusal.NOT_FOUND
    assert NotFound(Refusal.ORDER_NOT_FOUND).code == "order_not_found"
