import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.money import MAX_AMOUNT, MoneyError, format_rupiah, parse_rupiah

amounts = st.integers(min_value=0, max_value=MAX_AMOUNT)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("500000", 500_000),
        ("500.000", 500_000),
        ("500rb", 500_000),
        ("500 rb", 500_000),
        ("500ribu", 500_000),
        ("500 RIBU", 500_000),
        ("500k", 500_000),
        ("1,5jt", 1_500_000),
        ("1.5 juta", 1_500_000),
        ("1,25 jt", 1_250_000),
        ("2jt", 2_000_000),
        ("2 miliar", 2_000_000_000),
        ("Rp 500.000", 500_000),
        ("Rp. 500.000", 500_000),
        ("Rp500.000", 500_000),
        ("rp500.000,00", 500_000),
        ("Rp 500.000,-", 500_000),
        ("500.000 rupiah", 500_000),
        ("IDR 25000", 25_000),
        ("idr25.000", 25_000),
        ("25.000", 25_000),
        ("25,000", 25_000),
        ("1.500.000", 1_500_000),
        ("1,500,000", 1_500_000),
        ("1,500,000.00", 1_500_000),
        ("1 500 000", 1_500_000),
        ("25,00", 25),
        ("25.0", 25),
        ("0,5rb", 500),
        ("1,2345jt", 1_234_500),
        ("1.500rb", 1_500_000),  # 3 digits after one separator: thousands, also with a unit
        ("0", 0),
        ("-0", 0),
        ("1000000jt", MAX_AMOUNT),
    ],
)
def test_accepted(text, expected):
    assert parse_rupiah(text) == expected


@pytest.mark.parametrize(
    "text,code",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "not_a_number"),
        ("Rp", "not_a_number"),
        ("500m", "not_a_number"),
        ("1.50.000", "not_a_number"),
        ("1234.567", "not_a_number"),
        ("1.5000", "not_a_number"),
        ("500.", "not_a_number"),
        ("1,5,00", "not_a_number"),
        ("1.000,00,00", "not_a_number"),
        ("٥٠٠", "not_a_number"),
        ("-500", "negative"),
        ("Rp -500.000", "negative"),
        ("-Rp500", "negative"),
        ("\u2212500", "negative"),
        ("1.234,5", "fraction"),
        ("0,5", "fraction"),
        ("12,34", "fraction"),
        ("1,0005rb", "fraction"),
        ("1000000000001", "too_large"),
        ("1000001jt", "too_large"),
    ],
)
def test_refused(text, code):
    with pytest.raises(MoneyError) as exc:
        parse_rupiah(text)
    assert exc.value.code == code


def test_error_params():
    with pytest.raises(MoneyError) as exc:
        parse_rupiah("1.234,5")
    assert exc.value.params == {"value": "1234.5"}
    with pytest.raises(MoneyError) as exc:
        parse_rupiah("2000 miliar")
    assert exc.value.params == {"maximum": MAX_AMOUNT}


def test_format():
    assert format_rupiah(500_000) == "Rp500.000"
    assert format_rupiah(500_000, "id") == "Rp500.000"
    assert format_rupiah(1_500_000, "id_ID") == "Rp1.500.000"
    assert format_rupiah(500_000, "en") == "Rp500,000"
    assert format_rupiah(500_000, "en-US") == "Rp500,000"
    assert format_rupiah(0) == "Rp0"
    assert format_rupiah(999) == "Rp999"


@given(amounts)
def test_plain_digits_round_trip(n):
    assert parse_rupiah(str(n)) == n


@given(amounts)
def test_dotted_thousands_round_trip(n):
    assert parse_rupiah(f"Rp{n:,}".replace(",", ".")) == n
    assert parse_rupiah(f"{n:,}") == n


@given(amounts, st.sampled_from(["id", "en"]))
def test_formatted_round_trip(n, locale):
    text = format_rupiah(n, locale)
    assert "," not in text or locale == "en"
    assert parse_rupiah(text) == n
