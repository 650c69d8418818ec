"""Shops near you by distance: a shared location lists the nearest open shops first, a shop
without coordinates at its kelurahan's centroid, equally near shops in the fair order; browsing
a kecamatan by kelurahan."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from models import Merchant, MerchantMember, Product, User
from tests import factories as f
from tests.e2e.helpers import reload, shop_with_owner

HERE = (-7.98, 112.62)
IN_NOVEMBER = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # the test clock: 27 November 2026


async def _shop(session, name: str, lon: float | None, **kw) -> Product:
    shop = await f.merchant(session, name=name, code=name.split()[-1].upper(), **kw)
    if lon is not None:
        shop.lat, shop.lon = HERE[0], lon
        session.add(shop)
        await session.commit()
    return await f.product(session, shop, name=f"Kue {name.split()[-1]}", price=10_000)


async def _shops(session) -> None:
    # 0.0045° of longitude at 7.98°S is 0.50 km; 0.03° 3.30 km.
    await _shop(session, "Toko Dekat", 112.6245, kecamatan="Klojen", kelurahan="Kauman")
    # At Oro-oro Dowo's centroid (-7.96900, 112.62526): 1.22 km north, 0.58 km east: 1.35 km.
    sedang = await _shop(
        session, "Toko Sedang", None, kecamatan="Klojen", kelurahan="Oro-oro Dowo", phone="+621"
    )
    sedang_shop = await session.get(Merchant, sedang.merchant_id)
    sedang_shop.lat, sedang_shop.lon = -7.969, 112.62526
    session.add(sedang_shop)
    await session.commit()
    # No coordinates: placed at its kelurahan's centroid, as near as Toko Sedang.
    await _shop(
        session, "Toko Tengah", None, kecamatan="Klojen", kelurahan="Oro-oro Dowo", phone="+622"
    )
    await _shop(session, "Toko Jauh", 112.65, kecamatan="Sukun", kelurahan="Sukun", phone="+623")
    # No coordinates: Buring's centroid (-8.00838, 112.65495), 3.16 km by 3.85 km: 4.98 km.
    await _shop(session, "Toko Entah", None, kecamatan="Kedungkandang", kelurahan="Buring")
    # Nearest of all, but closed or suspended: not listed.
    await _shop(session, "Toko Tutup", 112.6201, kecamatan="Klojen", is_open=False)
    await _shop(session, "Toko Diblokir", 112.6202, kecamatan="Klojen", status="suspended")
    buyer = User(telegram_id=7001, first_name="Pembeli", kind="general", language="en")
    session.add(buyer)
    await session.commit()
    await f.order(session, buyer, sedang, quantity=1, status="paid", paid_at=IN_NOVEMBER)


def _lines(page) -> list[str]:
    return re.findall(r"^\d+\. (.+)$", page.text, flags=re.MULTILINE)


async def test_a_shared_location_lists_the_nearest_open_shops_first(app, tg, session):
    await _shops(session)
    user = tg.user(7402, first_name="Ani", language_code="en")
    await user.send("/dekat")
    await user.wait_reply(containing="Near me")
    assert user.keyboard is not None
    assert user.keyboard["keyboard"][0][0] == {"text": "📍 Near me", "request_location": True}
    await user.press("📍 Near me", location=HERE)
    near = await user.wait_reply(containing="nearest to you")
    assert _lines(near) == [
        "Toko Dekat — 0.5 km · Kauman",
        # Equally near (same point): the shop without a sale this month first.
        "Toko Tengah — ≈ 1.4 km · Oro-oro Dowo",
        "Toko Sedang — 1.4 km · Oro-oro Dowo",
        "Toko Jauh — 3.3 km · Sukun",
        "Toko Entah — ≈ 5.0 km · Buring",
    ]
    assert (
        "≈ The shop has not set its location yet: the distance is to the middle of its kelurahan."
    ) in near.text
    assert user.keyboard is not None and "📍 Near me" not in user.keyboard_buttons  # main menu
    await user.click("1. Toko Dekat", near)
    shop = await user.wait_reply(predicate=lambda m: m.message_id == near.message_id)
    assert "Toko Dekat" in shop.text and "1. Kue Dekat — Rp10,000" in shop.text


async def test_a_location_from_the_attachment_menu_in_indonesian(app, tg, session):
    await _shops(session)
    user = tg.user(7403, first_name="Budi", language_code="id")
    await user.share_location(*HERE)
    near = await user.wait_reply(containing="terdekat")
    assert _lines(near)[0] == "Toko Dekat — 0,5 km · Kauman"
    assert _lines(near)[-1] == "Toko Entah — ≈ 5,0 km · Buring"
    await user.share_location(-7.83, 112.70)  # Lawang: outside the city, nothing listed
    refused = await user.wait_reply(containing="Kota Malang")
    assert "terdekat" not in refused.text


async def test_browsing_a_kecamatan_by_kelurahan(app, tg, session):
    await _shops(session)
    user = tg.user(7404, first_name="Citra", language_code="en")
    await user.send("/dekat")
    places = await user.wait_reply(containing="Shops near you")
    await user.click("Klojen", places)
    klojen = await user.wait_reply(predicate=lambda m: m.message_id == places.message_id)
    # Only the kelurahan that have open shops are offered.
    assert [b for b in klojen.buttons if not re.match(r"\d+\.|◀️", b)] == [
        "Kauman",
        "Oro-oro Dowo",
    ]
    await user.click("Oro-oro Dowo", klojen)
    oro = await user.wait_reply(predicate=lambda m: m.message_id == places.message_id)
    assert "Shops in Oro-oro Dowo, Klojen" in oro.text
    names = re.findall(r"^\d+\. (.+?) — ", oro.text, flags=re.MULTILINE)
    assert names == ["Toko Tengah", "Toko Sedang"]
    await user.click("◀️ All of Klojen", oro)
    back = await user.wait_reply(predicate=lambda m: m.message_id == places.message_id)
    assert "Shops in Klojen" in back.text


async def test_the_owner_sets_the_shop_location_in_toko(app, tg, session):
    shop = await shop_with_owner(session, 7501, name="Toko Pak Budi")
    await f.product(session, shop, name="Kue Pak Budi", price=10_000)
    owner = tg.user(7501, first_name="Budi", language_code="en")
    await owner.send("/toko")
    board = await owner.wait_reply(containing="Toko Pak Budi")
    assert "📍 Location: not set yet" in board.text
    await owner.click("📍 Location", board)
    await owner.wait_reply(containing="Send the shop's location")
    assert owner.keyboard_buttons == ["📍 Send the shop's location", "✖️ Cancel"]
    await owner.send("Jl. Kawi 5")  # typed, not a location
    assert "Please tap 📍 Send the shop's location" in (await owner.wait_reply()).text
    await owner.share_location(-7.83, 112.70)  # Lawang: refused, still waiting
    assert "outside Kota Malang" in (await owner.wait_reply()).text
    assert (await reload(app, Merchant, shop.id)).lat is None
    await owner.press("📍 Send the shop's location", location=(-7.98, 112.6309))
    await owner.wait_reply(containing="location is saved")
    again = await owner.wait_reply(containing="Toko Pak Budi")
    assert "📍 Location: set" in again.text
    saved = await reload(app, Merchant, shop.id)
    assert (saved.lat, saved.lon) == (-7.98, 112.6309)
    # A buyer nearby now sees the distance.
    buyer = tg.user(7502, first_name="Ani", language_code="en")
    await buyer.share_location(*HERE)
    near = await buyer.wait_reply(containing="nearest to you")
    assert _lines(near) == ["Toko Pak Budi — 1.2 km · Purwantoro"]


async def test_cancel_changes_nothing_and_staff_cannot_set_the_location(app, tg, session):
    shop = await shop_with_owner(session, 7601, name="Toko Bu Sri")
    owner = tg.user(7601, first_name="Sri", language_code="en")
    await owner.send("/toko")
    board = await owner.wait_reply(containing="Toko Bu Sri")
    await owner.click("📍 Location", board)
    await owner.wait_reply(containing="Send the shop's location")
    await owner.press("✖️ Cancel")
    await owner.wait_reply()
    await owner.share_location(-7.98, 112.6309)  # after Cancel: a buyer's "near me"
    await owner.wait_reply(containing="nearest to you")
    assert (await reload(app, Merchant, shop.id)).lat is None

    staff_user = await f.asn_user(session, 7602)
    session.add(MerchantMember(merchant_id=shop.id, user_id=staff_user.id, role="staff"))
    await session.commit()
    staff = tg.user(7602, first_name="Sari", language_code="en")
    await staff.send("/toko")
    staff_board = await staff.wait_reply(containing="Toko Bu Sri")
    assert "📍 Location" not in staff_board.buttons
    tap = await staff.click_data(staff_board, f"mt:{shop.id}:location")  # forged
    assert "Only the shop's owner" in (await staff.wait_answer(tap))["text"]
    await staff.share_location(-7.98, 112.6309)
    await staff.wait_reply(containing="nearest to you")
    assert (await reload(app, Merchant, shop.id)).lat is None


async def test_the_nearest_shops_page_by_page(app, tg, session):
    # Twelve shops at 0.20 km, 0.69 km, 1.19 km, … 5.65 km (0.0045° of longitude is 0.50 km).
    for n in range(12):
        await _shop(
            session,
            f"Toko {chr(65 + n)}",
            112.62 + 0.0018 + 0.0045 * n,
            kecamatan="Klojen",
            kelurahan="Kauman",
            phone=f"+6281{n:02d}",
        )
    user = tg.user(7701, first_name="Dewi", language_code="en")
    await user.share_location(*HERE)
    first = await user.wait_reply(containing="nearest to you")
    assert [line.split(" — ")[0] for line in _lines(first)] == [f"Toko {c}" for c in "ABCDEFGHIJ"]
    assert "1. Toko A — 0.2 km · Kauman" in first.text
    assert "10. Toko J — 4.7 km · Kauman" in first.text
    assert "1/2" in first.buttons
    await user.click("▶️", first)
    second = await user.wait_reply(predicate=lambda m: m.message_id == first.message_id)
    assert _lines(second) == ["Toko K — 5.2 km · Kauman", "Toko L — 5.6 km · Kauman"]
    assert re.search(r"^11\. Toko K", second.text, flags=re.MULTILINE)
    # The location is kept in the conversation data; once it is gone, the page asks again.
    await user.send("/toko")  # clears the conversation (not a shop: a polite answer)
    await user.wait_reply()
    await user.click("◀️", second)
    assert "share your location again" in (await user.wait_reply()).text
