import datetime

import pytest

from services.nip import NipError, NipInfo, parse_nip

TODAY = datetime.date(2025, 6, 15)


def _code(text: str, today: datetime.date = TODAY) -> tuple[str, dict]:
    with pytest.raises(NipError) as exc:
        parse_nip(text, today=today)
    return exc.value.code, exc.value.params


def test_pns_parts():
    info = parse_nip("198503122010011001", today=TODAY)
    assert info == NipInfo(
        nip="198503122010011001",
        kind="PNS",
        birth_date=datetime.date(1985, 3, 12),
        appointment_year=2010,
        appointment_month=1,
        gender="M",
        sequence=1,
        contract_count=None,
    )


def test_pns_female_with_high_sequence():
    info = parse_nip("199011052015122999", today=TODAY)
    assert (info.kind, info.appointment_month, info.gender, info.sequence) == ("PNS", 12, "F", 999)


def test_pppk_parts():
    info = parse_nip("200012312024211001", today=TODAY)
    assert info.kind == "PPPK"
    assert info.birth_date == datetime.date(2000, 12, 31)
    assert (info.appointment_year, info.appointment_month) == (2024, None)
    assert (info.contract_count, info.gender, info.sequence) == (1, "M", 1)


@pytest.mark.parametrize("contract", list("123456789"))
def test_pppk_contract_digits_1_to_9(contract):
    # "21".."29" in digits 13-14 are never a month: the number is PPPK, not a bad PNS month.
    info = parse_nip(f"2000123120242{contract}2007", today=TODAY)
    assert (info.kind, info.contract_count, info.gender) == ("PPPK", int(contract), "F")


@pytest.mark.parametrize(
    "text",
    [
        "19850312 201001 1 001",
        "19850312.201001.1.001",
        "19850312-201001-1-001",
        " 198503122010011001 ",
        "NIP. 19850312 201001 1 001",
        "nip: 198503122010011001",
        "19850312\u00a0201001\t1 001",
    ],
)
def test_separators_and_label_are_removed(text):
    assert parse_nip(text, today=TODAY).nip == "198503122010011001"


def test_pppk_with_label():
    assert parse_nip("NI PPPK 20001231 2024 2 1 1 001", today=TODAY).kind == "PPPK"


@pytest.mark.parametrize("text", ["", "   ", " . - "])
def test_empty(text):
    assert _code(text)[0] == "empty"


@pytest.mark.parametrize(
    "text", ["abc", "19850312x2010011001", "１９８５", "19850312/201001/1/001"]
)
def test_not_digits(text):
    assert _code(text)[0] == "not_digits"


@pytest.mark.parametrize("text,length", [("1985031220100110", 16), ("1985031220100110011", 19)])
def test_length(text, length):
    assert _code(text) == ("length", {"length": length})


def test_leap_day_valid_in_1988():
    assert parse_nip("198802292010011001", today=TODAY).birth_date == datetime.date(1988, 2, 29)


@pytest.mark.parametrize("birth", ["19870229", "19850230", "19851301", "19850001", "19850100"])
def test_birth_date_not_a_calendar_date(birth):
    assert _code(f"{birth}2010011001") == ("birth_date", {"value": birth})


def test_birth_date_in_future():
    code, params = _code("202601012045011001")
    assert code == "birth_date_range"
    assert params["birth_date"] == datetime.date(2026, 1, 1)
    assert params["age"] < 0


def test_age_boundaries():
    # 17 today: fine; 17 tomorrow: too young.
    assert parse_nip("200806152025061001", today=TODAY).birth_date.year == 2008
    code, params = _code("200806162025061001")
    assert (code, params["age"], params["min_age"]) == ("birth_date_range", 16, 17)
    # 70 today: fine; 71: too old.
    assert parse_nip("195506151980011001", today=TODAY).kind == "PNS"
    code, params = _code("195406151980011001")
    assert (code, params["age"], params["max_age"]) == ("birth_date_range", 71, 70)


@pytest.mark.parametrize("month", ["00", "13", "19", "30", "99"])
def test_pns_appointment_month(month):
    assert _code(f"19850312 2010{month} 1 001") == ("appointment_month", {"month": int(month)})


def test_pns_appointment_in_future():
    assert parse_nip("198503122025061001", today=TODAY).appointment_month == 6
    assert _code("198503122025071001") == (
        "appointment",
        {"year": 2025, "month": 7, "reason": "future"},
    )


def test_pns_appointment_too_early():
    # Born March 1985: appointed no earlier than March 2002.
    assert parse_nip("198503122002031001", today=TODAY).appointment_year == 2002
    assert _code("198503122002021001") == (
        "appointment",
        {"year": 2002, "month": 2, "reason": "too_early"},
    )
    assert _code("198503121980011001")[1]["reason"] == "too_early"


def test_pppk_appointment_bounds():
    assert parse_nip("200012312017211001", today=TODAY).appointment_year == 2017
    assert _code("200012312016211001") == (
        "appointment",
        {"year": 2016, "month": None, "reason": "too_early"},
    )
    assert parse_nip("200012312025211001", today=TODAY).appointment_year == 2025
    assert _code("200012312026211001") == (
        "appointment",
        {"year": 2026, "month": None, "reason": "future"},
    )


def test_pppk_contract_zero():
    assert _code("200012312024201001") == ("pppk_contract", {"value": "0"})


@pytest.mark.parametrize("digit", ["0", "3", "9"])
def test_gender(digit):
    assert _code(f"19850312201001{digit}001") == ("gender", {"value": digit})
    assert _code(f"20001231202421{digit}001") == ("gender", {"value": digit})


def test_sequence():
    assert _code("198503122010011000") == ("sequence", {"value": "000"})
    assert _code("200012312024211000") == ("sequence", {"value": "000"})


def test_error_is_a_value_error_with_readable_str():
    with pytest.raises(ValueError, match="length"):
        parse_nip("123", today=TODAY)
