from __future__ import annotations

import csv
from pathlib import Path

from PIL import Image
from sqlmodel import select

from models import Category, Merchant, Product, RosterEntry
from services.demo import MAX_PHOTO_BYTES, MERCHANTS_CSV, build_static_qris, seed_demo
from services.importer import ImportResult
from services.qris import validate_static


async def test_seed_demo_is_realistic_and_idempotent(session, tmp_path: Path):
    photos = tmp_path / "photos"
    first = await seed_demo(session, photos_dir=photos)
    assert first.roster.created >= 20
    assert first.merchants.created >= 12
    assert first.products.created >= 40
    assert first.photos == first.products.created

    merchants = (await session.exec(select(Merchant))).all()
    products = (await session.exec(select(Product))).all()
    roster = (await session.exec(select(RosterEntry))).all()
    categories = {c.id: c.slug for c in (await session.exec(select(Category))).all()}

    assert {categories[p.category_id] for p in products} == set(categories.values())
    assert sum(p.stock == 0 for p in products) >= 2
    assert sum(p.name_en is not None for p in products) > len(products) // 2
    assert all(p.price > 0 and p.description for p in products)
    assert {r.quota_class for r in roster} == {"I", "II", "III", "IV", "PPPK"}
    assert len({r.opd for r in roster}) >= 6
    assert any(r.phone for r in roster) and any(r.phone is None for r in roster)
    assert all(len(m.nib) == 13 and m.phone.startswith("+62") for m in merchants)
    assert {m.kelurahan for m in merchants} >= {"Tasik Madu", "Rampalcelaket"}  # canonical
    with_qris = [m for m in merchants if m.qris]
    assert len(with_qris) >= 3
    for merchant in with_qris:
        assert not validate_static(merchant.qris).is_dynamic

    for product in products:
        path = Path(product.photo)
        assert path.parent == photos and path.stat().st_size <= MAX_PHOTO_BYTES
    with Image.open(products[0].photo) as image:
        assert image.format == "JPEG"

    second = await seed_demo(session, photos_dir=photos)
    assert second.roster == ImportResult(0, 0, 0, first.roster.created)
    assert second.merchants == ImportResult(0, 0, 0, first.merchants.created)
    assert second.products == ImportResult(0, 0, 0, first.products.created)
    assert second.photos == 0
    assert len((await session.exec(select(Product))).all()) == len(products)


async def test_seed_demo_without_photos(session):
    summary = await seed_demo(session)
    assert summary.photos == 0
    products = (await session.exec(select(Product))).all()
    assert all(p.photo is None for p in products)


def test_demo_qris_payloads_come_from_the_builder():
    with MERCHANTS_CSV.open(encoding="utf-8", newline="") as fh:
        payloads = [row["qris"] for row in csv.DictReader(fh) if row["qris"]]
    assert payloads
    for payload in payloads:
        parsed = validate_static(payload)
        nmid = parsed.nmid
        rebuilt = build_static_qris(
            name=parsed.merchant_name,
            nmid=nmid,
            mcc=parsed.mcc,
            postal_code=parsed.postal_code,
            terminal=dict(parsed.additional_data)["07"],
        )
        assert rebuilt == payload
