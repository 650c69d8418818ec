import csv
from pathlib import Path

import pytest

from services.wilayah import (
    Kelurahan,
    WilayahError,
    kelurahan_by_code,
    list_kecamatan,
    list_kelurahan,
    match_kecamatan,
    match_kelurahan,
    normalize_name,
)

CSV = Path(__file__).parents[2] / "services" / "data" / "kota_malang_wilayah.csv"
with CSV.open(encoding="utf-8", newline="") as fh:
    ROWS = [
        Kelurahan(code=r["kode_kemendagri"], kecamatan=r["kecamatan"], name=r["kelurahan"])
        for r in csv.DictReader(fh)
    ]
KECAMATAN = ["Blimbing", "Kedungkandang", "Klojen", "Lowokwaru", "Sukun"]


def _variants(name: str) -> list[str]:
    words = name.replace("-", " ").split()
    return [
        name,
        name.lower(),
        name.upper(),
        "".join(words),
        " ".join(words),
        "-".join(words),
        f"Kel. {name}",
        f"kel {name.lower()}",
        f"Kelurahan {name}",
        f"Desa {name}",
        f"  {name}. ",
    ]


def test_data_shape():
    assert len(ROWS) == 57
    assert len(list_kelurahan()) == 57
    assert list_kecamatan() == KECAMATAN
    assert {len(list_kelurahan(k)) for k in KECAMATAN} == {11, 12}
    assert sum(len(list_kelurahan(k)) for k in KECAMATAN) == 57


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_every_kelurahan_matches_itself_and_its_variants(row):
    for text in _variants(row.name):
        assert match_kelurahan(text) == row, text
    assert match_kelurahan(row.name, row.kecamatan) == row
    assert match_kelurahan(row.name.lower(), f"kec. {row.kecamatan.lower()}") == row
    assert kelurahan_by_code(row.code) == row


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_every_kelurahan_refused_in_other_kecamatan(row):
    other = next(k for k in KECAMATAN if k != row.kecamatan)
    with pytest.raises(WilayahError) as exc:
        match_kelurahan(row.name, other)
    assert exc.value.code == "kelurahan_not_in_kecamatan"
    assert exc.value.params == {
        "kelurahan": row.name,
        "kecamatan": other,
        "actual_kecamatan": row.kecamatan,
    }


# With one letter missing, names of 5 letters (Kasin, Sukun) score below the ratio of 90.
LONG_ROWS = [r for r in ROWS if len(normalize_name(r.name)) >= 6]


@pytest.mark.parametrize("row", LONG_ROWS, ids=[r.name for r in LONG_ROWS])
def test_one_missing_letter_is_forgiven(row):
    key = normalize_name(row.name)
    typo = key[: len(key) // 2] + key[len(key) // 2 + 1 :]
    assert match_kelurahan(typo) == row


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Tasik Madu", "Tasik Madu"),
        ("Tasikmadu", "Tasik Madu"),
        ("Oro-oro Dowo", "Oro-oro Dowo"),
        ("Oro Oro Dowo", "Oro-oro Dowo"),
        ("orooro dowo", "Oro-oro Dowo"),
        ("Kota Lama", "Kotalama"),
        ("Rampal Celaket", "Rampalcelaket"),
        ("Gadingkasri", "Gading Kasri"),
        ("Kidul Dalem", "Kiduldalem"),
        ("Ketawang Gede", "Ketawanggede"),
        ("Bakalan Krajan", "Bakalankrajan"),
        ("Tasikmdu", "Tasik Madu"),
        ("Sawojajarr", "Sawojajar"),
    ],
)
def test_spelling_variants(text, expected):
    assert match_kelurahan(text).name == expected


def test_normalize_name():
    assert normalize_name("Kel. Oro-oro Dowo") == "oroorodowo"
    assert normalize_name("Tasik Madu") == normalize_name("Tasikmadu") == "tasikmadu"
    assert normalize_name("KECAMATAN  Lowokwaru") == "lowokwaru"
    assert normalize_name("kec.Klojen") == "klojen"
    assert normalize_name("Kelurahan") == ""
    # A name merely starting with the letters of a prefix keeps them.
    assert normalize_name("Kesatrian") == "kesatrian"
    assert normalize_name("Kedungkandang") == "kedungkandang"


def test_unknown_kelurahan_with_suggestions():
    with pytest.raises(WilayahError) as exc:
        match_kelurahan("Tasik")
    assert exc.value.code == "unknown_kelurahan"
    assert exc.value.params["suggestions"][0] == "Tasik Madu"
    assert len(exc.value.params["suggestions"]) <= 3


@pytest.mark.parametrize("text", ["", "Jakarta Selatan", "xyz", "Kelurahan"])
def test_unknown_kelurahan(text):
    with pytest.raises(WilayahError) as exc:
        match_kelurahan(text)
    assert exc.value.code == "unknown_kelurahan"
    assert len(exc.value.params["suggestions"]) <= 3


def test_suggestions_come_from_the_given_kecamatan():
    with pytest.raises(WilayahError) as exc:
        match_kelurahan("sumber", "Lowokwaru")
    assert exc.value.code == "unknown_kelurahan"
    suggestions = exc.value.params["suggestions"]
    assert suggestions and suggestions[0] == "Sumbersari"
    assert all(match_kelurahan(s).kecamatan == "Lowokwaru" for s in suggestions)


def test_unknown_kecamatan_given_to_match_kelurahan():
    with pytest.raises(WilayahError) as exc:
        match_kelurahan("Sumbersari", "Batu")
    assert exc.value.code == "unknown_kecamatan"


@pytest.mark.parametrize("name", KECAMATAN)
def test_kecamatan_variants(name):
    for text in (name, name.lower(), name.upper(), f"Kec. {name}", f"kecamatan {name}"):
        assert match_kecamatan(text) == name
    if len(name) >= 6:  # one missing letter keeps the ratio >= 90
        assert match_kecamatan(name[:-1]) == name


def test_kecamatan_spaced_and_typo():
    assert match_kecamatan("Kedung Kandang") == "Kedungkandang"
    assert match_kecamatan("lowokwru") == "Lowokwaru"
    assert match_kecamatan("Blimbng") == "Blimbing"


@pytest.mark.parametrize("text", ["", "Batu", "lowokwaro", "Malang"])
def test_unknown_kecamatan(text):
    with pytest.raises(WilayahError) as exc:
        match_kecamatan(text)
    assert exc.value.code == "unknown_kecamatan"
    assert len(exc.value.params["suggestions"]) <= 3


def test_unknown_kecamatan_suggests():
    with pytest.raises(WilayahError) as exc:
        match_kecamatan("lowokwaro")
    assert exc.value.params["suggestions"][0] == "Lowokwaru"


def test_list_kelurahan_of_a_kecamatan():
    names = [k.name for k in list_kelurahan("lowokwaru")]
    assert names == sorted(names, key=normalize_name)
    assert "Tasik Madu" in names and len(names) == 12
    with pytest.raises(WilayahError):
        list_kelurahan("Batu")


def test_kelurahan_by_unknown_code():
    with pytest.raises(WilayahError) as exc:
        kelurahan_by_code("35.73.09.9999")
    assert exc.value.params == {"code": "35.73.09.9999"}


def test_lists_are_copies():
    list_kelurahan().clear()
    list_kecamatan().clear()
    assert len(list_kelurahan()) == 57 and len(list_kecamatan()) == 5
