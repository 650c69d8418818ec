"""Files over the bot's limits and texts of Telegram's 4,096 characters, through the real
handlers: a polite answer in the user's language, nothing changed, and the bot never asks
Telegram for a file it will not read (getFile refuses those over 20 MB: "file is too big")."""

from __future__ import annotations

from sqlmodel import func, select

from models import Merchant, OutsidePhoto, OutsidePurchase, User
from tests import factories as f
from tests.e2e.conftest import open_bot
from tests.e2e.helpers import png, reload, shop_with_owner

ASN, OWNER, STRANGER = 1001, 2001, 3001
MB = 1024 * 1024


def image_file(megabytes: float) -> bytes:
    """A PNG padded to this size (what a phone's scan sent "as a file" may weigh)."""
    data = png()
    return data + b"\0" * (int(megabytes * MB) - len(data))


def downloads(tg) -> int:
    return sum(1 for call in tg.requests if call.method == "getFile")


async def _to_the_photo_step(asn) -> None:
    """tests/e2e/test_outside.py's report, up to the photos."""
    await asn.send("/belanja_luar")
    await asn.wait_reply(containing="What is the shop's name?")
    await asn.send("Warung Bu Sri")
    kecamatan = await asn.wait_reply(containing="In which kecamatan")
    await asn.click("Lowokwaru", kecamatan)
    kelurahan = await asn.wait_reply(containing="Which kelurahan?")
    await asn.click("Tlogomas", kelurahan)
    await asn.wait_reply(containing="What did you buy?")
    await asn.send("nasi pecel 3 bungkus")
    await asn.wait_reply(containing="How much did you pay")
    await asn.send("45rb")
    when = await asn.wait_reply(containing="On which day")
    await asn.click("Today", when)
    await asn.wait_reply(containing="Send one or more photos")


async def test_an_outside_purchase_photo_too_large_is_refused_unread(app, tg, session):
    await f.asn_user(session, ASN)
    asn = tg.user(ASN, first_name="Budi", language_code="en")
    await open_bot(asn)
    await _to_the_photo_step(asn)
    for size, shown in ((12, "12,0 MB"), (21, "21,0 MB")):  # over the bot's 10, Telegram's 20
        await asn.send_document(image_file(size), "nota.png", "image/png")
        reply = await asn.wait_reply()
        assert f"This file is too large ({shown}; at most 10 MB)" in reply.text
    assert downloads(tg) == 0
    async with app.db.session() as s:
        assert (await s.exec(select(func.count()).select_from(OutsidePhoto))).one() == 0
    await asn.send_document(image_file(0.5), "nota.png", "image/png")  # still in the step
    await asn.wait_reply(containing="1 photo received")


async def test_a_qris_scan_too_large_is_refused_unread_in_indonesian(app, tg, session):
    shop = await shop_with_owner(session, OWNER)
    async with app.db.session() as s:
        owner_row = (await s.exec(select(User).where(User.telegram_id == OWNER))).one()
        owner_row.language = "id"
        s.add(owner_row)
        await s.commit()
    owner = tg.user(OWNER, first_name="Tin", language_code="id")
    await open_bot(owner)
    await owner.send("/toko")
    board = await owner.wait_reply(containing="Keripik Sanan Bu Tin")
    await owner.click("QRIS", board)
    await owner.wait_reply(containing="Menunggu foto atau teks")
    await owner.send_document(image_file(25), "qris.png", "image/png")
    reply = await owner.wait_reply()
    assert "File ini terlalu besar (25,0 MB; paling besar 10 MB)" in reply.text
    assert downloads(tg) == 0
    assert (await reload(app, Merchant, shop.id)).qris is None


LONGEST = "<b>&" * 1024  # 4,096 characters, each one HTML would expand


async def test_texts_of_4096_characters_get_a_polite_answer_and_change_nothing(app, tg, session):
    await f.roster(session, "198503122010011001", name="Sari Dewi", phone="+6281234500001")
    stranger = tg.user(STRANGER, first_name="Sari", language_code="en")
    await open_bot(stranger)
    await stranger.send(LONGEST)  # a search
    assert "Nothing found for “&lt;b&gt;&amp;" in (await stranger.wait_reply()).html
    await stranger.click("Register as ASN")
    await stranger.wait_reply(containing="type your")
    await stranger.send(LONGEST)  # as the NIP
    assert "A NIP may only contain digits" in (await stranger.wait_reply()).text
    async with app.db.session() as s:
        row = (await s.exec(select(User).where(User.telegram_id == STRANGER))).one()
        assert row.nip is None

    await f.asn_user(session, ASN)
    asn = tg.user(ASN, first_name="Budi", language_code="en")
    await open_bot(asn)
    await asn.send("/belanja_luar")
    await asn.wait_reply(containing="What is the shop's name?")
    await asn.send(LONGEST)
    assert "2 to 120 characters" in (await asn.wait_reply()).text
    await asn.send("Warung Bu Sri")  # still at that step
    kecamatan = await asn.wait_reply(containing="In which kecamatan")
    await asn.click("Lowokwaru", kecamatan)
    kelurahan = await asn.wait_reply(containing="Which kelurahan?")
    await asn.click("Tlogomas", kelurahan)
    await asn.wait_reply(containing="What did you buy?")
    await asn.send(LONGEST)
    assert "2 to 500 characters" in (await asn.wait_reply()).text
    async with app.db.session() as s:
        assert (await s.exec(select(func.count()).select_from(OutsidePurchase))).one() == 0
