"""Purchases outside the catalog, exemption requests and outage credit, as users see them."""

from __future__ import annotations

import io
import random
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
from PIL import Image, ImageDraw, ImageFilter
from sqlmodel import select

from models import AdminAccount, AuditLog
from scheduler.jobs import JobContext, deadline_reminders, month_closing
from services.leases import Lease
from tests import factories as f
from tests.e2e.conftest import ADMIN_ID, open_bot

ASN, ASN_2 = 1001, 1002
OPERATOR, OTHER_OPERATOR = 3001, 3002
OPERATORS = (OPERATOR, OTHER_OPERATOR)
WIB = ZoneInfo("Asia/Jakarta")


def picture(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A photo-like picture (blurred shapes), different for each seed."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randint(0, 255) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(25):
        x, y = rng.randint(-100, size[0] - 40), rng.randint(-100, size[1] - 40)
        w, h = rng.randint(40, 300), rng.randint(40, 300)
        draw.ellipse((x, y, x + w, y + h), fill=tuple(rng.randint(0, 255) for _ in range(3)))
    return image.filter(ImageFilter.GaussianBlur(2))


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def wib(day: int, hour: int = 10, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=WIB)


async def _people(tg, session):
    await f.asn_user(session, ASN)  # Budi Santoso, Diskominfo, golongan III (Rp500,000)
    session.add(AdminAccount(telegram_id=OPERATOR, role="opd_operator", opd="Diskominfo"))
    session.add(AdminAccount(telegram_id=OTHER_OPERATOR, role="opd_operator", opd="Dinkes"))
    await session.commit()
    asn = tg.user(ASN, first_name="Budi", language_code="en")
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    operators = [tg.user(t, first_name="Operator", language_code="en") for t in OPERATORS]
    for person in (asn, admin, *operators):
        await open_bot(person)
    return asn, admin


async def report(
    asn,
    photos: list[bytes],
    *,
    shop: str = "Warung Bu Sri",
    amount: str = "45rb",
    album: bool = True,
) -> int:
    """The ASN reports a purchase of today through /belanja_luar; returns its number."""
    await asn.send("/belanja_luar")
    await asn.wait_reply(containing="What is the shop's name?")
    await asn.send(shop)
    kecamatan = await asn.wait_reply(containing="In which kecamatan")
    await asn.click("Lowokwaru", kecamatan)
    kelurahan = await asn.wait_reply(containing="Which kelurahan?")
    await asn.click("Tlogomas", kelurahan)
    await asn.wait_reply(containing="What did you buy?")
    await asn.send("nasi pecel 3 bungkus, es teh 3")
    await asn.wait_reply(containing="How much did you pay")
    await asn.send(amount)
    when = await asn.wait_reply(containing="On which day")
    await asn.click("Today", when)
    await asn.wait_reply(containing="Send one or more photos")
    for photo in photos:
        await asn.send_photo(photo, media_group_id="album-1" if album else None)
    n = len(photos)
    done = await asn.wait_reply(containing=f"{n} photo{'s' if n > 1 else ''} received")
    await asn.click("Done", done)
    preview = await asn.wait_reply(containing="Check your report")
    assert f"Photos: {n}" in preview.text
    await asn.click("Submit", preview)
    sent = await asn.wait_reply(containing="was sent for verification")
    return int(sent.text.split("#")[1].split()[0])


async def open_queue(verifier, label: str = "Purchases"):
    await verifier.send("/verifikasi")
    menu = await verifier.wait_reply(containing="Verification")
    await verifier.click(label, menu)
    return menu


async def test_a_receipt_with_two_photos_is_verified_by_the_admin_and_counted(app, tg, session):
    asn, admin = await _people(tg, session)
    await f.merchant(session, name="Keripik Sanan Bu Tin")
    await asn.send("/belanja_luar")
    await asn.wait_reply(containing="What is the shop's name?")
    await asn.send("keripik sanan  bu tin")  # a registered shop: its orders count by themselves
    told = await asn.wait_reply(containing="is registered in TukuLokal")
    assert "please order from it in the catalog" in told.text
    await asn.press("Cancel")
    await asn.wait_reply(containing="Nothing was changed")
    number = await report(asn, [jpeg(picture(1)), jpeg(picture(2))])
    assert number == 1

    # The operator of another OPD sees nothing, and cannot decide it with a forged tap.
    other = tg.user(OTHER_OPERATOR)
    menu = await open_queue(other)
    assert "Purchases outside the catalog waiting: 0" in menu.text
    await other.wait_reply(containing="Nothing is waiting for verification")
    forged = await other.click_data(menu, "vf:ok:p:1:0")
    assert "not allowed" in (await other.wait_answer(forged))["text"]

    menu = await open_queue(admin)
    assert "Purchases outside the catalog waiting: 1" in menu.text
    review = await admin.wait_reply(containing="Verification #1")
    album = [m for m in tg.chats[ADMIN_ID] if m.from_bot and m.media_group_id]
    assert len(album) == 2
    assert "Budi Santoso (Diskominfo)" in review.text
    assert "Warung Bu Sri</b>, Tlogomas, Lowokwaru" in review.html
    assert "Amount: Rp45,000 on 27 November 2026" in review.text
    assert "No warning." in review.text
    await admin.click("Approve", review)
    await admin.wait_reply(containing="#1 approved.")
    told = await asn.wait_reply(containing="was verified")
    assert "purchase #1 at Warung Bu Sri (Rp45,000)" in told.text

    await asn.send("/kuota")
    quota = await asn.wait_reply(containing="Minimum spend")
    assert "Counted so far: Rp45,000" in quota.text
    assert "Remaining: Rp455,000" in quota.text
    assert "#1 Warung Bu Sri — Rp45,000 (27 November 2026): ✅ approved" in quota.text
    assert "Counted: Rp45,000 (at most Rp250,000, 50% of the minimum)" in quota.text
    # A second tap on Approve (an old message's button) changes nothing.
    again = await admin.click_data(review, "vf:ok:p:1:0")
    assert "already decided" in (await admin.wait_answer(again))["text"]
    async with app.db.session() as s:
        actions = (await s.exec(select(AuditLog.action))).all()
    assert actions.count("outside_approve") == 1


async def test_the_same_photo_recompressed_and_cropped_is_flagged(app, tg, session):
    asn, admin = await _people(tg, session)
    original = picture(7)
    await report(asn, [jpeg(original)], album=False)
    await f.asn_user(session, ASN_2, f.PNS_NIP_2, name="Siti Aminah", opd="Dinkes")
    siti = tg.user(ASN_2, first_name="Siti", language_code="en")
    await open_bot(siti)
    width, height = original.size
    cropped = original.crop((int(width * 0.05), int(height * 0.05), width, height))
    await report(
        siti, [jpeg(cropped.resize((600, 450)), quality=55)], shop="Toko Pak Man", album=False
    )
    await open_queue(admin)
    first = await admin.wait_reply(containing="Verification #1")
    assert "The same photo is in 1 other submission." in first.text
    await admin.click("Skip", first)
    second = await admin.wait_reply(containing="Verification #2")
    assert "Siti Aminah (Dinkes)" in second.text
    assert "The same photo is in 1 other submission." in second.text
    await admin.click("Reject", second)
    reasons = await admin.wait_reply(containing="Why is #2 rejected?")
    await admin.click("this proof was already submitted", reasons)
    await admin.wait_reply(containing="#2 rejected")
    told = await siti.wait_reply(containing="was not accepted")
    assert "this proof was already submitted" in told.text
    await siti.send("/kuota")
    quota = await siti.wait_reply(containing="Minimum spend")
    assert "Counted so far: Rp0" in quota.text
    assert "❌ rejected: this proof was already submitted" in quota.text


async def test_the_monthly_share_caps_what_outside_purchases_count(app, tg, session):
    asn, admin = await _people(tg, session)
    await report(asn, [jpeg(picture(3))], amount="300.000", album=False)
    await f.asn_user(session, ASN_2, f.PNS_NIP_2, name="Siti Aminah", opd="Dinkes")
    siti = tg.user(ASN_2, first_name="Siti", language_code="en")
    await open_bot(siti)
    await report(siti, [jpeg(picture(5))], amount="60rb", album=False)
    await open_queue(admin)
    for number in (1, 2):
        review = await admin.wait_reply(containing=f"Verification #{number}")
        await admin.click("Approve", review)
        await admin.wait_reply(containing=f"#{number} approved.")
    await asn.send("/kuota")
    quota = await asn.wait_reply(containing="Minimum spend")
    assert "Counted so far: Rp250,000" in quota.text
    assert "Counted: Rp250,000 (at most Rp250,000, 50% of the minimum)" in quota.text
    assert "Approved Rp300,000: above the share, the rest does not count." in quota.text
    assert "Remaining: Rp250,000" in quota.text

    # The share is the administrators' to set, from a month on.
    await admin.send("/porsi_luar 40")
    await admin.wait_reply(containing="count up to 40% of the minimum from November 2026 on")
    await asn.send("/kuota")
    quota = await asn.wait_reply(containing="Minimum spend")
    assert "Counted so far: Rp200,000" in quota.text
    await asn.send("/porsi_luar 90")
    await asn.wait_reply(containing="not allowed")

    # The same unregistered shop in several approved purchases: a shop to invite.
    await admin.send("/calon_umkm")
    shops = await admin.wait_reply(containing="Shops to invite")
    assert "Warung Bu Sri (Lowokwaru): 2 ASN, Rp360,000" in shops.text
    await admin.click("CSV", shops)
    document = await admin.wait_reply(predicate=lambda m: m.document is not None)
    data, filename = document.document
    assert filename == "calon-umkm.csv"
    rows = data.decode("utf-8-sig").splitlines()
    assert rows[1] == "Warung Bu Sri,Lowokwaru,2,2,360000"


async def test_an_approval_after_closing_shows_as_an_adjustment(app, tg, session, clock):
    asn, admin = await _people(tg, session)
    ctx = JobContext(app.db, app.bot, app.settings.policy(), clock, Lease(app.db, clock))
    assert (await month_closing(ctx))["closed"] == 0  # the jobs run from 27 November on
    await report(asn, [jpeg(picture(4))], amount="100rb", album=False)
    clock.now = wib(1, 2, month=12)  # 1 December, 02:00 WIB: November is over
    assert (await month_closing(ctx))["closed"] == 1
    await open_queue(admin)
    review = await admin.wait_reply(containing="Verification #1")
    assert "November 2026 so far" in review.text
    clock.advance(hours=1)
    await admin.click("Approve", review)
    done = await admin.wait_reply(containing="#1 approved.")
    assert "already closed: it shows as an adjustment" in done.text
    await admin.send("/laporan 2026-11")
    november = await admin.wait_reply(containing="TukuLokal report")
    assert "Month closed on" in november.text
    assert "Met the minimum: 0 of 1" in november.text  # the record stays
    assert "Adjustments to November 2026" in november.text
    assert "1 ASN changed by +Rp100,000" in november.text
    assert "outside the catalog approved after closing: Rp100,000" in november.text
    assert "Approved: 1, Rp100,000 (100.0% of all spend)" in november.text
    await admin.click("Spreadsheet (XLSX)", november)
    document = await admin.wait_reply(timeout=20, predicate=lambda m: m.document is not None)
    book = openpyxl.load_workbook(io.BytesIO(document.document[0]))
    sheet = book["Outside purchases"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:3] == ("No.", "NIP", "Name") and len(rows) == 1
    assert rows[0][4:11] == (
        "Warung Bu Sri", "Lowokwaru", "Tlogomas", "nasi pecel 3 bungkus, es teh 3", 100000,
        "2026-11-27", "approved",
    )  # fmt: skip
    await asn.send("/kuota")
    december = await asn.wait_reply(containing="Minimum spend")
    assert "December 2026" in december.text and "Counted so far: Rp0" in december.text


async def test_an_approved_exemption_request_removes_the_asn_from_the_figures(app, tg, session):
    asn, admin = await _people(tg, session)
    await f.roster(session, f.PNS_NIP_2, name="Siti Aminah", phone=None)
    await admin.send("/laporan")
    before = await admin.wait_reply(containing="TukuLokal report")
    assert "Met the minimum: 0 of 2" in before.text

    await asn.send("/keringanan")
    months = await asn.wait_reply(containing="For which month?")
    assert months.buttons == ["November 2026", "December 2026", "January 2027"]
    await asn.click("November 2026", months)
    reasons = await asn.wait_reply(containing="Why?")
    await asn.click("illness", reasons)
    await asn.wait_reply(containing="Add a few words")
    await asn.send("rawat inap di RSSA")
    await asn.wait_reply(containing="supporting document")
    await asn.send_photo(jpeg(picture(9)))
    await asn.wait_reply(containing="request for November 2026 was sent")

    operator = tg.user(OPERATOR)
    await open_queue(operator, "Exemption requests")
    request = await operator.wait_reply(containing="Exemption request #1")
    assert "Budi Santoso (Diskominfo)" in request.text
    assert "Reason: illness" in request.text and "Note: rawat inap di RSSA" in request.text
    await operator.click("Approve", request)
    await operator.wait_reply(containing="Request #1 approved")
    await asn.wait_reply(containing="exemption request for November 2026 was approved")
    await asn.send("/kuota")
    quota = await asn.wait_reply(containing="Minimum spend")
    assert "You are exempt from the minimum from November 2026 to November 2026" in quota.text
    await admin.send("/laporan")
    after = await admin.wait_reply(containing="TukuLokal report")
    assert "Exempt this month: 1" in after.text
    assert "Met the minimum: 0 of 1" in after.text


async def test_an_outage_moves_the_deadline_and_the_reminder_slots(app, tg, session, clock):
    asn, admin = await _people(tg, session)
    ctx = JobContext(
        app.db,
        app.bot,
        app.settings.policy(),
        clock,
        Lease(app.db, clock),
        sender=app.dp["sender"],
    )
    assert (await month_closing(ctx))["closed"] == 0  # the jobs run from 27 November on
    await asn.send("/kuota")
    quota = await asn.wait_reply(containing="Minimum spend")
    assert "Deadline: 30 November 2026 (3 days left)" in quota.text

    await admin.send("/gangguan")
    await admin.wait_reply(containing="When did the service become unavailable?")
    await admin.send("2026-11-25 08:00")
    await admin.wait_reply(containing="When did it work again?")
    await admin.send("2026-11-26 14:00")  # 30 hours: the deadline moves by 2 days
    confirm = await admin.wait_reply(containing="Declare it?")
    await admin.click("Declare and tell everyone", confirm)
    declared = await admin.wait_reply(containing="Outage declared")
    assert "November 2026: deadline moved by 2 days, to 2 December 2026." in declared.text
    notice = await asn.wait_reply(containing="Service outage", timeout=20)
    assert "The deadline of November 2026 moves by 2 days, to 2 December 2026." in notice.text

    await asn.send("/kuota")
    quota = await asn.wait_reply(containing="Minimum spend")
    assert "Deadline: 2 December 2026 (5 days left)" in quota.text

    # The 3-day reminder was due on 27 November; it is now on 29 November.
    assert await deadline_reminders(ctx) == {"sent": 1, "failed": 0}  # the 7-day one (25th)
    first = await asn.wait_reply(containing="days left")
    assert "<b>5 days left</b>" in first.html
    clock.now = wib(29, 8)
    assert await deadline_reminders(ctx) == {"sent": 0}
    clock.now = wib(29, 9)
    assert await deadline_reminders(ctx) == {"sent": 1, "failed": 0}
    assert "<b>3 days left</b>" in (await asn.wait_reply(containing="days left")).html
    # 1 December: without the outage November would be over and closed; now it is not.
    clock.now = wib(1, 9, month=12)
    assert (await month_closing(ctx))["closed"] == 0
    assert await deadline_reminders(ctx) == {"sent": 1, "failed": 0}
    last = await asn.wait_reply(containing="Only 1 day left")
    assert "Deadline: 2 December 2026" in last.text
    clock.now = wib(3, 1, month=12)
    assert (await month_closing(ctx))["closed"] == 1
    async with app.db.session() as s:
        assert (await s.exec(select(AuditLog.action))).all().count("declare_outage") == 1


async def test_the_verifier_asks_for_another_photo_and_declines_a_request(app, tg, session):
    asn, admin = await _people(tg, session)
    await report(asn, [jpeg(picture(11))], album=False)
    await open_queue(admin)
    review = await admin.wait_reply(containing="Verification #1")
    await admin.click("Ask for another photo", review)
    await admin.wait_reply(containing="Another photo of #1 was asked for.")
    await admin.wait_reply(containing="Nothing is waiting for verification")
    asked = await asn.wait_reply(containing="another photo is needed")
    await asn.send("/kuota")
    quota = await asn.wait_reply(containing="Minimum spend")
    assert "#1 Warung Bu Sri — Rp45,000 (27 November 2026): 📷 another photo is asked for" in (
        quota.text
    )
    await asn.click("Send another photo", asked)
    await asn.wait_reply(containing="Send one or more photos")
    await asn.send("a text instead")
    await asn.wait_reply(containing="Send one or more photos")
    await asn.send_photo(jpeg(picture(12)))
    await asn.wait_reply(containing="Report #1 was sent for verification")
    await open_queue(admin)
    again = await admin.wait_reply(containing="Verification #1")
    photos = [m for m in tg.chats[ADMIN_ID] if m.from_bot and m.media_group_id]
    assert len(photos) == 2  # both photos, as an album
    await admin.click("Reject", again)
    await admin.wait_reply(containing="Why is #1 rejected?")
    await admin.send("struk tidak mencantumkan nama toko")
    await admin.wait_reply(containing="#1 rejected")
    told = await asn.wait_reply(containing="was not accepted")
    assert "struk tidak mencantumkan nama toko" in told.text

    await asn.send("/keringanan")
    months = await asn.wait_reply(containing="For which month?")
    await asn.click("December 2026", months)
    reasons = await asn.wait_reply(containing="Why?")
    await asn.click("another reason", reasons)
    await asn.wait_reply(containing="describe the reason")
    await asn.send("tugas belajar di luar kota")
    document = await asn.wait_reply(containing="supporting document")
    await asn.click("Send without a document", document)
    await asn.wait_reply(containing="request for December 2026 was sent")
    await open_queue(admin, "Exemption requests")
    request = await admin.wait_reply(containing="Exemption request #1")
    assert "No document attached." in request.text
    await admin.click("Decline", request)
    await admin.wait_reply(containing="Why is request #1 declined?")
    await admin.send("silakan ajukan melalui BKPSDM")
    await admin.wait_reply(containing="Request #1 declined")
    told = await asn.wait_reply(containing="was declined")
    assert "December 2026 was declined: silakan ajukan melalui BKPSDM" in told.text
    async with app.db.session() as s:
        actions = (await s.exec(select(AuditLog.action).order_by(AuditLog.id))).all()
    assert actions == ["outside_more", "outside_reject", "exemption_request_decline"]
