import csv
from pathlib import Path

import pytest

from services.golongan import QUOTA_CLASSES, Golongan, GolonganError, parse_golongan

CSV = Path(__file__).parents[2] / "services" / "data" / "golongan.csv"
with CSV.open(encoding="utf-8", newline="") as fh:
    ROWS = list(csv.DictReader(fh))

ROMAN = (
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X",
    "XI", "XII", "XIII", "XIV", "XV", "XVI", "XVII",
)  # fmt: skip


def test_quota_classes():
    assert QUOTA_CLASSES == ("I", "II", "III", "IV", "PPPK")


@pytest.mark.parametrize("row", ROWS, ids=[r["kelas"] for r in ROWS])
def test_every_pns_golongan_and_its_variants(row):
    roman, ruang = row["kelas"].split("/")
    arabic = str(ROMAN.index(roman) + 1)
    expected = Golongan(
        kind="PNS", golongan=row["kelas"], quota_class=row["golongan"], pangkat=row["pangkat"]
    )
    for text in (
        row["kelas"],
        row["kelas"].lower(),
        row["kelas"].upper(),
        f"{roman} {ruang}",
        f"{roman}{ruang}",
        f"{roman}-{ruang}",
        f"{roman}.{ruang}",
        f"{arabic}{ruang}",
        f"{arabic}/{ruang}",
        f"{arabic} {ruang.upper()}",
        f"Gol. {row['kelas']}",
        f"golongan {row['kelas']}",
        row["pangkat"],
        row["pangkat"].upper(),
    ):
        assert parse_golongan(text) == expected, text
    assert parse_golongan(row["kelas"], kind="PNS") == expected
    assert expected.quota_class in QUOTA_CLASSES


def test_pangkat_with_abbreviated_tingkat():
    assert parse_golongan("Penata Muda Tk. I").golongan == "III/b"
    assert parse_golongan("penata muda tk.I").golongan == "III/b"
    assert parse_golongan("Pembina Tk I").golongan == "IV/b"


@pytest.mark.parametrize("level", range(1, 5))
def test_pns_without_ruang(level):
    roman = ROMAN[level - 1]
    expected = Golongan(kind="PNS", golongan=roman, quota_class=roman, pangkat=None)
    for text in (roman, roman.lower(), str(level), f"golongan {roman}", f"gol {level}"):
        assert parse_golongan(text) == expected, text


@pytest.mark.parametrize("level", range(1, 18))
def test_pppk_golongan_roman_and_arabic(level):
    roman = ROMAN[level - 1]
    expected = Golongan(kind="PPPK", golongan=f"PPPK {roman}", quota_class="PPPK")
    for text in (
        f"PPPK {roman}",
        f"pppk {roman.lower()}",
        f"PPPK {level}",
        f"pppk{roman.lower()}",
        f"P3K-{level}",
        f"PPPK/{roman}",
        f"Golongan PPPK {roman}",
    ):
        assert parse_golongan(text) == expected, text
    assert parse_golongan(roman, kind="PPPK") == expected
    assert parse_golongan(str(level), kind="PPPK") == expected


@pytest.mark.parametrize("level", range(5, 18))
def test_bare_golongan_above_iv_is_pppk(level):
    assert parse_golongan(ROMAN[level - 1]).golongan == f"PPPK {ROMAN[level - 1]}"
    assert parse_golongan(str(level)).kind == "PPPK"


def test_pppk_without_golongan():
    expected = Golongan(kind="PPPK", golongan="PPPK", quota_class="PPPK")
    assert parse_golongan("PPPK") == expected
    assert parse_golongan("pppk") == expected
    assert parse_golongan("P3K") == expected
    assert parse_golongan("PPPK", kind="PPPK") == expected


def test_unicode_roman_numeral():
    assert parse_golongan("Ⅲ/a").golongan == "III/a"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "I/e",
        "II/e",
        "III/e",
        "V/a",
        "III/f",
        "IIII",
        "0",
        "03",
        "18",
        "XVIII",
        "PPPK XVIII",
        "PPPK 0",
        "PPPK III/a",
        "PPPK a",
        "golongan",
        "Penata Besar",
    ],
)
def test_unknown(text):
    with pytest.raises(GolonganError) as exc:
        parse_golongan(text)
    assert exc.value.code == "unknown"
    assert exc.value.params == {"text": text.strip()}


@pytest.mark.parametrize(
    "text,kind",
    [("III/a", "PPPK"), ("Penata", "PPPK"), ("IX", "PNS"), ("PPPK", "PNS"), ("PPPK III", "PNS")],
)
def test_kind_mismatch(text, kind):
    with pytest.raises(GolonganError) as exc:
        parse_golongan(text, kind=kind)
    assert exc.value.code == "kind_mismatch"
    assert exc.value.params == {"text": text, "kind": kind}
