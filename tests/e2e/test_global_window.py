"""Malang Mendunia, the global window, as its users see it: inline sharing in English with
approximate prices, the owner told what a product lacks, verified badges, the weekly showcase
album, inquiries relayed both ways, and the report's global interest."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from models import AuditLog, Certification, Inquiry, Product, ShowcasePost, User
from scheduler.jobs import JobContext, weekly_showcase
from services.leases import Lease
from tests import factories as f
from tests.e2e.conftest import ADMIN_ID, BOT_USERNAME, e2e_settings, open_bot
from tests.e2e.helpers import png, reload, shop_with_owner

OWNER, BUYER, FRIEND = 2001, 1001, 1002
BUYER_PHONE = "+6281299990000"
SHOP_PHONE = "+6281311112222"


def _photo(tg, color: str = "orange") -> str:
    return tg.register_photo(png(color))[-1].file_id


async def _export_ready(
    session, tg, shop, name: str, name_en: str, *, color: str = "orange", **kw
):
    """A product with everything the global window asks for (the shop's NIB verified)."""
    photo = _photo(tg, color)
    product = await f.product(session, shop, name=name, name_en=name_en, photo=photo, **kw)
    product.photo_file_id = photo
    product.description_en = f"{name_en} from Malang, made by hand."
    product.hs_code, product.export_moq, product.monthly_capacity = "20081990", 500, 3000
    product.weight_grams, product.dimensions_cm, product.shelf_life_days = 250, "20x12x5", 180
    session.add(product)
    if not (
        await session.exec(select(Certification).where(Certification.merchant_id == shop.id))
    ).first():
        session.add(
            Certification(
                merchant_id=shop.id,
                kind="nib",
                number=shop.nib,
                status="verified",
                decided_by=ADMIN_ID,
            )
        )
    await session.commit()
    return product


async def _set_rate(tg, text: str):
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    await open_bot(admin)
    await admin.send(text)
    return admin, await admin.wait_reply(containing="1 ")


async def test_inline_query_in_english_gives_english_cards_with_usd_and_a_link_back(
    app, tg, session
):
    shop = await shop_with_owner(session, OWNER)
    chips = await _export_ready(session, tg, shop, "Keripik Tempe Sanan", "Tempeh Chips")
    for n in range(24):  # enough for a second page of results (20 per answer)
        await f.product(session, shop, name=f"Keripik Singkong {n:02d}", price=10_000 + n)
    _admin, saved = await _set_rate(tg, "/kurs USD 16000 2026-11-20")
    assert "1 USD = Rp16,000 as of 20 November 2026" in saved.text

    buyer = tg.user(BUYER, first_name="Emma", language_code="en")
    query = await buyer.wait_inline_answer(await buyer.inline_query("keripik tempe"))
    answer = query.answer
    assert answer["is_personal"] is True and answer["cache_time"] == 60
    first = query.results[0]
    assert first["type"] == "photo" and first["id"] == f"p{chips.id}"
    assert first["title"] == "Tempeh Chips"
    assert "Rp25,000 · ≈ US$1.56" in first["description"]
    posted = buyer.choose_inline_result(query, first["id"])
    assert posted.photo is not None
    assert "Tempeh Chips" in posted.caption and "Keripik Tempe Sanan" not in posted.caption
    assert "≈ US$1.56 (approximate, at the rate of 20 November 2026)" in posted.caption
    assert "✅ NIB 1234567890123 · verified by Diskopindag" in posted.caption
    link = f"https://t.me/{BOT_USERNAME}?start=p{chips.id}"
    assert posted.inline_keyboard[0][0] == {"text": "🛍 Open in TukuLokal", "url": link}

    # The friend in that chat taps the link: the bot opens the product's card.
    friend = tg.user(FRIEND, first_name="Kenji", language_code="en")
    card = await open_bot(friend, f"p{chips.id}")
    assert "Tempeh Chips" in card.caption and "Rp25,000" in card.caption

    # 25 products match "keripik": 20 in the first answer, the other 5 with its next_offset.
    page1 = await buyer.wait_inline_answer(await buyer.inline_query("keripik"))
    assert len(page1.results) == 20 and page1.next_offset == "1"
    page2 = await buyer.wait_inline_answer(await buyer.inline_query("keripik", page1.next_offset))
    assert len(page2.results) == 5 and page2.next_offset == ""
    ids = [r["id"] for r in page1.results + page2.results]
    assert len(set(ids)) == 25
    # Products without a photo are articles whose message is the card's text.
    article = next(r for r in page2.results if r["type"] == "article")
    assert "Rp10," in article["input_message_content"]["message_text"]


async def test_a_product_without_hs_code_stays_out_of_the_global_window_and_the_owner_is_told(
    app, tg, session
):
    shop = await shop_with_owner(session, OWNER)
    chips = await _export_ready(session, tg, shop, "Keripik Tempe Sanan", "Tempeh Chips")
    chips.hs_code = None
    session.add(chips)
    await session.commit()
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    await open_bot(owner)
    await owner.send("/toko")
    board = await owner.wait_reply(containing="Keripik Sanan Bu Tin")
    assert "🌍 Global window: 0 of 1 products ready" in board.text
    await owner.click("🌍 Global window", board)
    window = await owner.wait_reply(containing="Global window of")
    assert "0 of 1 products are ready" in window.text
    assert "Not yet in the global window. Missing: HS code." in window.text
    # Buyers' card: not export-ready.
    buyer = tg.user(BUYER, first_name="Emma", language_code="en")
    card = await open_bot(buyer, f"p{chips.id}")
    assert "Export-ready" not in card.caption

    await owner.click("Keripik Tempe Sanan", window)
    details = await owner.wait_reply(containing="Export details of")
    assert "HS code: —" in details.text
    await owner.click("HS code", details)
    await owner.wait_reply(containing="Type the HS code")
    await owner.send("2008")
    refused = await owner.wait_reply(containing="6 to 10 digits")
    assert "Tap Cancel" in refused.text
    assert (await reload(app, Product, chips.id)).hs_code is None
    await owner.send("2008.19.90")
    done = await owner.wait_reply(containing="Export details of")
    assert "HS code: 20081990" in done.text and "✅ Ready for the global window." in done.text
    card = await open_bot(buyer, f"p{chips.id}")
    assert "🌍 Export-ready: in Malang's global window" in card.caption
    assert "HS code: 20081990" in card.caption


async def test_a_halal_badge_shows_as_verified_only_once_diskopindag_verified_it(app, tg, session):
    shop = await shop_with_owner(session, OWNER)
    chips = await _export_ready(session, tg, shop, "Keripik Tempe Sanan", "Tempeh Chips")
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    await open_bot(owner)
    await owner.send("/produk")
    await owner.click("Keripik Tempe Sanan", await owner.wait_reply(containing="Products of"))
    manage = await owner.wait_reply(containing="Keripik Tempe Sanan")
    await owner.click("🌍 Export details", manage)
    details = await owner.wait_reply(containing="Export details of")
    await owner.click("Halal", details)
    await owner.wait_reply(containing="halal certificate number")
    await owner.send("halal 12345")
    await owner.wait_reply(containing="does not look like a Halal number")
    await owner.send("ID35110000123450123")
    await owner.wait_reply(containing="Diskopindag verifies the number")

    buyer = tg.user(BUYER, first_name="Emma", language_code="en")
    card = await open_bot(buyer, f"p{chips.id}")
    assert "▫️ Halal ID35110000123450123 · not verified yet" in card.caption
    assert "✅ Halal" not in card.caption

    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    await open_bot(admin)
    await admin.send("/mendunia")
    home = await admin.wait_reply(containing="Malang Mendunia")
    assert "Numbers waiting for verification: 1" in home.text
    assert "1. Halal ID35110000123450123 — Keripik Tempe Sanan · Keripik Sanan Bu Tin" in home.text
    await admin.click("✅ 1. verified", home)
    after = await admin.wait_reply(predicate=lambda m: m.message_id == home.message_id)
    assert "Numbers waiting for verification: 0" in after.text
    # A second tap on the old button changes nothing and does not fail.
    await admin.click_data(after, home.inline_keyboard[0][0]["callback_data"])
    await app.wait_handled()

    card = await open_bot(buyer, f"p{chips.id}")
    assert "✅ Halal ID35110000123450123 · verified by Diskopindag" in card.caption
    entries = (
        await session.exec(select(AuditLog).where(AuditLog.action == "certification_verified"))
    ).all()
    assert len(entries) == 1 and entries[0].actor_telegram_id == ADMIN_ID


async def test_the_weekly_showcase_album_posts_once_in_both_languages_also_after_a_restart(
    tg, db, session, clock
):
    from tests.e2e.conftest import BotApp

    settings = e2e_settings(tg, db, showcase_channel="@malangmendunia", showcase_day="friday",
                            showcase_hour=10)  # fmt: skip
    channel = tg.channel("malangmendunia", title="Malang Mendunia")
    app = BotApp(settings, clock, tg)
    await app.start()
    try:
        shop = await shop_with_owner(session, OWNER)
        other = await shop_with_owner(session, OWNER + 1, name="Batik Tulis Celaket", code="B01",
                                      phone="+6281322223333")  # fmt: skip
        chips = await _export_ready(session, tg, shop, "Keripik Tempe Sanan", "Tempeh Chips")
        batik = await _export_ready(
            session, tg, other, "Batik Tulis Malangan", "Malang Batik", color="blue",
            category_slug="fesyen", price=350_000,
        )  # fmt: skip
        await f.product(session, shop, name="Sambal Bawang")  # no photo: not in the window

        def new_ctx():
            return JobContext(app.db, app.bot, settings.policy(), clock, Lease(app.db, clock))

        ctx = new_ctx()
        clock.now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # Friday 09:00 WIB: not yet
        assert await weekly_showcase(ctx) == "not_due"
        clock.now = datetime(2026, 11, 27, 3, 5, tzinfo=UTC)  # Friday 10:05 WIB
        assert await weekly_showcase(ctx) == "posted"
        album = tg.chat(channel.id)
        assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
        captions = {m.caption for m in album}
        chips_caption = next(c for c in captions if "Keripik Tempe Sanan" in c)
        assert "🇮🇩 Keripik Tempe Sanan — Rp25.000" in chips_caption
        assert "🇬🇧 Tempeh Chips — Rp25,000" in chips_caption
        assert f"https://t.me/{BOT_USERNAME}?start=p{chips.id}" in chips_caption
        assert any(f"start=p{batik.id}" in c for c in captions)
        assert all(len(c) <= 1024 for c in captions)

        assert await weekly_showcase(ctx) == "already"
        await app.restart()  # a new process: it takes the lease once the old one expired
        clock.advance(hours=3)
        assert await weekly_showcase(new_ctx()) == "already"
        assert len(tg.chat(channel.id)) == 2
        assert len(tg.calls("sendMediaGroup")) == 1
        post = await reload(app, ShowcasePost, date(2026, 11, 23))
        assert post.status == "posted"
    finally:
        await app.stop()


async def test_an_inquiry_round_trips_without_phones_and_the_report_counts_it(
    app, tg, session, clock
):
    shop = await shop_with_owner(session, OWNER)
    owner_account = (await session.exec(select(User).where(User.telegram_id == OWNER))).one()
    owner_account.language = "id"  # the shop reads Indonesian, the buyer writes English
    session.add(owner_account)
    await session.commit()
    chips = await _export_ready(session, tg, shop, "Keripik Tempe Sanan", "Tempeh Chips")
    buyer = tg.user(BUYER, first_name="Emma", language_code="en", phone=BUYER_PHONE)
    owner = tg.user(OWNER, first_name="Tin", language_code="id")
    await open_bot(owner)
    card = await open_bot(buyer, f"p{chips.id}")
    await buyer.click("✉️ Ask for a quote", card)
    ask = await buyer.wait_reply(containing="Ask for a quote")
    assert "minimum order for export is 500" in ask.text
    await buyer.send("100")
    await buyer.wait_reply(containing="Please type 500 or more")
    await buyer.send("600")
    await buyer.wait_reply(containing="To which country")
    await buyer.send("Atlantis")
    await buyer.wait_reply(containing="We do not know that country")
    await buyer.send("Japan")
    await buyer.wait_reply(containing="Your message to the shop")
    await buyer.send("Can you ship 600 packs FOB Surabaya in January?")
    sent = await buyer.wait_reply(containing="was sent to Keripik Sanan Bu Tin")
    inquiry = (await session.exec(select(Inquiry))).one()
    assert f"Inquiry #{inquiry.id}" in sent.text

    news = await owner.wait_reply(containing="Permintaan penawaran #")
    assert f"Permintaan penawaran #{inquiry.id} · baru" in news.text
    assert "600 bungkus · 🌍 ke Jepang" in news.text
    assert "Pembeli menulis dalam bahasa Inggris." in news.text
    assert "Pembeli: «Can you ship 600 packs FOB Surabaya in January?»" in news.text
    clock.advance(hours=2)
    await owner.click("💰 Kirim penawaran", news)
    await owner.wait_reply(containing="Ketik penawaran Anda")
    await owner.send("Rp20.000 per pack, FOB Tanjung Perak, valid 14 days")
    await owner.wait_reply(containing="Terkirim.")
    quote = await buyer.wait_reply(containing="Your inquiry")
    assert f"Your inquiry #{inquiry.id}</b> · quoted" in (quote.html or quote.text) or (
        f"Your inquiry #{inquiry.id} · quoted" in quote.text
    )
    assert (
        "Quote from the shop: «Rp20.000 per pack, FOB Tanjung Perak, valid 14 days»" in quote.text
    )
    await buyer.click("↩️ Reply", quote)
    await buyer.wait_reply(containing="Type your reply")
    await buyer.send("Deal, please send the proforma.")
    await buyer.wait_reply(containing="Sent.")
    back = await owner.wait_reply(containing="Pembeli: «Deal, please send the proforma.»")
    assert "sudah ditawar" in back.text

    # Neither side ever saw the other's phone number or account.
    for person, other_phone in ((owner, BUYER_PHONE), (buyer, SHOP_PHONE)):
        for message in person.bot_messages:
            assert other_phone not in (message.text or "")
            assert other_phone.lstrip("+") not in (message.text or "")
            assert "tg://user" not in (message.html or "")
    stored = await reload(app, Inquiry, inquiry.id)
    assert stored.status == "quoted" and stored.answered_at is not None

    # The shop sees it in /toko → Permintaan penawaran.
    await owner.send("/toko")
    board = await owner.wait_reply(containing="Keripik Sanan Bu Tin")
    assert "✉️ Permintaan penawaran baru: 0" in board.text
    await owner.click("✉️ Permintaan penawaran", board)
    listed = await owner.wait_reply(containing="Permintaan penawaran untuk")
    assert "baru: 0 · dijawab: 0 · sudah ditawar: 1 · ditutup: 0" in listed.text
    assert f"#{inquiry.id} · sudah ditawar · Keripik Tempe Sanan · 600 bungkus → Jepang" in (
        listed.text
    )

    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    await open_bot(admin)
    await admin.send("/laporan")
    section = await admin.wait_reply(containing="Global interest")
    assert "Global interest · November 2026" in section.text
    assert "Inquiries: 1 · answered by the shop: 100%" in section.text
    assert "Median time to the first answer: 2.0 hours" in section.text
    assert "By destination: Japan 1" in section.text
    assert "By product: Keripik Tempe Sanan 1" in section.text

    # Closing: the buyer closes it; a reply to it afterwards is refused politely.
    await buyer.click("✔️ Close", quote)
    told = await owner.wait_reply(containing="· ditutup")
    assert told.buttons == []  # nothing more to answer
    assert (await reload(app, Inquiry, inquiry.id)).status == "closed"
    refused = await owner.wait_answer(await owner.click("↩️ Balas", back))
    assert "sudah ditutup" in refused["text"]


async def test_the_translation_queue_is_written_by_people_and_follows_the_indonesian_text(
    app, tg, session, clock
):
    shop = await shop_with_owner(session, OWNER)
    chips = await f.product(session, shop, name="Keripik Tempe Sanan")
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    await open_bot(admin)
    await admin.send("/terjemahan")
    queue = await admin.wait_reply(containing="Translation queue")
    assert "Translation queue (1)" in queue.text
    assert "1. Keripik Tempe Sanan · Keripik Sanan Bu Tin — English missing" in queue.text
    await admin.click("1. Keripik Tempe Sanan", queue)
    intro = await admin.wait_reply(containing="Type the English name")
    assert "🇮🇩 Keripik tempe renyah khas Sanan, Malang." in intro.text
    await admin.send("x")  # too short for a name
    await admin.wait_reply(containing="Tap Cancel")
    await admin.send("Tempeh Chips")
    await admin.wait_reply(containing="Now type the English description")
    await admin.send("Crispy tempeh chips from Sanan, Malang.")
    await admin.wait_reply(containing="Translation of Keripik Tempe Sanan saved")
    empty = await admin.wait_reply(containing="Translation queue (0)")
    assert "Every product has its English text up to date." in empty.text
    stored = await reload(app, Product, chips.id)
    assert (stored.name_en, stored.description_en) == (
        "Tempeh Chips",
        "Crispy tempeh chips from Sanan, Malang.",
    )

    # The shop changes the Indonesian description later: the English one is outdated.
    clock.advance(hours=1)
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    await open_bot(owner)
    await owner.send("/produk")
    await owner.click("Keripik Tempe Sanan", await owner.wait_reply(containing="Products of"))
    await owner.click("📝 Description", await owner.wait_reply(containing="Keripik Tempe Sanan"))
    await owner.wait_reply(containing="new description")
    await owner.send("Keripik tempe renyah, kini juga rasa balado.")
    await owner.wait_reply(containing="Saved")
    await admin.send("/terjemahan")
    again = await admin.wait_reply(containing="Translation queue (1)")
    assert "English older than the Indonesian text" in again.text


async def test_administrators_preview_and_skip_the_week_and_shops_ask_for_their_nib(
    tg, db, session, clock
):
    from tests.e2e.conftest import BotApp

    settings = e2e_settings(tg, db, showcase_channel="@malangmendunia")
    channel = tg.channel("malangmendunia")
    app = BotApp(settings, clock, tg)
    await app.start()
    try:
        shop = await shop_with_owner(session, OWNER)
        other = await shop_with_owner(
            session, OWNER + 1, name="Batik Tulis Celaket", code="B01", phone="+6281322223333"
        )
        await _export_ready(session, tg, shop, "Keripik Tempe Sanan", "Tempeh Chips")
        await _export_ready(session, tg, other, "Batik Tulis Malangan", "Malang Batik")
        newcomer = await shop_with_owner(
            session, OWNER + 2, name="Kopi Dampit", code="K01", phone="+6281344445555"
        )
        admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
        await open_bot(admin)
        await admin.send("/mendunia")
        home = await admin.wait_reply(containing="Malang Mendunia")
        assert (
            "📣 Showcase in @malangmendunia, weekly on Friday at 10:00 WIB. The week of "
            "23 November 2026: planned." in home.text
        )
        await admin.click("👀 Preview", home)
        preview = await admin.wait_reply(predicate=lambda m: m.photo is not None)
        assert "🇬🇧" in preview.caption
        await admin.click("⏭ Skip this week", home)
        skipped = await admin.wait_reply(containing="skipped by an administrator")
        assert "↩️ Post this week after all" in skipped.buttons
        ctx = JobContext(app.db, app.bot, settings.policy(), clock, Lease(app.db, clock))
        clock.now = datetime(2026, 11, 27, 3, 30, tzinfo=UTC)
        assert await weekly_showcase(ctx) == "skipped"
        assert tg.chat(channel.id) == []

        # A new shop asks the city to verify its NIB from /toko → Global window.
        owner = tg.user(OWNER + 2, first_name="Dimas", language_code="en")
        await open_bot(owner)
        await owner.send("/toko")
        board = await owner.wait_reply(containing="Kopi Dampit")
        await owner.click("🌍 Global window", board)
        window = await owner.wait_reply(containing="Global window of Kopi Dampit")
        assert "NIB 1234567890123: not submitted for verification" in window.text
        await owner.click("📨 Ask Diskopindag to verify the NIB", window)
        asked = await owner.wait_reply(containing="waiting for verification")
        assert "📨" not in " ".join(asked.buttons)
        await admin.send("/mendunia")
        listed = await admin.wait_reply(containing="Numbers waiting for verification: 1")
        assert "1. NIB 1234567890123 — the shop · Kopi Dampit (NIB 1234567890123)" in listed.text
        cert = (
            await session.exec(
                select(Certification).where(Certification.merchant_id == newcomer.id)
            )
        ).one()
        assert cert.status == "pending" and cert.product_id is None

        # A week later the old screen's button does not undo last week's skip.
        clock.advance(days=7)
        old = await admin.wait_answer(await admin.click("↩️ Post this week after all", skipped))
        assert "earlier week" in old["text"]
        last_week = await reload(app, ShowcasePost, date(2026, 11, 23))
        assert last_week.status == "skipped"
    finally:
        await app.stop()


async def test_a_buyer_picks_the_currency_of_approximate_prices(app, tg, session):
    shop = await shop_with_owner(session, OWNER)
    chips = await f.product(session, shop, name="Keripik Tempe Sanan", name_en="Tempeh Chips")
    await _set_rate(tg, "/kurs USD 16000 2026-11-20")
    await _set_rate(tg, "/kurs JPY 106,5 2026-11-21")
    buyer = tg.user(BUYER, first_name="Budi", language_code="id")
    card = await open_bot(buyer, f"p{chips.id}")
    assert "≈" not in card.text  # Indonesian readers see rupiah unless they choose
    await buyer.send("/mata_uang")
    menu = await buyer.wait_reply(containing="Perkiraan harga")
    assert "1 JPY = Rp106 (per 21 November 2026)" in menu.text
    await buyer.click("JPY", menu)
    await buyer.wait_reply(predicate=lambda m: m.message_id == menu.message_id)
    card = await open_bot(buyer, f"p{chips.id}")
    assert "≈ JP¥235 (perkiraan, dengan kurs 21 November 2026)" in card.text
    stale = await buyer.wait_answer(await buyer.click_data(menu, "cu:XYZ"))
    assert "tidak tersedia" in stale["text"]
