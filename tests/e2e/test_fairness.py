"""Money spreads: the monthly cap per shop, the fair order of a category page and of search
hits of equal relevance, and "close my gap" (Lengkapi kuota saya) from /kuota."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from models import CartItem, RosterEntry, User
from tests import factories as f
from tests.e2e.conftest import ADMIN_ID, e2e_settings, open_bot
from tests.e2e.helpers import search, shop_with_owner

CAP = 100_000
# The test clock starts on 27 November 2026, 10:00 WIB.
IN_NOVEMBER = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def settings(request, tg, db):
    return e2e_settings(
        tg, db, shop_monthly_cap=CAP, capped_shops=getattr(request, "param", "last")
    )


async def _buyer(session, telegram_id: int = 7001) -> User:
    buyer = User(telegram_id=telegram_id, first_name="Pembeli", kind="general", language="en")
    session.add(buyer)
    await session.commit()
    return buyer


async def _paid(session, buyer, product, quantity: int, paid_at: datetime) -> None:
    await f.order(session, buyer, product, quantity=quantity, status="paid", paid_at=paid_at)


def _listed(page) -> list[str]:
    """The product names of a category page or search results, in their order."""
    return re.findall(r"^\d+\. (.+?) — ", page.text, flags=re.MULTILINE)


async def _category(user, name: str = "Food & Drinks"):
    await user.send("/katalog")
    await user.click(name, await user.wait_reply(containing="Choose a category"))
    return await user.wait_reply()


async def test_a_shop_over_the_cap_goes_last_until_the_first(app, tg, session, clock):
    big = await shop_with_owner(session, 7101, name="Toko Besar", code="BSR")
    small = await shop_with_owner(session, 7102, name="Toko Kecil", code="KCL", phone="+62813")
    big_kopi = await f.product(session, big, name="Kopi Besar", price=60_000)
    small_kopi = await f.product(session, small, name="Kopi Kecil", price=20_000)
    buyer = await _buyer(session)
    await _paid(session, buyer, big_kopi, 2, IN_NOVEMBER)  # Rp120.000: over the cap
    await _paid(session, buyer, small_kopi, 1, IN_NOVEMBER)

    guest = tg.user(7002, first_name="Tamu", language_code="en")
    await open_bot(guest)
    assert _listed(await _category(guest)) == ["Kopi Kecil", "Kopi Besar"]
    assert _listed(await search(guest, "kopi")) == ["Kopi Kecil", "Kopi Besar"]

    owner = tg.user(7101, first_name="Owner", language_code="en")
    await owner.send("/toko")
    board = await owner.wait_reply(containing="Toko Besar")
    assert "Monthly cap of Rp100,000 reached" in board.text
    other = tg.user(7102, first_name="Owner", language_code="en")
    await other.send("/toko")
    board = await other.wait_reply(containing="Toko Kecil")
    assert "Monthly cap: Rp80,000 more until Rp100,000" in board.text

    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.send("/laporan")
    summary = await admin.wait_reply(containing="At the monthly cap")
    assert "At the monthly cap of Rp100,000: 1 shop" in summary.text
    assert "Toko Besar (BSR): Rp120,000" in summary.text
    assert "Toko Kecil" not in summary.text

    # 1 December: the small shop has sold this month, the big one not yet: it comes first.
    clock.now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    await _paid(session, buyer, small_kopi, 1, clock.now)
    assert _listed(await _category(guest)) == ["Kopi Besar", "Kopi Kecil"]
    assert _listed(await search(guest, "kopi")) == ["Kopi Besar", "Kopi Kecil"]


@pytest.mark.parametrize("settings", ["hide"], indirect=True)
async def test_a_capped_shop_can_be_hidden_until_the_first(app, tg, session, clock):
    big = await shop_with_owner(session, 7201, name="Toko Besar", code="BSR")
    small = await shop_with_owner(session, 7202, name="Toko Kecil", code="KCL", phone="+62813")
    big_kopi = await f.product(session, big, name="Kopi Besar", price=100_000)
    await f.product(session, small, name="Kopi Kecil", price=20_000)
    await _paid(session, await _buyer(session), big_kopi, 1, IN_NOVEMBER)  # exactly the cap

    guest = tg.user(7003, first_name="Tamu", language_code="en")
    await open_bot(guest)
    page = await _category(guest)
    assert _listed(page) == ["Kopi Kecil"] and "1 product." in page.text
    assert _listed(await search(guest, "kopi")) == ["Kopi Kecil"]
    owner = tg.user(7201, first_name="Owner", language_code="en")
    await owner.send("/toko")
    board = await owner.wait_reply(containing="Toko Besar")
    assert "your products are hidden from the catalog and search" in board.text

    clock.now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    page = await _category(guest)
    assert sorted(_listed(page)) == ["Kopi Besar", "Kopi Kecil"]


async def test_a_category_page_rotates_shops_of_equal_rank(app, tg, session, clock):
    names = ["Sambal Ani", "Sambal Budi", "Sambal Cici"]
    for number, name in enumerate(names):
        shop = await f.merchant(session, name=f"Toko {name}", phone=f"+6281300000{number}")
        await f.product(session, shop, name=name, price=15_000)
    busy = await f.merchant(session, name="Toko Laris", phone="+62813000009")
    laris = await f.product(session, busy, name="Sambal Laris", price=15_000)
    await _paid(session, await _buyer(session), laris, 3, IN_NOVEMBER)

    guest = tg.user(7004, first_name="Tamu", language_code="en")
    await open_bot(guest)
    orders = []
    for _day in range(3):
        orders.append(_listed(await _category(guest)))
        clock.advance(days=1)
    # The shop that sold this month comes after the three that did not, every day; those
    # three take turns: each is first on one of three days, in the same cycle.
    assert all(order[-1] == "Sambal Laris" for order in orders)
    assert sorted(order[0] for order in orders) == names
    first = orders[0][:3]
    cycles = [first[i:] + first[:i] for i in range(3)]
    assert all(order[:3] in cycles for order in orders)
    # The same order on the same day, page after page.
    clock.advance(days=-1)
    assert _listed(await _category(guest)) == orders[-1]


async def test_close_my_gap_proposes_enough_from_several_shops(app, tg, session):
    # The ASN's kecamatan (roster) is Klojen; the minimum of class III is Rp500.000.
    asn = await f.asn_user(session, 7301)
    roster = await session.get(RosterEntry, asn.nip)
    roster.kecamatan = "Klojen"
    session.add(roster)
    await session.commit()
    busy = await f.merchant(session, name="Toko Laris", kecamatan="Klojen", phone="+628130001")
    laris = await f.product(session, busy, name="Kopi Laris", price=100_000, stock=20)
    await _paid(session, await _buyer(session), laris, 5, IN_NOVEMBER)
    near = await f.merchant(session, name="Toko Dekat", kecamatan="Klojen", phone="+628130002")
    await f.product(session, near, name="Kopi Klojen", price=60_000, stock=10)
    b = await f.merchant(session, name="Toko Batik", kecamatan="Blimbing", phone="+628130003")
    await f.product(session, b, name="Batik Cap", price=150_000, stock=5)
    d = await f.merchant(session, name="Toko Tas", kecamatan="Sukun", phone="+628130004")
    await f.product(session, d, name="Tas Anyam", price=100_000, stock=4)
    await f.product(session, d, name="Tas Habis", price=500_000, stock=0)

    user = tg.user(7301, first_name="Budi", language_code="en")
    await user.send("/kuota")
    quota = await user.wait_reply(containing="Minimum spend")
    assert "Remaining: Rp500,000" in quota.text
    await user.click("🧩 Close my gap", quota)
    proposal = await user.wait_reply(containing="Close my gap")
    lines = re.findall(
        r"^\d+\. (.+?) — (\d+) \S+ × Rp([\d,]+) = Rp([\d,]+)", proposal.text, flags=re.MULTILINE
    )
    shops = re.findall(r"🏪 (.+?), ", proposal.text)
    amounts = [int(a.replace(",", "")) for *_rest, a in lines]
    assert sum(amounts) >= 500_000
    assert len(set(shops)) >= 2 and len(shops) == len(lines)
    # The shop near the ASN that sold nothing yet comes first; the shop above the median,
    # sold-out products and anything beyond what is needed are left out.
    assert shops[0] == "Toko Dekat"
    assert "Toko Laris" not in shops and "Tas Habis" not in proposal.text
    assert sum(amounts) - min(amounts) < 500_000
    message_id = proposal.message_id
    for number in range(1, len(lines) + 1):
        await user.click(f"➕ {number}.", user.server.message(user.id, message_id))
        proposal = await user.wait_reply(predicate=lambda m: m.message_id == message_id)
    assert proposal.text.count("✅") == len(lines)
    await user.send("/keranjang")
    cart = await user.wait_reply(containing="Your cart")
    assert f"Rp{sum(amounts):,}" in cart.text


async def test_close_my_gap_goes_into_the_cart_in_one_tap(app, tg, session):
    await f.asn_user(session, 7302)
    a = await f.merchant(session, name="Toko Kopi", kecamatan="Klojen", phone="+628130011")
    kopi = await f.product(session, a, name="Kopi Dampit", price=100_000, stock=10)
    b = await f.merchant(session, name="Toko Batik", kecamatan="Sukun", phone="+628130012")
    batik = await f.product(session, b, name="Batik Tulis", price=150_000, stock=5)

    user = tg.user(7302, first_name="Sari", language_code="en")
    await user.send("/kuota")
    await user.click("🧩 Close my gap", await user.wait_reply(containing="Minimum spend"))
    proposal = await user.wait_reply(containing="Close my gap")
    assert "or put them all in with one tap" in proposal.text
    assert "🛒 Put all in the cart" in proposal.buttons
    lines = re.findall(r"^\d+\. (.+?) — (\d+) ", proposal.text, flags=re.MULTILINE)
    assert len(lines) == 2

    # A button of a proposal that is no longer the one proposed adds nothing.
    stale = await user.click_data(proposal, "gq:all:0:0:00000000")
    assert "The proposal has changed" in (await user.wait_answer(stale))["text"]
    assert await gap_cart(app, 7302) == {}

    await user.click("🛒 Put all in the cart", proposal)
    done = await user.wait_reply(
        predicate=lambda m: m.message_id == proposal.message_id and "🛒 Put all" not in m.buttons
    )
    assert done.text.count("✅") == 2
    quantities = {"Kopi Dampit": kopi.id, "Batik Tulis": batik.id}
    assert await gap_cart(app, 7302) == {quantities[name]: int(n) for name, n in lines}
    await user.send("/keranjang")
    cart = await user.wait_reply(containing="Your cart")
    total = sum(
        int(n) * {"Kopi Dampit": 100_000, "Batik Tulis": 150_000}[name] for name, n in lines
    )
    assert total >= 500_000 and f"Rp{total:,}" in cart.text


async def gap_cart(app, telegram_id: int) -> dict[int, int]:
    """The ASN's cart: product id -> quantity."""
    async with app.db.session() as s:
        user = (await s.exec(select(User).where(User.telegram_id == telegram_id))).one()
        rows = await s.exec(select(CartItem).where(CartItem.user_id == user.id))
        return {item.product_id: item.quantity for item in rows.all()}


async def test_shops_near_you_start_with_the_asn_kecamatan(app, tg, session):
    asn = await f.asn_user(session, 7401)
    roster = await session.get(RosterEntry, asn.nip)
    roster.kecamatan = "Klojen"
    session.add(roster)
    await session.commit()
    busy = await f.merchant(session, name="Toko Laris", kecamatan="Klojen", kelurahan="Kauman")
    laris = await f.product(session, busy, name="Kopi Laris", price=20_000)
    await _paid(session, await _buyer(session), laris, 2, IN_NOVEMBER)
    quiet = await f.merchant(
        session, name="Toko Sepi", kecamatan="Klojen", kelurahan="Oro-oro Dowo", phone="+62811"
    )
    await f.product(session, quiet, name="Kue Sepi", price=10_000)
    await f.product(session, quiet, name="Kopi Sepi", price=12_000, stock=0)
    closed = await f.merchant(
        session, name="Toko Tutup", kecamatan="Klojen", is_open=False, phone="+62812"
    )
    await f.product(session, closed, name="Kue Tutup", price=10_000)
    far = await f.merchant(session, name="Toko Sukun", kecamatan="Sukun", phone="+62814")
    await f.product(session, far, name="Kue Sukun", price=10_000)

    user = tg.user(7401, first_name="Budi", language_code="en")
    await user.send("/dekat")
    places = await user.wait_reply(containing="Shops near you")
    assert places.buttons[0] == "📍 Klojen"
    assert sorted(places.buttons[1:]) == ["Blimbing", "Kedungkandang", "Lowokwaru", "Sukun"]
    await user.click("📍 Klojen", places)
    shops = await user.wait_reply(predicate=lambda m: m.message_id == places.message_id)
    # Open shops only, the one without a sale this month first.
    assert _listed_shops(shops) == ["Toko Sepi", "Toko Laris"]
    assert "Oro-oro Dowo (2 products)" in shops.text
    await user.click("1. Toko Sepi", shops)
    shop = await user.wait_reply(predicate=lambda m: m.message_id == places.message_id)
    assert _listed(shop) == ["Kue Sepi", "Kopi Sepi"] and "2. Kopi Sepi — sold out" in shop.text
    await user.click("1. Kue Sepi", shop)
    card = await user.wait_reply(containing="Kue Sepi")
    assert "Rp10,000" in card.text


def _listed_shops(page) -> list[str]:
    return re.findall(r"^\d+\. (.+?) — ", page.text, flags=re.MULTILINE)
