"""A product's price history: its shop's owner reads it page by page from the product's
management screen; administrators and the inspectorate open it from a red flag "price raised
shortly before a large order" (/tanda); nobody else can."""

from __future__ import annotations

from datetime import UTC, datetime

from models import AdminAccount, MerchantMember, PriceChange, User
from tests import factories as f
from tests.e2e.conftest import ADMIN_ID, open_bot

OWNER = 2001
OWNER_ID_LOCALE = 2002
STRANGER = 1001
INSPECTOR = 950


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


async def _shop_owner(session, telegram_id: int, language: str, **merchant):
    shop = await f.merchant(session, **merchant)
    owner = User(telegram_id=telegram_id, first_name="Tin", language=language)
    session.add(owner)
    await session.commit()
    session.add(MerchantMember(merchant_id=shop.id, user_id=owner.id, role="owner"))
    await session.commit()
    return shop


async def _imported_changes(session, product, count: int) -> None:
    """`count` raises by an import, on 1, 2, … November at 09:00 WIB, ending at the product's
    price."""
    price = product.price - 1_000 * count
    for day in range(1, count + 1):
        session.add(
            PriceChange(
                product_id=product.id,
                old_price=price,
                new_price=price + 1_000,
                source="import",
                at=utc(day, 2),
            )
        )
        price += 1_000
    await session.commit()


async def _manage(owner, name: str, listing_text: str = "Products of", price_button="💰 Price"):
    await owner.send("/produk")
    listing = await owner.wait_reply(containing=listing_text)
    await owner.click(name, listing)
    return await owner.wait_reply(predicate=lambda m: price_button in m.buttons)


async def test_owner_reads_the_price_history_page_by_page(app, tg, session):
    shop = await _shop_owner(session, OWNER, "en")
    product = await f.product(session, shop, name="Keripik Tempe Sanan", price=25_000, stock=4)
    await _imported_changes(session, product, 11)
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    await open_bot(owner)

    # Before: eleven changes by an import. The owner raises the price in the chat: twelve.
    screen = await _manage(owner, "Keripik Tempe Sanan")
    await owner.click("💰 Price", screen)
    await owner.wait_reply(containing="Type the new price")
    await owner.send("30000")
    await owner.wait_reply(containing="Saved")
    screen = await owner.wait_reply(predicate=lambda m: "🧾 Price history" in m.buttons)
    await owner.click("🧾 Price history", screen)
    history = await owner.wait_reply(
        predicate=lambda m: m.message_id == screen.message_id and "Price history" in m.text
    )
    lines = history.text.splitlines()
    assert lines[0] == "🧾 Price history — Keripik Tempe Sanan"
    assert "💰 Price now: Rp30,000" in lines
    assert "12 price changes, newest first:" in lines
    changes = [line for line in lines if line.startswith(("📈", "📉"))]
    assert len(changes) == 10
    assert changes[0] == "📈 27 Nov 2026 10:00: Rp25,000 → Rp30,000 (+20%) · by Tin"
    assert changes[1] == "📈 11 Nov 2026 09:00: Rp24,000 → Rp25,000 (+4%) · by a product import"
    assert changes[9].startswith("📈 3 Nov 2026 09:00: Rp16,000 → Rp17,000")
    assert history.buttons == ["1/2", "▶️", "⬅️ Product"]

    await owner.click("▶️", history)
    older = await owner.wait_reply(
        predicate=lambda m: m.message_id == screen.message_id and "1/2" not in m.buttons
    )
    changes = [line for line in older.text.splitlines() if line.startswith(("📈", "📉"))]
    assert changes == [
        "📈 2 Nov 2026 09:00: Rp15,000 → Rp16,000 (+7%) · by a product import",
        "📈 1 Nov 2026 09:00: Rp14,000 → Rp15,000 (+7%) · by a product import",
    ]
    assert older.buttons == ["◀️", "2/2", "⬅️ Product"]
    await owner.click("⬅️ Product", older)
    back = await owner.wait_reply(
        predicate=lambda m: m.message_id == screen.message_id and "💰 Price" in m.buttons
    )
    assert "Rp30,000" in back.text

    # Someone else, even with a forged button, sees nothing of it.
    stranger = tg.user(STRANGER, first_name="Budi", language_code="en")
    menu = await open_bot(stranger)
    tap = await stranger.click_data(menu, f"ph:{product.id}:0")
    assert "not allowed" in (await stranger.wait_answer(tap))["text"]
    assert all("Price history" not in m.text for m in stranger.bot_messages)


async def test_owner_in_indonesian_and_a_product_never_repriced(app, tg, session):
    shop = await _shop_owner(session, OWNER_ID_LOCALE, "id")
    await f.product(session, shop, name="Sambal Bawang", price=18_000, stock=3)
    owner = tg.user(OWNER_ID_LOCALE, first_name="Tin", language_code="id")
    await open_bot(owner)
    screen = await _manage(owner, "Sambal Bawang", "Produk", "💰 Harga")
    await owner.click("🧾 Riwayat harga", screen)
    history = await owner.wait_reply(containing="Riwayat harga")
    assert history.text.splitlines() == [
        "🧾 Riwayat harga — Sambal Bawang",
        "💰 Harga sekarang: Rp18.000",
        "",
        "Belum ada perubahan harga yang tercatat.",
    ]
    assert history.buttons == ["⬅️ Produk ini"]


async def _price_raise_month(session):
    """A price raised the day before a large order (a flag), and one never raised."""
    shop = await f.merchant(session, name="Toko Batik", code="BATIK", phone="+6281311110009")
    owner = User(telegram_id=OWNER, first_name="Tin", language="en")
    session.add(owner)
    await session.commit()
    kain = await f.product(session, shop, name="Kain Batik Tulis", price=600_000)
    session.add(
        PriceChange(
            product_id=kain.id, old_price=450_000, new_price=600_000, changed_by=owner.id,
            at=utc(9, 4),
        )
    )  # fmt: skip
    await session.commit()
    buyer = await f.asn_user(session, 8201, nip="198503122010011009", phone="+628120000009")
    order = await f.order(
        session,
        buyer,
        kain,
        quantity=2,
        status="completed",
        counts_for_quota=True,
        buyer_nip=buyer.nip,
        created_at=utc(10, 3),
        paid_at=utc(10, 3),
    )
    return kain, order


async def test_administrators_and_the_inspectorate_open_it_from_the_red_flag(app, tg, session):
    kain, order = await _price_raise_month(session)
    session.add(AdminAccount(telegram_id=INSPECTOR, role="inspectorate", added_by=ADMIN_ID))
    await session.commit()
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    await open_bot(admin)

    await admin.send("/tanda")
    listed = await admin.wait_reply(containing="Red flags — November 2026")
    assert "1. Price raised shortly before a large order · ⏳ not reviewed" in listed.text
    assert f"Orders: #{order.id}" in listed.text
    assert listed.buttons == ["✅ 1. fine", "📨 1. refer", "🧾 1. price history"]
    await admin.click("🧾 1. price history", listed)
    history = await admin.wait_reply(
        predicate=lambda m: m.message_id == listed.message_id and "Price history" in m.text
    )
    assert history.text.splitlines() == [
        "🧾 Price history — Kain Batik Tulis",
        "🏪 Toko Batik (BATIK)",
        "💰 Price now: Rp600,000",
        "",
        "1 price change, newest first:",
        "📈 9 Nov 2026 11:00: Rp450,000 → Rp600,000 (+33%) · by Tin",
    ]
    await admin.click("⬅️ Red flags", history)
    back = await admin.wait_reply(
        predicate=lambda m: m.message_id == listed.message_id and "Red flags —" in m.text
    )
    assert "🧾 1. price history" in back.buttons

    # The inspectorate reads it too, in Indonesian, without the verdict buttons.
    inspector = tg.user(INSPECTOR, first_name="Inspektorat", language_code="id")
    await open_bot(inspector)
    await inspector.send("/tanda")
    seen = await inspector.wait_reply(containing="Tanda perhatian — November 2026")
    assert seen.buttons == ["🧾 1. riwayat harga"]
    await inspector.click("🧾 1. riwayat harga", seen)
    read = await inspector.wait_reply(
        predicate=lambda m: m.message_id == seen.message_id and "Riwayat harga" in m.text
    )
    assert "📈 9 Nov 2026 11:00: Rp450.000 → Rp600.000 (+33%) · oleh Tin" in read.text
    assert read.buttons == ["⬅️ Tanda perhatian"]

    # Anyone else, with forged buttons, is refused and sees no price.
    stranger = tg.user(STRANGER, first_name="Budi", language_code="en")
    menu = await open_bot(stranger)
    for data in (f"tp:202611:0:{kain.id}:0", "tf:202611:ph:0:00000000"):
        tap = await stranger.click_data(menu, data)
        assert "not allowed" in (await stranger.wait_answer(tap))["text"], data
    assert all("Rp450" not in m.text for m in stranger.bot_messages)
