from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from models import Merchant, PriceChange, Product, RosterEntry
from services import importer
from services.demo import build_static_qris
from services.importer import (
    ISSUE_CODES,
    ImportFailed,
    ImportIssue,
    ImportResult,
    import_merchants,
    import_products,
    import_roster,
)
from services.money import MoneyError
from services.nip import NipError
from services.qris import ERROR_CODES as QRIS_CODES
from views import import_messages
from views.import_messages import describe_issue, describe_money_error, describe_nip_error

TODAY = date(2026, 11, 27)

PNS_A = "198503122010011001"
PNS_B = "199001152015032002"
PNS_C = "197003261996032001"
PPPK_A = "200012312024211001"
PPPK_B = "199504112023212001"

ROSTER_HEADER = "nip,nama,opd,golongan,telepon,kecamatan,jabatan\n"


def roster_csv(*rows: str, header: str = ROSTER_HEADER) -> str:
    return header + "".join(row + "\n" for row in rows)


async def failed(coro) -> list[ImportIssue]:
    with pytest.raises(ImportFailed) as info:
        await coro
    return info.value.issues


def codes(issues: list[ImportIssue]) -> list[tuple[int, str | None, str]]:
    return [(i.line, i.column, i.code) for i in issues]


async def all_roster(session) -> dict[str, RosterEntry]:
    return {e.nip: e for e in (await session.exec(select(RosterEntry))).all()}


# --- Roster --------------------------------------------------------------------------------------


async def test_roster_import_and_reimport_updates_by_nip(session):
    data = roster_csv(
        f"{PNS_A},Budi Santoso,Diskominfo,III/a,0812-3456-7890,kec. lowokwaru,Pranata Komputer",
        f"{PNS_B},Sri Wahyuni,Dinas Kesehatan,IV/b,,,",
        f"{PPPK_A},Putri Ayu,Bappeda,PPPK IX,,Klojen,",
    )
    result = await import_roster(session, data, today=TODAY)
    assert result == ImportResult(created=3, updated=0, deactivated=0, unchanged=0)

    entries = await all_roster(session)
    budi = entries[PNS_A]
    assert (budi.name, budi.opd, budi.golongan, budi.quota_class, budi.employee_kind) == (
        "Budi Santoso",
        "Diskominfo",
        "III/a",
        "III",
        "PNS",
    )
    assert budi.phone == "+6281234567890"
    assert budi.kecamatan == "Lowokwaru"
    assert budi.position == "Pranata Komputer"
    assert entries[PNS_B].phone is None and entries[PNS_B].quota_class == "IV"
    pppk = entries[PPPK_A]
    assert (pppk.golongan, pppk.quota_class, pppk.employee_kind) == ("PPPK IX", "PPPK", "PPPK")

    again = roster_csv(
        f"{PNS_A},Budi Santoso,Diskopindag,III/b,,,",
        f"{PNS_B},Sri Wahyuni,Dinas Kesehatan,IV/b,,,",
        f"{PPPK_A},Putri Ayu,Bappeda,PPPK IX,,Klojen,",
    )
    result = await import_roster(session, again, today=TODAY)
    assert result == ImportResult(created=0, updated=1, deactivated=0, unchanged=2)
    session.expire_all()
    budi = (await all_roster(session))[PNS_A]
    assert (budi.opd, budi.golongan) == ("Diskopindag", "III/b")
    # Empty optional cells keep what is stored.
    assert budi.phone == "+6281234567890" and budi.position == "Pranata Komputer"


async def test_roster_pppk_rows(session):
    data = roster_csv(
        f"{PPPK_A},Putri Ayu,Bappeda,PPPK IX,,,",
        f"{PPPK_B},Eko Budi,Satpol PP,III,,,",  # a bare III with a PPPK NIP is PPPK III
    )
    await import_roster(session, data, today=TODAY)
    entries = await all_roster(session)
    assert entries[PPPK_B].golongan == "PPPK III"
    assert entries[PPPK_B].quota_class == "PPPK"
    assert {e.employee_kind for e in entries.values()} == {"PPPK"}


async def test_roster_golongan_must_match_nip_kind(session):
    data = roster_csv(
        f"{PPPK_A},Putri Ayu,Bappeda,III/a,,,",
        f"{PNS_A},Budi,Diskominfo,PPPK IX,,,",
    )
    issues = await failed(import_roster(session, data, today=TODAY))
    assert codes(issues) == [
        (2, "golongan", "golongan.kind_mismatch"),
        (3, "golongan", "golongan.kind_mismatch"),
    ]
    assert issues[0].params == {"text": "III/a", "kind": "PPPK"}
    assert await all_roster(session) == {}


async def test_roster_deactivate_missing(session):
    await import_roster(
        session,
        roster_csv(f"{PNS_A},A,X,III/a,,,", f"{PNS_B},B,X,III/a,,,", f"{PNS_C},C,X,IV/b,,,"),
        today=TODAY,
    )
    result = await import_roster(
        session,
        roster_csv(f"{PNS_A},A,X,III/a,,,", f"{PNS_B},B,X,III/a,,,"),
        deactivate_missing=True,
        today=TODAY,
    )
    assert result == ImportResult(created=0, updated=0, deactivated=1, unchanged=2)
    session.expire_all()
    entries = await all_roster(session)
    assert len(entries) == 3  # never deleted
    assert not entries[PNS_C].active and entries[PNS_A].active

    # Without the flag, missing entries are left alone; listing one again reactivates it.
    result = await import_roster(session, roster_csv(f"{PNS_C},C,X,IV/b,,,"), today=TODAY)
    assert result == ImportResult(created=0, updated=1, deactivated=0, unchanged=0)
    session.expire_all()
    entries = await all_roster(session)
    assert all(e.active for e in entries.values())


async def test_an_entry_the_caller_holds_stays_in_its_session(session):
    """The import lets go of the entries it loads itself (memory), not of the caller's."""
    await import_roster(session, roster_csv(f"{PNS_A},A,X,III/a,,,"), today=TODAY)
    held = (await session.exec(select(RosterEntry).where(RosterEntry.nip == PNS_A))).one()
    await import_roster(session, roster_csv(f"{PNS_A},Budi,X,III/a,,,"), today=TODAY)
    assert held.name == "Budi"  # the import updated the caller's object itself
    held.position = "Analis"  # and the caller's later change is still written
    await session.commit()
    session.expire_all()
    assert (await all_roster(session))[PNS_A].position == "Analis"


async def test_semicolon_delimiter_bom_and_header_variants(session):
    text = (
        "\ufeff NIP ;Nama;OPD;Golongan;Telepon\r\n"
        f"{PNS_A};Budi;Diskominfo;3a;+62 812 3456 7890\r\n"
    )
    result = await import_roster(session, text.encode("utf-8"), today=TODAY)
    assert result.created == 1
    entry = (await all_roster(session))[PNS_A]
    assert (entry.golongan, entry.phone) == ("III/a", "+6281234567890")

    # str input with a BOM, and Excel's "sep=" line (the header is then line 2).
    text = f"\ufeffsep=;\nnip;nama;opd;golongan\n{PNS_B};Sri;Bappeda;IV/a\n{PNS_C};;Bappeda;IV/a\n"
    issues = await failed(import_roster(session, text, today=TODAY))
    assert codes(issues) == [(4, "nama", "required")]


async def test_nip_issues_are_passed_through(session):
    data = roster_csv(
        "19850312201001100,Short,X,III/a,,,",
        "198513122010011001,Bad month,X,III/a,,,",
        "1.98503E+17,Excel,X,III/a,,,",
        f"'{PNS_A},Apostrophe,X,III/a,,,",
    )
    issues = await failed(import_roster(session, data, today=TODAY))
    assert codes(issues) == [
        (2, "nip", "nip.length"),
        (3, "nip", "nip.birth_date"),
        (4, "nip", "scientific_notation"),
    ]
    assert issues[0].params == {"length": 17}


async def test_roster_row_issues(session):
    long_name = "N" * 201
    data = roster_csv(
        f"{PNS_A},Budi,Diskominfo,III/a,,,",
        f"{PNS_A},Budi again,Diskominfo,III/a,,,",
        f"{PNS_B},{long_name},,Z,12ab,Batu,",
        f"{PNS_C},C,X,IV/b,,,,extra",
    )
    issues = await failed(import_roster(session, data, today=TODAY))
    assert codes(issues) == [
        (3, "nip", "duplicate"),
        (4, "nama", "too_long"),
        (4, "opd", "required"),
        (4, "golongan", "golongan.unknown"),
        (4, "telepon", "phone.invalid"),
        (4, "kecamatan", "wilayah.unknown_kecamatan"),
        (5, None, "column_count"),
    ]
    assert issues[0].params == {"value": PNS_A, "first_line": 2}
    assert issues[1].params == {"max": 200, "length": 201}
    assert issues[-1].params == {"expected": 7, "found": 8}


# --- File-level refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", (1, None, "empty_file")),
        (b"\n \n", (1, None, "empty_file")),
        (b"nip,nama,opd,golongan\n", (1, None, "no_rows")),
        ("nip,nama,opd,golongan\nx,y,z,\xe9\n".encode("latin-1"), (2, None, "encoding")),
        ("nip,nama,opd,golongan\n".encode("utf-16"), (1, None, "encoding")),
        (b"PK\x03\x04\x14\x00\x06\x00", (1, None, "not_csv")),
        (
            f'nip,nama,opd,golongan\n{PNS_A},"{"x" * 200_000}",a,b\n'.encode(),
            (2, None, "malformed"),
        ),
    ],
)
async def test_file_level_refusals(session, data, expected):
    issues = await failed(import_roster(session, data, today=TODAY))
    assert codes(issues) == [expected]


async def test_missing_and_duplicate_columns(session):
    issues = await failed(import_roster(session, "NIP,Nama\n1,2\n", today=TODAY))
    assert codes(issues) == [(1, None, "missing_columns")]
    assert issues[0].params == {"columns": ["opd", "golongan"]}

    issues = await failed(import_roster(session, "nip,nama,opd,golongan,nama\n1,2,3,4,5\n"))
    assert codes(issues) == [(1, None, "duplicate_column")]
    assert issues[0].params == {"column": "nama"}


async def test_too_many_rows(session, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 2)
    data = roster_csv(*(f"{nip},N,X,III/a,,," for nip in (PNS_A, PNS_B, PNS_C)))
    issues = await failed(import_roster(session, data, today=TODAY))
    assert codes(issues) == [(1, None, "too_many_rows")]
    assert issues[0].params == {"maximum": 2, "rows": 3}


# --- Merchants -----------------------------------------------------------------------------------

MERCHANT_HEADER = "kode,nama,nib,kecamatan,kelurahan,alamat,telepon\n"


def merchants_csv(*rows: str, header: str = MERCHANT_HEADER) -> str:
    return header + "".join(row + "\n" for row in rows)


async def all_merchants(session) -> dict[str, Merchant]:
    return {m.code: m for m in (await session.exec(select(Merchant))).all()}


async def test_merchants_import_with_spelling_variants(session):
    data = merchants_csv(
        "JAHIT-1,Jahit Bu Nanik,9120922108853,kec. lowokwaru,Tasikmadu,Jl. Tasikmadu 9,"
        "0812-4955-6071",
        "JAHIT-2,Jahit Pak Min,9120922108854,Lowokwaru,Tasik Madu,,+62 813 3456 2210",
        "KLJ-1,Toko Klojen,9120922108855,Klojen,oro oro dowo,Jl. Ijen,081133670229",
    )
    result = await import_merchants(session, data)
    assert result == ImportResult(created=3, updated=0)
    shops = await all_merchants(session)
    assert {(m.kecamatan, m.kelurahan) for m in shops.values()} == {
        ("Lowokwaru", "Tasik Madu"),
        ("Klojen", "Oro-oro Dowo"),
    }
    assert shops["JAHIT-1"].phone == "+6281249556071"
    assert shops["JAHIT-2"].address == ""

    # Re-import by code, case-insensitively: the stored code keeps its spelling.
    result = await import_merchants(
        session,
        merchants_csv(
            "jahit-1,Jahit Rapi Bu Nanik,9120922108853,Lowokwaru,TASIK-MADU,Jl. Tasikmadu 9,"
            "0812-4955-6071"
        ),
    )
    assert result == ImportResult(created=0, updated=1)
    session.expire_all()
    shops = await all_merchants(session)
    assert set(shops) == {"JAHIT-1", "JAHIT-2", "KLJ-1"}
    assert shops["JAHIT-1"].name == "Jahit Rapi Bu Nanik"


async def test_merchant_qris_is_validated_and_stored(session):
    payload = build_static_qris(
        name="TOKO A", nmid="ID1023248571634", mcc="5411", postal_code="65126", terminal="A01"
    )
    broken = payload[:-4] + ("0000" if not payload.endswith("0000") else "1111")
    header = MERCHANT_HEADER.rstrip("\n") + ",qris\n"
    good_row = f"A-1,Toko A,9120922108853,Blimbing,Purwantoro,,0812-4955-6071,{payload}"
    bad_row = f"A-2,Toko B,9120922108854,Blimbing,Purwantoro,,0812-4955-6072,{broken}"
    issues = await failed(
        import_merchants(session, merchants_csv(good_row, bad_row, header=header))
    )
    assert codes(issues) == [(3, "qris", "qris.crc")]
    assert await all_merchants(session) == {}

    await import_merchants(session, merchants_csv(good_row, header=header))
    assert (await all_merchants(session))["A-1"].qris == payload


async def test_merchant_row_issues(session):
    data = merchants_csv(
        "A-1,Toko,9120922108853,Blimbing,Purwantoro,,0812-4955-6071",
        "a-1,Toko lagi,9120922108853,Blimbing,Purwantoro,,0812-4955-6071",
        "B 2,Toko,91209221088,Klojen,Purwantoro,,0812-4955-6071",
        f"{'C' * 33},Toko,9.12092E+12,Batu,Tasikmadu,,0812",
        ",,,,Atlantis,,",
    )
    issues = await failed(import_merchants(session, data))
    assert codes(issues) == [
        (3, "kode", "duplicate"),
        (4, "kode", "kode_invalid"),
        (4, "nib", "nib_invalid"),
        (4, "kelurahan", "wilayah.kelurahan_not_in_kecamatan"),
        (5, "kode", "too_long"),
        (5, "nib", "scientific_notation"),
        (5, "kecamatan", "wilayah.unknown_kecamatan"),
        (5, "telepon", "phone.invalid"),
        (6, "kode", "required"),
        (6, "nama", "required"),
        (6, "nib", "required"),
        (6, "kecamatan", "required"),
        (6, "kelurahan", "wilayah.unknown_kelurahan"),
        (6, "telepon", "required"),
    ]
    assert issues[0].params == {"value": "a-1", "first_line": 2}
    assert issues[2].params == {"length": 11}
    assert issues[3].params == {
        "kelurahan": "Purwantoro",
        "kecamatan": "Klojen",
        "actual_kecamatan": "Blimbing",
    }


# --- Products ------------------------------------------------------------------------------------

PRODUCT_HEADER = "merchant_kode,nama,kategori,harga,stok,satuan,deskripsi\n"


def products_csv(*rows: str, header: str = PRODUCT_HEADER) -> str:
    return header + "".join(row + "\n" for row in rows)


async def two_merchants(session) -> None:
    await import_merchants(
        session,
        merchants_csv(
            "SANAN,Keripik Sanan,9120922108853,Blimbing,Purwantoro,,0812-4955-6071",
            "KOPI,Kopi Dampit,9120922108854,Lowokwaru,Tlogomas,,0812-4955-6072",
        ),
    )


async def all_products(session) -> dict[str, Product]:
    return {p.name: p for p in (await session.exec(select(Product))).all()}


async def test_products_import_and_reimport(session):
    await two_merchants(session)
    header = PRODUCT_HEADER.rstrip("\n") + ",nama_en,deskripsi_en,foto\n"
    data = products_csv(
        'SANAN,Keripik Tempe,kuliner,Rp 18.000,50,bungkus,"Renyah\r\nTanpa pengawet",'
        "Tempeh Chips,Crispy,foto/keripik.jpg",
        "sanan,Brownies <b>Tempe</b>,Makanan-Minuman,35rb,0,kotak,,,,",
        "KOPI,Kopi Dampit\x07 200 g,Food & Drinks,35000,10,bungkus,Robusta,,,"
        "https://example.com/kopi.png",
        "KOPI,Jasa Sangrai,jasa,25.000,5,kg,,,,",
        header=header,
    )
    result = await import_products(session, data)
    assert result == ImportResult(created=4, updated=0)
    products = await all_products(session)
    chips = products["Keripik Tempe"]
    assert (chips.price, chips.stock, chips.unit) == (18000, 50, "bungkus")
    assert chips.description == "Renyah\nTanpa pengawet"
    assert (chips.name_en, chips.description_en, chips.photo) == (
        "Tempeh Chips",
        "Crispy",
        "foto/keripik.jpg",
    )
    assert products["Brownies <b>Tempe</b>"].price == 35000  # HTML stored as typed
    assert products["Kopi Dampit 200 g"].photo == "https://example.com/kopi.png"
    assert chips.is_active

    chips.photo_file_id = "cached"
    chips.is_active = False
    await session.commit()
    again = products_csv(
        "SANAN,keripik tempe,kuliner,20000,40,bungkus,Renyah,,,foto/keripik-baru.jpg",
        "KOPI,Jasa Sangrai,jasa,25.000,5,kg,,,,",
        header=header,
    )
    result = await import_products(session, again)
    assert result == ImportResult(created=0, updated=1, unchanged=1)
    session.expire_all()
    products = await all_products(session)
    chips = products["keripik tempe"]
    assert (chips.price, chips.stock, chips.is_active) == (20000, 40, True)
    assert chips.name_en == "Tempeh Chips"  # empty optional cell keeps the stored value
    assert (chips.photo, chips.photo_file_id) == ("foto/keripik-baru.jpg", None)
    assert len(products) == 4


async def test_a_products_file_over_several_batches(session):
    """Written 500 rows at a time: an existing product met in a later batch is updated (its
    price change recorded), and a bad last row leaves nothing of the earlier batches."""
    await two_merchants(session)
    first = products_csv("SANAN,Keripik Tempe,kuliner,18000,5,bungkus,")
    assert (await import_products(session, first)).created == 1
    rows = [f"SANAN,Keripik {i},kuliner,10000,5,bungkus," for i in range(1_199)]
    rows.insert(1_100, "SANAN,keripik tempe,kuliner,20000,5,bungkus,")
    result = await import_products(session, products_csv(*rows))
    assert result == ImportResult(created=1_199, updated=1)
    count = select(func.count()).select_from(Product)
    assert (await session.exec(count)).one() == 1_200
    changes = (await session.exec(select(PriceChange))).all()
    assert [(c.old_price, c.new_price) for c in changes] == [(18000, 20000)]

    more = [f"KOPI,Kopi {i},kuliner,10000,5,bungkus," for i in range(1_200)]
    issues = await failed(import_products(session, products_csv(*more, "KOPI,Kopi X,,1,1,kg,")))
    assert codes(issues) == [(1_202, "kategori", "required")]
    assert (await session.exec(count)).one() == 1_200


async def test_merchant_imports_own_file(session):
    await two_merchants(session)
    sanan = (await all_merchants(session))["SANAN"]
    no_code = "nama,kategori,harga,stok,satuan,deskripsi\nKeripik,kuliner,18000,5,bungkus,\n"
    assert (await import_products(session, no_code, merchant_id=sanan.id)).created == 1

    data = products_csv(
        "sanan,Sambal,kuliner,25000,5,botol,",
        ",Bumbu Pecel,kuliner,25000,5,bungkus,",
        "KOPI,Kopi,kuliner,25000,5,bungkus,",
    )
    issues = await failed(import_products(session, data, merchant_id=sanan.id))
    assert codes(issues) == [(4, "merchant_kode", "merchant_mismatch")]
    assert issues[0].params == {"kode": "KOPI", "expected": "SANAN"}


async def test_product_row_issues(session, monkeypatch):
    await two_merchants(session)
    header = PRODUCT_HEADER.rstrip("\n") + ",foto\n"
    data = products_csv(
        "NOPE,Keripik,kuliner,18000,5,bungkus,,",
        "SANAN,Keripik,elektronik,dua puluh,-1,bungkus,,/etc/passwd",
        "SANAN,Keripik 2,kuliner,0,1.5,,,../x.jpg",
        "SANAN,Keripik 3,kuliner,1000000000,2000000,bungkus,,ftp://x/y.jpg",
        "SANAN,Keripik 4,kuliner,-5000,1,bungkus,,",
        f"SANAN,{'K' * 121},kuliner,1000,1,{'u' * 31},{'d' * 3001},",
        "SANAN,keripik,kuliner,1000,1,bungkus,,",
        "SANAN,,,,,,,",  # blank data cells, but not a blank row: "SANAN" is there
        header=header,
    )
    issues = await failed(import_products(session, data))
    assert codes(issues) == [
        (2, "merchant_kode", "unknown_merchant"),
        (3, "kategori", "unknown_category"),
        (3, "harga", "money.not_a_number"),
        (3, "stok", "stock_invalid"),
        (3, "foto", "photo_invalid"),
        (4, "harga", "price_not_positive"),
        (4, "stok", "stock_invalid"),
        (4, "satuan", "required"),
        (4, "foto", "photo_invalid"),
        (5, "harga", "money.too_large"),
        (5, "stok", "stock_too_large"),
        (5, "foto", "photo_invalid"),
        (6, "harga", "money.negative"),
        (7, "nama", "too_long"),
        (7, "satuan", "too_long"),
        (7, "deskripsi", "too_long"),
        (8, "nama", "duplicate"),
        (9, "nama", "required"),
        (9, "kategori", "required"),
        (9, "harga", "required"),
        (9, "stok", "required"),
        (9, "satuan", "required"),
    ]
    assert issues[0].params == {"kode": "NOPE"}
    assert issues[9].params == {"maximum": importer.MAX_PRICE}
    assert issues[16].params == {"value": "keripik", "first_line": 3}


async def test_all_or_nothing(session):
    await two_merchants(session)
    data = products_csv(
        "SANAN,Keripik,kuliner,18000,5,bungkus,",
        "SANAN,Sambal,kuliner,25000,5,botol,",
        "KOPI,Kopi,kuliner,abc,5,bungkus,",
        "KOPI,Kopi Bubuk,kuliner,35000,5,bungkus,",
    )
    issues = await failed(import_products(session, data))
    assert codes(issues) == [(4, "harga", "money.not_a_number")]
    assert await all_products(session) == {}


async def test_line_numbers_count_spreadsheet_rows(session):
    await two_merchants(session)
    data = products_csv(
        'SANAN,Keripik,kuliner,18000,5,bungkus,"Baris satu\nbaris dua\nbaris tiga"',
        "",
        "SANAN,Sambal,kuliner,25000,x,botol,",
    )
    issues = await failed(import_products(session, data))
    # Header 1, the multi-line cell is row 2, the blank row 3.
    assert codes(issues) == [(4, "stok", "stock_invalid")]


async def test_database_error_writes_nothing(session, monkeypatch):
    await two_merchants(session)
    shops = await all_merchants(session)

    async def broken_flush(*args, **kwargs):
        raise RuntimeError("disk full")

    data = products_csv("SANAN,Keripik,kuliner,18000,5,bungkus,", "KOPI,Kopi,kuliner,1,5,x,")
    monkeypatch.setattr(session, "flush", broken_flush)
    with pytest.raises(RuntimeError):
        await import_products(session, data)
    monkeypatch.undo()
    assert await all_products(session) == {}
    assert shops["SANAN"].name == "Keripik Sanan"  # objects held by the caller still usable


# --- Messages ------------------------------------------------------------------------------------

SAMPLE_PARAMS: dict[str, dict] = {
    "encoding": {},
    "not_csv": {},
    "empty_file": {},
    "malformed": {},
    "missing_columns": {"columns": ["opd", "golongan"]},
    "duplicate_column": {"column": "nama"},
    "no_rows": {},
    "too_many_rows": {"maximum": 50000, "rows": 50001},
    "column_count": {"expected": 7, "found": 8},
    "required": {},
    "too_long": {"max": 120, "length": 130},
    "duplicate": {"value": "A-1", "first_line": 2},
    "scientific_notation": {"value": "1.98503E+17"},
    "nib_invalid": {"length": 11},
    "kode_invalid": {},
    "location_invalid": {"value": "112.64,-7.95"},
    "unknown_merchant": {"kode": "NOPE"},
    "merchant_mismatch": {"kode": "KOPI", "expected": "SANAN"},
    "unknown_category": {"value": "elektronik"},
    "price_not_positive": {},
    "stock_invalid": {"value": "-1"},
    "stock_too_large": {"maximum": 1000000},
    "photo_invalid": {"value": "/etc/passwd"},
    "export_invalid": {"column": "kode_hs", "value": "12"},
    "certificate_invalid": {"column": "halal", "value": "halal"},
    "nip.empty": {},
    "nip.not_digits": {},
    "nip.length": {"length": 17},
    "nip.birth_date": {"value": "19851312"},
    "nip.birth_date_range": {
        "birth_date": date(2015, 1, 1),
        "age": 11,
        "min_age": 17,
        "max_age": 70,
    },
    "nip.appointment_month": {"month": 13},
    "nip.appointment": {"year": 2030, "month": 1, "reason": "future"},
    "nip.pppk_contract": {"value": "0"},
    "nip.gender": {"value": "3"},
    "nip.sequence": {"value": "000"},
    "golongan.unknown": {"text": "Z"},
    "golongan.kind_mismatch": {"text": "III/a", "kind": "PPPK"},
    "phone.invalid": {},
    "wilayah.unknown_kecamatan": {"suggestions": ["Klojen"]},
    "wilayah.unknown_kelurahan": {"suggestions": []},
    "wilayah.kelurahan_not_in_kecamatan": {
        "kelurahan": "Purwantoro",
        "kecamatan": "Klojen",
        "actual_kecamatan": "Blimbing",
    },
    "money.empty": {},
    "money.not_a_number": {},
    "money.negative": {},
    "money.fraction": {"value": "1234.5"},
    "money.too_large": {"maximum": 100_000_000},
    **{f"qris.{code}": {} for code in QRIS_CODES},
}


def test_sample_params_cover_every_issue_code():
    own = {code for code in SAMPLE_PARAMS if "." not in code}
    assert own == ISSUE_CODES
    prefixes = {code.split(".")[0] for code in SAMPLE_PARAMS if "." in code}
    assert prefixes == set(importer.PASSTHROUGH_PREFIXES)


FALLBACKS = {
    'Column "{column}" has an invalid value.',
    "This NIP is not valid.",
    "Unknown place in Kota Malang.",
}


@pytest.mark.parametrize("code", sorted(SAMPLE_PARAMS))
def test_describe_issue_renders_every_code(code, monkeypatch):
    def strict_missing(self, key):
        raise KeyError(key)

    monkeypatch.setattr(import_messages._Params, "__missing__", strict_missing)
    msgids: list[str] = []

    def gettext(message: str) -> str:
        msgids.append(message)
        return message

    text = describe_issue(ImportIssue(7, "harga", code, SAMPLE_PARAMS[code]), gettext)
    assert text.startswith("Line 7: ")
    assert "{" not in text and "}" not in text
    assert msgids[-1] == "Line {line}: {message}"
    assert not FALLBACKS & set(msgids), "a specific sentence, not a generic fallback"


def test_describe_examples():
    def gettext(message: str) -> str:
        return message

    issue = ImportIssue(3, "nip", "nip.length", {"length": 17})
    assert describe_issue(issue, gettext) == "Line 3: NIP has 17 digits, it must have 18."
    issue = ImportIssue(1, None, "missing_columns", {"columns": ["opd", "golongan"]})
    assert describe_issue(issue, gettext) == "Line 1: Required columns are missing: opd, golongan."
    assert describe_nip_error(NipError("gender", value="3"), gettext) == (
        "Digit 15 of the NIP (3) must be 1 (male) or 2 (female)."
    )
    too_large = MoneyError("too_large", maximum=100_000_000)
    assert describe_money_error(too_large, gettext) == "The amount can be at most Rp100.000.000."
    assert describe_money_error(too_large, gettext, locale="en").endswith("Rp100,000,000.")
    # Unknown codes and missing params never raise.
    assert describe_issue(ImportIssue(2, "x", "something_new", {}), gettext).startswith("Line 2")
    assert describe_issue(ImportIssue(2, None, "nip.length", {}), gettext) == (
        "Line 2: NIP has ? digits, it must have 18."
    )


def test_describe_translates_through_gettext():
    catalog = {
        "Line {line}: {message}": "Baris {line}: {message}",
        'Stock "{value}" is not a whole number of 0 or more.': (
            'Stok "{value}" bukan bilangan bulat 0 atau lebih.'
        ),
    }

    def gettext(message: str) -> str:
        return catalog.get(message, message)

    text = describe_issue(ImportIssue(5, "stok", "stock_invalid", {"value": "x"}), gettext)
    assert text == 'Baris 5: Stok "x" bukan bilangan bulat 0 atau lebih.'


async def test_merchant_location_columns(session):
    header = MERCHANT_HEADER.rstrip("\n") + ",lat,lon\n"
    good = "A-1,Toko A,9120922108853,Blimbing,Purwantoro,,0812-4955-6071,-7.9500,112.6400"
    swapped = "A-2,Toko B,9120922108854,Blimbing,Purwantoro,,0812-4955-6072,112.64,-7.95"
    lawang = "A-3,Toko C,9120922108855,Blimbing,Purwantoro,,0812-4955-6073,-7.83,112.70"
    half = "A-4,Toko D,9120922108856,Blimbing,Purwantoro,,0812-4955-6074,-7.95,"
    issues = await failed(
        import_merchants(session, merchants_csv(good, swapped, lawang, half, header=header))
    )
    assert codes(issues) == [
        (3, "lat", "location_invalid"),
        (4, "lat", "location_invalid"),
        (5, "lon", "location_invalid"),
    ]
    assert describe_issue(issues[0], lambda s: s) == (
        'Line 3: The location "112.64,-7.95" is not a point in Kota Malang: write latitude and '
        'longitude in degrees with a decimal point, e.g. "-7.9666,112.6326" (lat and lon both, '
        "or the koordinat column)."
    )
    assert await all_merchants(session) == {}

    await import_merchants(session, merchants_csv(good, header=header))
    shop = (await all_merchants(session))["A-1"]
    assert (shop.lat, shop.lon) == (-7.95, 112.64)
    # One "koordinat" column ("lat,lon", quoted in CSV) works too; no location: unchanged.
    together = MERCHANT_HEADER.rstrip("\n") + ",koordinat\n"
    row = 'A-1,Toko A,9120922108853,Blimbing,Purwantoro,,0812-4955-6071,"-7.96, 112.63"'
    await import_merchants(session, merchants_csv(row, header=together))
    shop = (await all_merchants(session))["A-1"]
    assert (shop.lat, shop.lon) == (-7.96, 112.63)
    plain = "A-1,Toko A,9120922108853,Blimbing,Purwantoro,,0812-4955-6071"
    await import_merchants(session, merchants_csv(plain))
    shop = (await all_merchants(session))["A-1"]
    assert (shop.lat, shop.lon) == (-7.96, 112.63)
