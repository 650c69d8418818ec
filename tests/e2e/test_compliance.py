"""The city monitors compliance: rules, exemptions, closing, refunds and reports, in the chat."""

import io
from datetime import date

import openpyxl
from PIL import Image
from sqlmodel import select

from models import AdminAccount, AuditLog, MonthResult, Order
from services.compliance import close_month
from services.quota import QuotaPolicy
from tests import factories as f
from tests.compliance_world import NOV, OCT, OPDS, WIB, at, build_world, expected
from tests.e2e.conftest import ADMIN_ID, open_bot
from tests.e2e.helpers import checkout, shop_with_owner

ASN = 1001
OWNER = 2001
OPERATOR = 3001
POLICY = QuotaPolicy(tz=WIB)


def _money(amount: int) -> str:
    return f"Rp{amount:,}"


async def _admin(tg):
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    await open_bot(admin)
    return admin


async def test_minimum_changed_from_next_month_leaves_this_month_unchanged(
    app, tg, session, clock
):
    await f.asn_user(session, ASN)  # golongan III
    admin = await _admin(tg)
    await admin.send("/kuota_atur")
    rules = await admin.wait_reply(containing="Minimum spend rules")
    assert "Golongan III: Rp500,000" in rules.text
    await admin.click("III", rules)
    await admin.wait_reply(containing="new monthly minimum for golongan III")
    await admin.send("750rb")
    choice = await admin.wait_reply(containing="From which month on?")
    assert choice.buttons == ["November 2026", "December 2026", "January 2027"]
    await admin.send("2026-10")  # a past month is refused, and another can be given
    await admin.wait_reply(containing="past months keep the rule they had")
    await admin.click("December 2026", choice)
    await admin.wait_reply(containing="minimum Rp750,000 from December 2026 onward")
    rules = await admin.wait_reply(containing="Minimum spend rules")
    assert "Golongan III: Rp500,000 → Rp750,000 from December 2026" in rules.text

    buyer = tg.user(ASN, first_name="Budi", language_code="en")
    await open_bot(buyer)
    await buyer.send("/kuota")
    november = await buyer.wait_reply(containing="Minimum spend")
    assert "Minimum: Rp500,000" in november.text
    clock.now = at(2, month=date(2026, 12, 1))
    await buyer.send("/kuota")
    december = await buyer.wait_reply(containing="Minimum spend")
    assert "December 2026" in december.text and "Minimum: Rp750,000" in december.text
    # The deadline day, from next month on too.
    clock.now = at(27)
    await admin.send("/kuota_atur")
    rules = await admin.wait_reply(containing="Minimum spend rules")
    await admin.click("Deadline day", rules)
    await admin.wait_reply(containing="Type the deadline day")
    await admin.send("25")
    choice = await admin.wait_reply(containing="From which month on?")
    await admin.click("December 2026", choice)
    rules = await admin.wait_reply(containing="Minimum spend rules")
    assert "the last day of the month (this month: 30 November 2026)" in rules.text
    assert "day 25 of the month from December 2026" in rules.text
    async with app.db.session() as s:
        actions = (await s.exec(select(AuditLog.action).order_by(AuditLog.id))).all()
    assert actions == ["set_minimum", "set_deadline_day"]
    # Nobody else may change the rules, not even with a forged tap.
    await buyer.send("/kuota_atur")
    await buyer.wait_reply(containing="not allowed")
    forged = await buyer.click_data(december, "qa:cls:III:0:0")
    assert "not allowed" in (await buyer.wait_answer(forged))["text"]


async def test_exemption_removes_the_asn_from_figures_and_kuota_says_so(app, tg, session):
    await f.asn_user(session, ASN)
    await f.roster(session, f.PNS_NIP_2, name="Siti Aminah", phone=None)
    admin = await _admin(tg)
    await admin.send("/laporan")
    before = await admin.wait_reply(containing="TukuLokal report")
    assert "Met the minimum: 0 of 2" in before.text

    await admin.send("/kuota_atur")
    rules = await admin.wait_reply(containing="Minimum spend rules")
    await admin.click("Exemptions", rules)
    listing = await admin.wait_reply(containing="Exemptions")
    assert "Nobody is exempt." in listing.text
    await admin.click("Exempt an ASN", listing)
    await admin.wait_reply(containing="Type the NIP")
    await admin.send("1234")
    await admin.wait_reply(containing="not in the ASN roster")
    await admin.send(f.PNS_NIP)
    await admin.wait_reply(containing="Budi Santoso (Diskominfo). For which months?")
    await admin.send("2027-01 2026-11")
    await admin.wait_reply(containing="not a valid range")
    await admin.send("2026-11 2027-01")
    reasons = await admin.wait_reply(containing="Why?")
    await admin.click("study assignment", reasons)
    await admin.wait_reply(containing="Budi Santoso is exempt from November 2026 to January 2027")
    listing = await admin.wait_reply(containing="Exemptions")
    assert "Budi Santoso" in listing.text and "study assignment" in listing.text

    buyer = tg.user(ASN, first_name="Budi", language_code="en")
    await open_bot(buyer)
    await buyer.send("/kuota")
    quota = await buyer.wait_reply(containing="Minimum spend")
    assert "You are exempt from the minimum from November 2026 to January 2027" in quota.text
    assert "study assignment" in quota.text and "Remaining" not in quota.text

    await admin.send("/laporan")
    after = await admin.wait_reply(containing="TukuLokal report")
    assert "Exempt this month: 1" in after.text
    assert "Registered ASN: 1 of 2" in after.text
    assert "Met the minimum: 0 of 1" in after.text
    # Ending the exemption brings the ASN back into the figures.
    await admin.click("End: Budi Santoso", listing)
    await admin.wait_reply(containing="Nobody is exempt.")
    await admin.send("/laporan")
    again = await admin.wait_reply(containing="TukuLokal report")
    assert "Met the minimum: 0 of 2" in again.text and "Exempt this month" not in again.text


async def test_report_figures_chart_and_workbook_match_the_data(app, tg, session):
    world = await build_world(session)
    admin = await _admin(tg)
    await admin.send("/laporan 2026-10")
    summary = await admin.wait_reply(containing="TukuLokal report — October 2026")
    want = expected(world, OCT)
    assert f"Registered ASN: {want.registered} of {want.roster} in the roster" in summary.text
    assert f"Met the minimum: {want.compliant} of {want.roster - want.exempt}" in summary.text
    assert f"Paid into UMKM: {_money(want.total_paid)}" in summary.text
    assert f"Counted toward the minimums: {_money(want.counted_spend)}" in summary.text
    assert f"Median spend per ASN: {_money(round(want.median))}" in summary.text
    assert (
        f"Shops with sales: {want.merchants_with_sales}; "
        f"without sales: {want.merchants_without_sales}" in summary.text
    )
    for slug, name in (("kuliner", "Food & Drinks"), ("fesyen", "Fashion"), ("kriya", "Crafts")):
        assert f"{name}: {_money(want.categories[slug])}" in summary.text

    chart = await admin.wait_reply(timeout=20, predicate=lambda m: m.photo is not None)
    image = Image.open(io.BytesIO(chart.photo))
    assert image.format == "PNG" and image.width == 1080
    assert "Compliance per OPD" in chart.caption

    await admin.click("Spreadsheet (XLSX)", summary)
    document = await admin.wait_reply(timeout=20, predicate=lambda m: m.document is not None)
    data, filename = document.document
    assert filename == "tukulokal-2026-10-kota-malang.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Summary", "OPD", "ASN", "Shops", "Orders", "Red flags"]
    asn_sheet = book["ASN"]
    assert asn_sheet.freeze_panes == "A2" and asn_sheet.auto_filter.ref
    rows = list(asn_sheet.iter_rows(min_row=2, values_only=True))
    assert {row[0]: row[6] for row in rows} == want.spent  # NIP -> spend, as numbers
    assert asn_sheet["G2"].number_format == '"Rp"#,##0'
    opd_rows = {row[0]: row for row in book["OPD"].iter_rows(min_row=2, values_only=True)}
    for opd, (asn, exempt, compliant, spent) in want.per_opd.items():
        assert opd_rows[opd][1] == asn and opd_rows[opd][3] == exempt
        assert opd_rows[opd][5] == compliant and opd_rows[opd][7] == spent
    shops = list(book["Shops"].iter_rows(min_row=2, values_only=True))
    assert len(shops) == len(world.merchants)
    assert sum(row[5] for row in shops) == want.total_paid
    orders = list(book["Orders"].iter_rows(min_row=2, values_only=True))
    october = [
        o
        for o in world.orders
        if any(t and t.astimezone(WIB).month == 10 for t in (o.created_at, o.paid_at))
    ]
    assert sorted(row[0] for row in orders) == sorted(o.id for o in october)
    summary_sheet = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
    assert summary_sheet["Paid into UMKM"] == want.total_paid

    await admin.click("Compare with September 2026", summary)
    comparison = await admin.wait_reply(containing="October 2026 vs September 2026")
    assert all(opd in comparison.text for opd in OPDS)


async def test_opd_operator_sees_only_their_opd_and_an_asn_is_refused(app, tg, session):
    world = await build_world(session)
    opd = OPDS[1]
    session.add(AdminAccount(telegram_id=OPERATOR, role="opd_operator", opd=opd))
    await session.commit()
    operator = tg.user(OPERATOR, first_name="Operator", language_code="en")
    await open_bot(operator)
    await operator.send("/laporan")
    summary = await operator.wait_reply(containing="TukuLokal report — November 2026")
    want = expected(world, NOV, opd=opd)
    assert f"Scope: {opd}" in summary.text
    assert f"Registered ASN: {want.registered} of {want.roster}" in summary.text
    assert f"Paid into UMKM: {_money(want.total_paid)}" in summary.text
    await operator.click("Spreadsheet (XLSX)", summary)
    document = await operator.wait_reply(timeout=20, predicate=lambda m: m.document is not None)
    book = openpyxl.load_workbook(io.BytesIO(document.document[0]))
    assert {row[2] for row in book["ASN"].iter_rows(min_row=2, values_only=True)} == {opd}
    assert {row[7] for row in book["Orders"].iter_rows(min_row=2, values_only=True)} == {opd}
    assert [row[0] for row in book["OPD"].iter_rows(min_row=2, values_only=True)] == [opd]
    await operator.click("Compare with", summary)
    comparison = await operator.wait_reply(containing="vs October 2026")
    assert opd in comparison.text and not any(o in comparison.text for o in OPDS if o != opd)

    # An ASN can obtain none of it: not by command, nor by a forged button.
    asn = tg.user(50_000, first_name="ASN", language_code="en")
    await open_bot(asn)
    await asn.send("/laporan")
    refused = await asn.wait_reply(containing="not allowed")
    forged = await asn.click_data(refused, summary.button("Spreadsheet")["callback_data"])
    assert "not allowed" in (await asn.wait_answer(forged))["text"]
    await app.wait_handled()
    assert not any(m.document or m.photo for m in asn.bot_messages)


async def test_closing_then_refund_keeps_closed_figures_and_shows_the_adjustment(app, tg, session):
    buyer_row = await f.asn_user(session, ASN)
    shop = await shop_with_owner(session, OWNER)
    orders = []
    for day, total in ((5, 300_000), (12, 250_000)):
        order = Order(
            buyer_id=buyer_row.id,
            merchant_id=shop.id,
            status="completed",
            total=total,
            counts_for_quota=True,
            buyer_nip=buyer_row.nip,
            checkout_key=f"oct{day}",
            created_at=at(day, month=OCT),
            paid_at=at(day, 12, month=OCT),
        )
        session.add(order)
        orders.append(order)
    await session.commit()
    # The scheduler (or `tukulokal close-month`) closes October after its deadline.
    async with app.db.session() as s:
        result = await close_month(s, OCT, policy=POLICY, now=at(1, 0))
    assert result.created and (result.asn, result.compliant) == (1, 1)

    buyer = tg.user(ASN, first_name="Budi", language_code="en")
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    await open_bot(buyer)
    await open_bot(owner)
    await owner.send(f"/refund {orders[0].id} barang rusak")
    await owner.wait_reply(containing=f"Order #{orders[0].id} refunded (Rp300,000)")
    told = await buyer.wait_reply(containing="This order was refunded")
    assert "barang rusak" in told.text and "Refunded" in told.text
    # Someone else's shop, or an ASN, cannot refund it.
    await buyer.send(f"/refund {orders[1].id} mau uangnya")
    await buyer.wait_reply(containing="not allowed")

    async with app.db.session() as s:
        recorded = (await s.exec(select(MonthResult))).all()
    assert [(r.spent, r.compliant) for r in recorded] == [(550_000, True)]

    admin = await _admin(tg)
    await admin.send("/laporan 2026-10")
    closed = await admin.wait_reply(containing="TukuLokal report — October 2026")
    assert "Month closed on 1 Nov 2026 00:00" in closed.text
    assert "Met the minimum: 1 of 1" in closed.text
    assert "Counted toward the minimums: Rp550,000" in closed.text
    assert "Adjustments to October 2026" in closed.text
    assert "1 ASN changed by -Rp300,000: refunds Rp300,000, late payments Rp0" in closed.text
    assert "Compliance would now differ for 1 ASN." in closed.text
    await admin.send("/laporan")
    november = await admin.wait_reply(containing="TukuLokal report — November 2026")
    assert "Adjustments to October 2026" in november.text
    await admin.click("Spreadsheet (XLSX)", closed)
    document = await admin.wait_reply(timeout=20, predicate=lambda m: m.document is not None)
    book = openpyxl.load_workbook(io.BytesIO(document.document[0]))
    [row] = list(book["Adjustments"].iter_rows(min_row=2, values_only=True))
    assert row[1] == buyer_row.nip and (row[4], row[5], row[6]) == (550_000, 250_000, -300_000)

    # The ASN's history: October as recorded (✓), November so far.
    await buyer.send("/kuota")
    quota = await buyer.wait_reply(containing="Minimum spend")
    await buyer.click("Last months", quota)
    history = await buyer.wait_reply(containing="Your last months")
    assert "October 2026: Rp550,000 / Rp500,000 ✓" in history.text
    assert "November 2026: Rp0 / Rp500,000 … so far" in history.text


async def test_a_city_with_many_opds_gets_the_chart_as_an_album(app, tg, session):
    for i in range(20):
        await f.roster(session, f"198503122010011{i + 1:03d}", opd=f"OPD {i:02d}", phone=None)
    admin = await _admin(tg)
    await admin.send("/laporan")
    await admin.wait_reply(containing="TukuLokal report")
    for _ in range(3):
        await admin.wait_reply(timeout=20, predicate=lambda m: m.photo is not None)
    photos = [m for m in admin.bot_messages if m.photo is not None]
    assert len(photos) == 3 and len({m.media_group_id for m in photos}) == 1
    assert "Compliance per OPD" in photos[0].caption
    for message in photos:
        image = Image.open(io.BytesIO(message.photo))
        assert image.format == "PNG" and image.width == 1080 and image.height <= 1280


async def test_shop_refunds_a_paid_order_with_the_button(app, tg, session):
    await f.asn_user(session, ASN)
    shop = await shop_with_owner(session, OWNER)
    product = await f.product(session, shop, price=120_000, stock=3)
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    buyer = tg.user(ASN, first_name="Budi", language_code="en")
    await open_bot(owner)
    summary = await checkout(buyer, product.id)
    await buyer.click("pay cash", summary)
    new = await owner.wait_reply(containing="New order")
    assert "Refund" not in str(new.buttons)  # nothing paid yet
    await owner.click("Accept", new)
    accepted = await owner.wait_reply(predicate=lambda m: "Payment received" in str(m.buttons))
    await owner.click("Payment received", accepted)
    paid = await owner.wait_reply(predicate=lambda m: "Refund" in str(m.buttons))
    await buyer.wait_reply(containing="confirmed your payment")
    # A stranger's forged tap is refused.
    forged = await buyer.click_data(summary, paid.button("Refund")["callback_data"])
    assert "not allowed" in (await buyer.wait_answer(forged))["text"]
    await owner.click("Refund", paid)
    await owner.wait_reply(containing="Type the reason for the buyer")
    await owner.send("Stok rusak")
    done = await owner.wait_reply(containing="refunded (Rp120,000)")
    assert done
    shown = await owner.wait_reply(containing="Refunded")
    assert "Refund" not in str(shown.buttons)
    told = await buyer.wait_reply(containing="This order was refunded")
    assert "Stok rusak" in told.text and "no longer counts toward your minimum" in told.text
    await buyer.send("/kuota")
    quota = await buyer.wait_reply(containing="Minimum spend")
    assert "Counted so far: Rp0" in quota.text
    async with app.db.session() as s:
        assert (await f.fresh(s, type(product), product.id)).stock == 3  # back in stock
