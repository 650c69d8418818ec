import pytest

from services.phones import PhoneError, normalize_phone, phones_match


@pytest.mark.parametrize(
    "text,expected",
    [
        ("081234567890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("0812 3456 7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("+6281234567890", "+6281234567890"),
        ("+62 812-3456-7890", "+6281234567890"),
        ("+62 (0)812 3456 7890", "+6281234567890"),
        ("81234567890", "+6281234567890"),
        ("085755512345", "+6285755512345"),
        ("(0341) 551234", "+62341551234"),
        ("0341-551234", "+62341551234"),
        ("62341551234", "+62341551234"),
        ("+62 341 551234", "+62341551234"),
        ("+447911123456", "+447911123456"),
        ("447911123456", "+447911123456"),
    ],
)
def test_normalize(text, expected):
    assert normalize_phone(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "abc", "0812-ABC-4567", "call me", "112", "0812345", "08123456789012", "+", "()"],
)
def test_invalid(text):
    with pytest.raises(PhoneError) as exc:
        normalize_phone(text)
    assert exc.value.code == "invalid"


def test_phones_match():
    assert phones_match("0812-3456-7890", "+62 812 3456 7890")
    assert phones_match("6281234567890", "081234567890")
    assert not phones_match("081234567890", "081234567891")
    assert not phones_match("abc", "abc")
    assert not phones_match("081234567890", "")
