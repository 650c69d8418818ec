"""QRIS payloads: public vectors, every error code, and property tests of make_dynamic."""

from __future__ import annotations

import string
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.qris import (
    ERROR_CODES,
    MAX_AMOUNT,
    QrisError,
    crc16_ccitt_false,
    make_dynamic,
    parse,
    validate_static,
)

VECTORS = Path(__file__).resolve().parent.parent / "data" / "qris_vectors.txt"
PROPERTY = settings(max_examples=200, deadline=None)


def _vectors() -> tuple[str, str]:
    lines = [
        line.strip()
        for line in VECTORS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    static, dynamic = lines
    return static, dynamic


STATIC, DYNAMIC = _vectors()


# --- test-side helpers, independent of the code under test --------------------------------------


def reference_crc(data: bytes) -> int:
    """Bit-by-bit CRC-16/CCITT-FALSE, written from the definition."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def tlv(fields: list[tuple[str, str]]) -> str:
    return "".join(f"{tag}{len(value):02d}{value}" for tag, value in fields)


def build(fields: list[tuple[str, str]]) -> str:
    """A payload of ``fields`` (without 63) followed by a correct CRC."""
    body = tlv(fields) + "6304"
    return body + f"{reference_crc(body.encode()):04X}"


def base_fields(**overrides: str | None) -> list[tuple[str, str]]:
    """The static vector's fields; ``t59="..."`` replaces tag 59, ``t59=None`` drops it."""
    fields = [
        ("00", "01"),
        ("01", "11"),
        (
            "26",
            tlv(
                [
                    ("00", "ID.DANA.WWW"),
                    ("01", "936009153022591481"),
                    ("02", "022591481"),
                    ("03", "UMI"),
                ]
            ),
        ),
        ("51", tlv([("00", "ID.CO.QRIS.WWW"), ("02", "ID1020017611473"), ("03", "UMI")])),
        ("52", "5812"),
        ("53", "360"),
        ("58", "ID"),
        ("59", "Warung Sayur Bu Sugeng"),
        ("60", "Kab. Demak"),
        ("61", "59567"),
    ]
    result = []
    for tag, value in fields:
        key = f"t{tag}"
        if key in overrides:
            if overrides[key] is not None:
                result.append((tag, overrides[key]))
        else:
            result.append((tag, value))
    return result


def error_code(payload: str) -> str:
    with pytest.raises(QrisError) as info:
        parse(payload)
    assert info.value.code in ERROR_CODES
    return info.value.code


# --- vectors ------------------------------------------------------------------------------------


def test_crc_check_value() -> None:
    assert crc16_ccitt_false("123456789") == 0x29B1
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    assert reference_crc(b"123456789") == 0x29B1


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_crc_matches_reference(data: bytes) -> None:
    assert crc16_ccitt_false(data) == reference_crc(data)


def test_static_vector_becomes_the_dynamic_vector() -> None:
    assert make_dynamic(STATIC, 15000) == DYNAMIC


def test_helper_rebuilds_the_static_vector() -> None:
    assert build(base_fields()) == STATIC


def test_static_vector_parses() -> None:
    payload = parse(STATIC)
    assert not payload.is_dynamic
    assert payload.merchant_name == "Warung Sayur Bu Sugeng"
    assert payload.merchant_city == "Kab. Demak"
    assert payload.amount is None
    assert payload.nmid == "ID1020017611473"
    assert payload.mcc == "5812"
    assert payload.postal_code == "59567"
    assert payload.additional_data is None
    assert [tag for tag, _ in payload.tags] == [
        "00", "01", "26", "51", "52", "53", "58", "59", "60", "61", "63",
    ]  # fmt: skip
    assert payload.merchant_accounts["26"][0] == ("00", "ID.DANA.WWW")
    assert payload.to_string() == STATIC
    assert validate_static(STATIC) == payload


def test_dynamic_vector_parses() -> None:
    payload = parse(DYNAMIC)
    assert payload.is_dynamic
    assert payload.amount == 15000
    assert payload.get("54") == "15000"
    assert payload.to_string() == DYNAMIC


def test_surrounding_whitespace_is_stripped() -> None:
    assert parse(f"  \n{STATIC}\t\r\n").to_string() == STATIC
    assert make_dynamic(f" {STATIC}\n", 15000) == DYNAMIC


def test_dynamic_payload_gets_its_amount_replaced() -> None:
    again = make_dynamic(DYNAMIC, 20000)
    assert parse(again).amount == 20000
    assert again == make_dynamic(STATIC, 20000)
    assert make_dynamic(again, 15000) == DYNAMIC


def test_additional_data_is_nested() -> None:
    payload = parse(build([*base_fields(), ("62", tlv([("01", "INV-1"), ("07", "KASIR1")]))]))
    assert payload.additional_data == (("01", "INV-1"), ("07", "KASIR1"))


def test_decimal_amount_with_zero_cents_is_accepted() -> None:
    fields = base_fields(t01="12")
    fields.insert(6, ("54", "15000.00"))
    assert parse(build(fields)).amount == 15000


# --- the parser is not fooled by merchant text that looks like TLV ------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Toko 5406 Jaya 6304",
        "010211 Kopi 5406150",
        "6304ABCD0102115802ID",
        "Warung 0002010102115406",
    ],
)
def test_tlv_lookalike_merchant_name(name: str) -> None:
    static = build(base_fields(t59=name, t60="6304 Malang"))
    dynamic = make_dynamic(static, 25000)
    payload = parse(dynamic)
    assert payload.merchant_name == name
    assert payload.merchant_city == "6304 Malang"
    assert payload.amount == 25000
    assert payload.get("01") == "12"
    expected = base_fields(t01="12", t59=name, t60="6304 Malang")
    expected.insert(6, ("54", "25000"))
    assert dynamic == build(expected)


# --- every error code is reachable --------------------------------------------------------------


@pytest.mark.parametrize("payload", ["", "   ", "\n\t "])
def test_empty(payload: str) -> None:
    assert error_code(payload) == "empty"


def test_too_long() -> None:
    accounts = [
        (f"{tag}", tlv([("00", "ID.CO.QRIS.WWW"), ("01", "9" * 70)])) for tag in range(26, 34)
    ]
    fields = base_fields(t26=None, t51=None)
    payload = build(fields[:2] + accounts + fields[2:])
    assert len(payload) > 512
    assert error_code(payload) == "too_long"


def test_make_dynamic_refuses_to_exceed_the_length_limit() -> None:
    accounts = [
        (f"{tag}", tlv([("00", "ID.CO.QRIS.WWW"), ("01", "9" * 70)])) for tag in range(26, 30)
    ]
    fields = base_fields(t26=None, t51=None)
    fields = fields[:2] + accounts + [("50", tlv([("00", "X" * 20)]))] + fields[2:]
    static = build(fields)
    assert 500 < len(static) <= 512
    parse(static)
    with pytest.raises(QrisError) as info:
        make_dynamic(static, 1_000_000)
    assert info.value.code == "too_long"


@pytest.mark.parametrize(
    "payload",
    [
        "https://example.com/pay?id=123",
        "hello",
        build([("00", "02"), *base_fields()[1:]]),  # unknown payload format version
        build(base_fields(t53="840")),  # US dollars
        build(base_fields(t58="SG")),  # Singapore
    ],
)
def test_not_qris(payload: str) -> None:
    assert error_code(payload) == "not_qris"


@pytest.mark.parametrize(
    "payload",
    [
        STATIC[:-10],  # truncated while copying
        STATIC[:120],
        STATIC + "X",  # trailing garbage
        STATIC + "0000",
        build(base_fields(t59="Ok")).replace("5902Ok", "59x2Ok"),  # non-digit length
        build(base_fields(t61=None)).replace("5802ID", "5800ID"),  # zero length
        build([*base_fields(), ("62", "0105INV")]),  # nested template runs past its end
        build(base_fields(t51="not a template")),
    ],
)
def test_structure(payload: str) -> None:
    assert error_code(payload) == "structure"


def test_bad_crc() -> None:
    corrupted = STATIC.replace("Sugeng", "Sugang")
    assert error_code(corrupted) == "crc"
    assert error_code(STATIC[:-4] + "0000") == "crc"
    assert error_code(STATIC[:-4] + STATIC[-4:].lower()) == "crc"
    assert error_code(build(base_fields())[:-8] + "630358C") == "crc"  # CRC of length 3


@pytest.mark.parametrize(
    "fields",
    [
        # 58 before 53
        base_fields()[:5] + [("58", "ID"), ("53", "360")] + base_fields()[7:],
        # 59 after 60
        base_fields()[:7] + [("60", "Malang"), ("59", "Toko")],
        # duplicated tag
        [*base_fields(), ("61", "65111")],
    ],
)
def test_wrong_order(fields: list[tuple[str, str]]) -> None:
    assert error_code(build(fields)) == "order"


def test_crc_not_last_is_an_order_error() -> None:
    body = tlv(base_fields()[:-1]) + "6304"
    with_crc = body + f"{reference_crc(body.encode()):04X}"
    assert error_code(with_crc + "610559567") == "order"


def test_unreserved_template_before_crc_is_allowed() -> None:
    payload = parse(
        build([*base_fields(), ("62", tlv([("07", "A1")])), ("64", tlv([("00", "ID")]))])
    )
    assert [tag for tag, _ in payload.tags][-3:] == ["62", "64", "63"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"t59": None},
        {"t60": None},
        {"t52": None},
        {"t26": None, "t51": None},  # no merchant account at all
    ],
)
def test_missing_tag(overrides: dict[str, str | None]) -> None:
    assert error_code(build(base_fields(**overrides))) == "missing_tag"


def test_missing_crc() -> None:
    assert error_code(tlv(base_fields())) == "missing_tag"


@pytest.mark.parametrize(
    "overrides",
    [{"t01": "13"}, {"t52": "58A2"}, {"t52": "581"}, {"t59": "   "}],
)
def test_invalid_field(overrides: dict[str, str]) -> None:
    assert error_code(build(base_fields(**overrides))) == "invalid_field"


@pytest.mark.parametrize("amount", ["0", "000", "-5000", "15.000", "1e5", "15000.50", "Rp15000"])
def test_bad_amount_tag(amount: str) -> None:
    fields = base_fields(t01="12")
    fields.insert(6, ("54", amount))
    assert error_code(build(fields)) == "amount"


def test_validate_static_refuses_dynamic() -> None:
    with pytest.raises(QrisError) as info:
        validate_static(DYNAMIC)
    assert info.value.code == "dynamic"
    fields = base_fields()
    fields.insert(6, ("54", "10000"))  # static code with a fixed amount
    with pytest.raises(QrisError) as info:
        validate_static(build(fields))
    assert info.value.code == "dynamic"


def test_validate_static_passes_parse_errors_through() -> None:
    with pytest.raises(QrisError) as info:
        validate_static(STATIC[:-1] + "0")
    assert info.value.code == "crc"


def test_make_dynamic_passes_parse_errors_through() -> None:
    with pytest.raises(QrisError) as info:
        make_dynamic(STATIC.replace("Sugeng", "Sugang"), 15000)
    assert info.value.code == "crc"


def test_error_carries_code_and_detail() -> None:
    error = QrisError("crc", "tag 63 mismatch")
    assert (error.code, error.detail) == ("crc", "tag 63 mismatch")
    assert isinstance(error, ValueError)
    with pytest.raises(ValueError):
        QrisError("made_up")


# --- property tests -----------------------------------------------------------------------------

# Pieces of text that look like TLV fields, to trip up anything that searches the payload.
LOOKALIKES = ["6304", "5406", "010211", "010212", "5802ID", "5303360", "000201", "54", "63"]
PRINTABLE = string.ascii_letters + string.digits + " .,-&'/()#@"


def _text(max_size: int) -> st.SearchStrategy[str]:
    piece = st.one_of(
        st.sampled_from(LOOKALIKES), st.text(alphabet=PRINTABLE, min_size=1, max_size=6)
    )
    return (
        st.lists(piece, min_size=1, max_size=6)
        .map(lambda pieces: "".join(pieces)[:max_size])
        .filter(lambda text: text.strip() != "")
    )


_sub_value = _text(15)


@st.composite
def merchant_account(draw: st.DrawFn) -> str:
    guid = draw(
        st.one_of(
            st.sampled_from(["ID.CO.QRIS.WWW", "ID.DANA.WWW", "ID.CO.BRI.WWW", "COM.GO-JEK.WWW"]),
            _sub_value,
        )
    )
    sub_tags = draw(st.lists(st.sampled_from(["01", "02", "03"]), unique=True, max_size=3))
    fields = [("00", guid)] + [(tag, draw(_sub_value)) for tag in sorted(sub_tags)]
    return tlv(fields)


@st.composite
def static_fields(draw: st.DrawFn) -> list[tuple[str, str]]:
    account_tags = draw(
        st.lists(st.integers(26, 51), min_size=1, max_size=3, unique=True).map(sorted)
    )
    fields = [("00", "01"), ("01", "11")]
    fields += [(f"{tag}", draw(merchant_account())) for tag in account_tags]
    fields += [
        ("52", draw(st.text(alphabet=string.digits, min_size=4, max_size=4))),
        ("53", "360"),
    ]
    if draw(st.booleans()):
        fields.append(("55", "01"))  # tip prompt, must survive untouched
    fields += [("58", "ID"), ("59", draw(_text(25))), ("60", draw(_text(15)))]
    if draw(st.booleans()):
        fields.append(("61", draw(st.text(alphabet=string.digits, min_size=5, max_size=5))))
    if draw(st.booleans()):
        additional_tags = draw(
            st.lists(st.sampled_from(["01", "03", "05", "07", "08"]), unique=True, min_size=1)
        )
        fields.append(("62", tlv([(tag, draw(_sub_value)) for tag in sorted(additional_tags)])))
    return fields


def _expected_dynamic(fields: list[tuple[str, str]], amount: int) -> list[tuple[str, str]]:
    result = []
    for tag, value in fields:
        if tag == "54":
            continue
        if tag > "54" and not any(t == "54" for t, _ in result):
            result.append(("54", str(amount)))
        result.append((tag, "12" if tag == "01" else value))
    return result


AMOUNTS = st.integers(1, 9_999_999_999)


@PROPERTY
@given(static_fields(), AMOUNTS)
def test_make_dynamic_property(fields: list[tuple[str, str]], amount: int) -> None:
    static = build(fields)
    assert parse(static).to_string() == static
    assert validate_static(static).tags[:-1] == tuple(fields)

    dynamic = make_dynamic(static, amount)

    # Independent of the parser: exactly the expected fields, with a CRC computed here.
    assert dynamic == build(_expected_dynamic(fields, amount))
    assert f"{reference_crc(dynamic[:-4].encode()):04X}" == dynamic[-4:]
    assert dynamic[-8:-4] == "6304"

    payload = parse(dynamic)
    assert payload.is_dynamic
    assert payload.get("01") == "12"
    assert payload.amount == amount
    tags = [tag for tag, _ in payload.tags]
    assert tags == sorted(tags) and tags[-1] == "63"
    untouched = [field for field in payload.tags if field[0] not in ("01", "54", "63")]
    assert untouched == [field for field in fields if field[0] != "01"]


@PROPERTY
@given(static_fields(), AMOUNTS, AMOUNTS)
def test_make_dynamic_replaces_amount(
    fields: list[tuple[str, str]], first: int, second: int
) -> None:
    static = build(fields)
    assert make_dynamic(make_dynamic(static, first), second) == make_dynamic(static, second)


@PROPERTY
@given(static_fields(), st.integers(min_value=0, max_value=10**6))
def test_any_single_character_corruption_is_caught(
    fields: list[tuple[str, str]], position_seed: int
) -> None:
    static = build(fields)
    position = position_seed % len(static)
    replacement = "0" if static[position] != "0" else "1"
    corrupted = static[:position] + replacement + static[position + 1 :]
    with pytest.raises(QrisError):
        parse(corrupted)


BAD_AMOUNTS = st.one_of(
    st.integers(max_value=0),
    st.integers(min_value=MAX_AMOUNT + 1),
    st.floats(allow_nan=True),
    st.booleans(),
    st.text(max_size=8),
    st.integers(1, 10**6).map(str),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.none(),
)


@PROPERTY
@given(BAD_AMOUNTS)
def test_bad_amounts_are_refused(amount: object) -> None:
    with pytest.raises(QrisError) as info:
        make_dynamic(STATIC, amount)  # type: ignore[arg-type]
    assert info.value.code == "amount"


@pytest.mark.parametrize(
    "amount", [0, -1, 15000.0, 1.5, True, False, "15000", Decimal(15000), MAX_AMOUNT + 1]
)
def test_bad_amount_examples(amount: object) -> None:
    with pytest.raises(QrisError) as info:
        make_dynamic(STATIC, amount)  # type: ignore[arg-type]
    assert info.value.code == "amount"


def test_largest_amount_fits() -> None:
    assert parse(make_dynamic(STATIC, MAX_AMOUNT)).amount == MAX_AMOUNT
