"""QRIS: a shop registers its code (text or photo); a buyer pays an order by QRIS, from the
shop's acceptance to the quota counting it; payment proofs; forged confirmations."""

import io

import zxingcpp
from PIL import Image

from models import Merchant, Order
from services.qr_image import render_png
from services.qris import make_dynamic
from tests import factories as f
from tests.e2e.conftest import open_bot
from tests.e2e.helpers import checkout, png, reload, shop_with_owner

OWNER = 2001
OTHER_OWNER = 2002
BUYER = 1001

STATIC, DYNAMIC_15000 = f.STATIC_QRIS, f.DYNAMIC_QRIS_15000


def decode(image: bytes) -> list[str]:
    """Read QR codes with zxing-cpp directly (not through the bot's own helper)."""
    with Image.open(io.BytesIO(image)) as picture:
        return [code.text for code in zxingcpp.read_barcodes(picture.convert("L"))]


async def _open_qris_screen(owner):
    await owner.send("/toko")
    board = await owner.wait_reply(containing="Keripik Sanan Bu Tin")
    await owner.click("QRIS", board)
    screen = await owner.wait_reply(containing="QRIS")
    await owner.wait_reply(containing="Waiting for the photo or the text")
    return screen


async def test_registering_qris_by_text(app, tg, session):
    shop = await shop_with_owner(session, OWNER)
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    await open_bot(owner)
    screen = await _open_qris_screen(owner)
    assert "No QRIS is registered yet" in screen.text
    for bad, reason in (
        (STATIC.replace("Sugeng", "Sugang"), "its checksum does not match"),
        (DYNAMIC_15000, "one-time (dynamic) QRIS"),
        ("bukan qris", "not an Indonesian QRIS"),
        (STATIC[:-10], "fields cannot be read"),
    ):
        await owner.send(bad)
        reply = await owner.wait_reply()
        assert "This QRIS cannot be used" in reply.text and reason in reply.text, bad
    assert (await reload(app, Merchant, shop.id)).qris is None
    await owner.send(f"  {STATIC}\n")
    done = await owner.wait_reply(containing="QRIS registered")
    assert "Warung Sayur Bu Sugeng, Kab. Demak · NMID ID1020017611473" in done.text
    assert (await reload(app, Merchant, shop.id)).qris == STATIC
    # Registered: the dashboard says so, and the screen offers to remove it.
    screen = await _open_qris_screen(owner)
    assert "Registered: Warung Sayur Bu Sugeng" in screen.text
    await owner.click("Remove the QRIS", screen)
    await owner.wait_reply(containing="QRIS was removed")
    assert (await reload(app, Merchant, shop.id)).qris is None


async def test_registering_qris_by_photo(app, tg, session):
    shop = await shop_with_owner(session, OWNER)
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    await open_bot(owner)
    await _open_qris_screen(owner)
    await owner.send_photo(png("white"))  # no QR code in it
    reply = await owner.wait_reply()
    assert "could not read a QR code" in reply.text and "paste the QRIS text" in reply.text
    await owner.send_photo(render_png(STATIC.replace("Sugeng", "Sugang")))  # a damaged code
    assert "checksum does not match" in (await owner.wait_reply()).text
    assert (await reload(app, Merchant, shop.id)).qris is None
    # A photo of the printed code: dark on light, a margin, slightly scaled like a camera shot.
    with Image.open(io.BytesIO(render_png(STATIC, scale=6))) as code:
        photo = Image.new("RGB", (code.width + 240, code.height + 160), (235, 230, 220))
        photo.paste(code.convert("RGB"), (120, 80))
        photo = photo.resize((photo.width * 9 // 10, photo.height * 9 // 10))
        buffer = io.BytesIO()
        photo.save(buffer, format="JPEG", quality=85)
    await owner.send_photo(buffer.getvalue())
    done = await owner.wait_reply(containing="QRIS registered")
    assert "Warung Sayur Bu Sugeng" in done.text
    assert (await reload(app, Merchant, shop.id)).qris == STATIC


async def test_staff_cannot_register_a_qris(app, tg, session):
    shop = await shop_with_owner(session, OWNER)
    staff_user = await f.asn_user(session, 2101)
    from models import MerchantMember

    session.add(MerchantMember(merchant_id=shop.id, user_id=staff_user.id, role="staff"))
    await session.commit()
    staff = tg.user(2101, first_name="Sari", language_code="en")
    menu = await open_bot(staff)
    tap = await staff.click_data(menu, f"mt:{shop.id}:qris")
    assert "Only the shop's owner" in (await staff.wait_answer(tap))["text"]
    await staff.send(STATIC)  # not in the QRIS step: just a search
    assert "🔎" in (await staff.wait_reply()).text
    assert (await reload(app, Merchant, shop.id)).qris is None


async def test_order_paid_by_qris_from_acceptance_to_the_quota(app, tg, session):
    shop = await shop_with_owner(session, OWNER)
    shop.qris = STATIC
    session.add(shop)
    await session.commit()
    other = await shop_with_owner(session, OTHER_OWNER, name="Batik Celaket", phone="+628133")
    keripik = await f.product(session, shop, name="Keripik Tempe Sanan", price=25_000, stock=5)
    await f.asn_user(session, BUYER)
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    other_owner = tg.user(OTHER_OWNER, first_name="Sri", language_code="en")
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    for user in (owner, other_owner, buyer):
        await open_bot(user)

    summary = await checkout(buyer, keripik.id, quantity=2)
    assert any("pay cash" in b for b in summary.buttons)  # other ways stay available
    assert any("pay by transfer" in b for b in summary.buttons)
    await buyer.click("pay by QRIS", summary)
    await buyer.wait_reply(containing="Order placed")
    new = await owner.wait_reply(containing="New order")
    assert "Payment: QRIS" in new.text
    order_id = int(new.text.split("#")[1].split()[0])

    # Another shop forges "accept" and "payment received" on this order: refused.
    other_msg = await open_bot(other_owner)
    for data in (f"o:{order_id}:accept", f"o:{order_id}:pay", f"mp:{order_id}:no"):
        tap = await other_owner.click_data(other_msg, data)
        assert "not allowed" in (await other_owner.wait_answer(tap))["text"], data

    await owner.click("Accept", new)
    await buyer.wait_reply(containing="was accepted")
    qr = await buyer.wait_reply(predicate=lambda m: m.photo is not None)
    expected = make_dynamic(STATIC, 50_000)
    assert decode(qr.photo) == [expected]
    assert "Pay order #" in qr.text and "Rp50,000" in qr.text
    assert "Keripik Sanan Bu Tin" in qr.text and expected in qr.text  # the text to copy
    assert "5405500005802ID" in expected  # tag 54 = 50000, in tag order before 58

    await buyer.send("/kuota")
    quota = await buyer.wait_reply(containing="Minimum spend")
    assert "Counted so far: Rp0" in quota.text

    # The buyer sends a proof; the shop sees it with its two answers; the quota is unchanged.
    await buyer.click("Send payment proof", qr)
    await buyer.wait_reply(containing="Send a photo or screenshot of your payment")
    await buyer.send_document(png("green"), "bukti.png", "image/png")
    assert "as a photo" in (await buyer.wait_reply()).text
    proof_bytes = png("green")
    await buyer.send_photo(proof_bytes)
    await buyer.wait_reply(containing="was sent to the shop")
    proof = await owner.wait_reply(predicate=lambda m: m.photo is not None)
    assert proof.photo == proof_bytes
    assert f"Payment proof for order #{order_id}" in proof.text and "Rp50,000" in proof.text
    assert {"💰 Payment received", "❌ Not received"} <= set(proof.buttons)
    order = await reload(app, Order, order_id)
    assert order.status == "accepted" and order.proof_file_id and order.paid_at is None
    await buyer.send("/kuota")
    assert "Counted so far: Rp0" in (await buyer.wait_reply(containing="Minimum")).text

    # A forged "payment received" from the other shop on the proof is refused too.
    tap = await other_owner.click_data(
        other_msg, proof.button("Payment received")["callback_data"]
    )
    assert "not allowed" in (await other_owner.wait_answer(tap))["text"]

    # "Not received": the buyer is asked to check, and sends a new proof.
    await owner.click("Not received", proof)
    told = await buyer.wait_reply(containing="has not received your payment")
    assert (await reload(app, Order, order_id)).proof_file_id is None
    await buyer.click("Send payment proof", told)
    await buyer.wait_reply(containing="Send a photo")
    await buyer.send_photo(png("blue"))
    await buyer.wait_reply(containing="was sent to the shop")
    proof = await owner.wait_reply(predicate=lambda m: m.photo == png("blue"))

    await owner.click("Payment received", proof)
    paid = await buyer.wait_reply(containing="confirmed your payment")
    assert "Counts toward your minimum" in paid.text
    await buyer.send("/kuota")
    after = await buyer.wait_reply(containing="Minimum spend")
    assert "Counted so far: Rp50,000" in after.text
    assert f"#{order_id} Keripik Sanan Bu Tin" in after.text
    order = await reload(app, Order, order_id)
    assert order.status == "paid" and order.paid_at is not None
    # A proof after the confirmation is refused (nothing is waiting for one).
    tap = await buyer.click_data(paid, f"mp:{order_id}:send")
    assert "once the shop has accepted" in (await buyer.wait_answer(tap))["text"]
    assert other.id


async def test_no_qris_choice_for_a_shop_without_one(app, tg, session):
    shop = await shop_with_owner(session, OWNER)
    keripik = await f.product(session, shop, name="Keripik Tempe Sanan", price=25_000, stock=5)
    await f.asn_user(session, BUYER)
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(tg.user(OWNER, first_name="Tin", language_code="en"))
    summary = await checkout(buyer, keripik.id, quantity=2)
    assert not any("QRIS" in b for b in summary.buttons)
    cash = summary.button("pay cash")["callback_data"]
    forged = await buyer.click_data(summary, cash.replace(":cash", ":qris"))
    assert "does not accept QRIS" in (await buyer.wait_answer(forged))["text"]
    async with app.db.session() as s:
        from sqlmodel import select

        assert (await s.exec(select(Order))).all() == []
