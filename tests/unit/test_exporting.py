"""Export details and certificate numbers (formats, import columns), the global-window
qualification, currency rates, inquiry parsing and the showcase's fair pick."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from models import Certification, Product
from services import currency, exporting, inquiries, showcase
from services.errors import Refusal, ServiceError
from services.export_formats import (
    parse_dimensions,
    parse_hs_code,
    parse_number,
    parse_shelf_life,
    parse_weight,
)
from services.importer import ImportFailed, import_products
from services.policy import WIB
from services.roles import RoleKind, Roles
from tests import factories as f
from tests.unit.test_importer import PRODUCT_HEADER, products_csv, two_merchants

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "code"),
    [("2008.19.90", "20081990"), ("HS 090210", "090210"), ("0902 10 10 00", "0902101000")],
)
def test_hs_codes(text: str, code: str) -> None:
    assert parse_hs_code(text) == code


@pytest.mark.parametrize("text", ["2008", "20081990123", "2008.19.9A", "", "٢٠٠٨١٩٩٠"])
def test_bad_hs_codes(text: str) -> None:
    with pytest.raises(ServiceError) as info:
        parse_hs_code(text)
    assert info.value.code == Refusal.HS_CODE_INVALID


@pytest.mark.parametrize(
    ("kind", "text", "number"),
    [
        ("nib", "9120 0221 0885 3", "9120022108853"),
        ("pirt", "P-IRT No. 2063507010123-25", "206350701012325"),
        ("pirt", "PIRT 206350701012", "206350701012"),
        ("bpom", "BPOM RI MD 224510001234", "MD 224510001234"),
        ("bpom", "ml 224510001234", "ML 224510001234"),
        ("halal", "ID35110000123450123", "ID35110000123450123"),
        ("halal", "LPPOM MUI 00150012345678", "00150012345678"),
        ("sni", "SNI 3719:2014", "SNI 3719:2014"),
        ("sni", "sni 01-3719-1995", "SNI 01-3719-1995"),
    ],
)
def test_certificate_numbers(kind: str, text: str, number: str) -> None:
    assert parse_number(kind, text) == number


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("nib", "912002210885"),
        ("pirt", "P-IRT 12345"),
        ("bpom", "MK 224510001234"),
        ("bpom", "MD 22451000123"),
        ("halal", "halal"),
        ("halal", "ID123"),
        ("sni", "ISO 9001"),
    ],
)
def test_bad_certificate_numbers(kind: str, text: str) -> None:
    with pytest.raises(ServiceError) as info:
        parse_number(kind, text)
    assert info.value.code == Refusal.NUMBER_INVALID and info.value.params == {"kind": kind}


def test_weights_sizes_and_shelf_life() -> None:
    assert parse_weight("250") == 250 and parse_weight("0,5 kg") == 500
    assert parse_weight("1.5kg") == 1500 and parse_weight("250 gram") == 250
    assert parse_dimensions("20 x 12 x 5 cm") == "20x12x5"
    assert parse_dimensions("20,5×12×5") == "20.5x12x5"
    assert parse_shelf_life("180 hari") == 180 and parse_shelf_life("6 bulan") == 180
    assert parse_shelf_life("1 year") == 365
    for parse, text in (
        (parse_weight, "-3 g"), (parse_weight, "berat"), (parse_dimensions, "20x12"),
        (parse_dimensions, "0x1x1"), (parse_shelf_life, "0"), (parse_shelf_life, "20 tahun"),
    ):  # fmt: skip
        with pytest.raises(ServiceError):
            parse(text)


async def test_import_columns_fill_export_details_and_unverified_certificates(session) -> None:
    await two_merchants(session)
    header = PRODUCT_HEADER.rstrip("\n") + ",kode_hs,moq_ekspor,berat,dimensi,masa_simpan,halal\n"
    await import_products(
        session,
        products_csv(
            "SANAN,Keripik Tempe,kuliner,18000,50,bungkus,Renyah,2008.19.90,500,250 g,20x12x5,"
            "6 bulan,ID35110000123450123",
            header=header,
        ),
    )
    chips = (await session.exec(select(Product))).one()
    assert (chips.hs_code, chips.export_moq, chips.weight_grams) == ("20081990", 500, 250)
    assert (chips.dimensions_cm, chips.shelf_life_days) == ("20x12x5", 180)
    cert = (await session.exec(select(Certification))).one()
    assert (cert.kind, cert.number, cert.status) == ("halal", "ID35110000123450123", "pending")
    with pytest.raises(ImportFailed) as info:
        await import_products(
            session,
            products_csv(
                "SANAN,Keripik Tempe,kuliner,18000,50,bungkus,Renyah,2008,500,250 g,20x12x5,"
                "6 bulan,halal",
                header=header,
            ),
        )
    assert [(i.column, i.code) for i in info.value.issues] == [
        ("kode_hs", "export_invalid"),
        ("halal", "certificate_invalid"),
    ]


async def test_the_global_window_needs_every_item(session) -> None:
    shop = await f.merchant(session)
    product = await f.product(session, shop, name_en="Tempeh Chips")
    category = await f.category(session)
    missing = exporting.missing_for_global(product, category, [])
    assert missing == [
        exporting.Missing.DESCRIPTION_EN, exporting.Missing.PHOTO, exporting.Missing.NIB,
        exporting.Missing.HS_CODE, exporting.Missing.MOQ, exporting.Missing.CAPACITY,
        exporting.Missing.WEIGHT, exporting.Missing.DIMENSIONS, exporting.Missing.SHELF_LIFE,
    ]  # fmt: skip
    pending = Certification(merchant_id=shop.id, kind="nib", number=shop.nib)
    assert exporting.Missing.NIB in exporting.missing_for_global(product, category, [pending])
    pending.status = "verified"
    assert exporting.Missing.NIB not in exporting.missing_for_global(product, category, [pending])


async def test_only_an_administrator_decides_and_a_decision_stays(session) -> None:
    shop = await f.merchant(session)
    session.add(Certification(merchant_id=shop.id, kind="nib", number=shop.nib))
    await session.commit()
    cert = (await session.exec(select(Certification))).one()
    stranger = Roles(telegram_id=5, kinds=frozenset())
    with pytest.raises(ServiceError):
        await exporting.decide_certification(
            session, actor=stranger, cert_id=cert.id, verified=True, now=NOW
        )
    admin = Roles(telegram_id=900, kinds=frozenset({RoleKind.ADMIN}))
    done = await exporting.decide_certification(
        session, actor=admin, cert_id=cert.id, verified=False, now=NOW
    )
    again = await exporting.decide_certification(
        session, actor=admin, cert_id=cert.id, verified=True, now=NOW
    )
    assert done.status == again.status == "rejected"


def test_rates_typed_as_people_type_them() -> None:
    assert currency.parse_rate("15.850") == 15850
    assert currency.parse_rate("15850") == 15850
    assert currency.parse_rate("106,5") == 106.5
    assert currency.parse_rate("4.250,75") == 4250.75
    assert currency.parse_rate("106.5") == 106.5
    for bad in ("", "abc", "-5", "0", "1e9"):
        with pytest.raises(ServiceError):
            currency.parse_rate(bad)
    with pytest.raises(ServiceError):
        currency.parse_code("XYZ")


def test_inquiry_inputs() -> None:
    assert inquiries.parse_country("Jepang") == "JP" == inquiries.parse_country("japan")
    assert inquiries.parse_country("Arab Saudi") == "SA" == inquiries.parse_country("sa")
    assert inquiries.parse_country("UAE") == "AE"
    with pytest.raises(ServiceError):
        inquiries.parse_country("Atlantis")
    assert inquiries.parse_quantity("1.000", 500) == 1000
    with pytest.raises(ServiceError) as info:
        inquiries.parse_quantity("100", 500)
    assert info.value.code == Refusal.QUANTITY_BELOW_MOQ and info.value.params == {"moq": 500}
    with pytest.raises(ServiceError):
        inquiries.parse_message("x" * 1001)


async def _ready(session, shop, name: str, photo: str = "file-1") -> Product:
    product = await f.product(session, shop, name=name, name_en=name, photo=photo)
    product.description_en, product.hs_code = "Made in Malang.", "200819"
    product.export_moq = product.monthly_capacity = product.weight_grams = 1
    product.dimensions_cm, product.shelf_life_days = "1x1x1", 30
    session.add(product)
    if not (
        await session.exec(select(Certification).where(Certification.merchant_id == shop.id))
    ).first():
        session.add(
            Certification(merchant_id=shop.id, kind="nib", number=shop.nib, status="verified")
        )
    await session.commit()
    return product


async def test_the_showcase_rotates_shops_one_product_each(session) -> None:
    shops = [
        await f.merchant(session, name=f"Toko {i}", phone=f"+62813000000{i}") for i in range(3)
    ]
    await _ready(session, shops[0], "A satu")
    await _ready(session, shops[0], "A dua")
    await _ready(session, shops[1], "B satu")
    await _ready(session, shops[2], "C satu")
    await f.product(session, shops[2], name="C tanpa foto")
    week = showcase.week_of(NOW, WIB)
    picks = await showcase.pick_products(session, week, WIB, limit=2)
    assert len(picks) == 2 and len({p.merchant.id for p in picks}) == 2
    assert await showcase.claim_week(session, week, [p.product.id for p in picks], now=NOW)
    assert not await showcase.claim_week(session, week, [], now=NOW)
    await showcase.finish_week(session, week, posted=True, now=NOW)
    # Next week the shop left out comes first.
    later = await showcase.pick_products(session, week + timedelta(days=7), WIB, limit=2)
    shown = {p.merchant.id for p in picks}
    assert later[0].merchant.id not in shown
    assert len({p.merchant.id for p in later}) == 2
    assert all(p.product.name != "C tanpa foto" for p in picks + later)
    assert showcase.due_at(date(2026, 11, 23), 4, 10, WIB) == datetime(
        2026, 11, 27, 3, 0, tzinfo=UTC
    )
