"""Red flags in /laporan (a count in the summary, the "Tanda perhatian" sheet of the workbook)
and the inspectorate: it reads reports and flags, and cannot broadcast."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import openpyxl
import pytest

from models import AdminAccount
from services import broadcasts
from services.errors import Forbidden
from services.roles import roles_of
from tests import factories as f
from tests.e2e.conftest import ADMIN_ID, open_bot
from tests.e2e.helpers import reload

INSPECTOR = 950


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


async def _month(session) -> dict[str, list[int]]:
    """November so far: a split purchase, a night order, and ordinary ones (no flag)."""
    shop = await f.merchant(session, name="Toko Satu", code="SATU", phone="+6281311110001")
    other = await f.merchant(session, name="Toko Dua", code="DUA", phone="+6281311110002")
    item = await f.product(session, shop, name="Kain", price=50_000)
    thing = await f.product(session, other, name="Tas", price=400_000)
    splitter = await f.asn_user(session, 8101, nip="198503122010011001", phone="+628120000001")
    owl = await f.asn_user(session, 8102, nip="198503122010011002", phone="+628120000002")
    calm = await f.asn_user(session, 8103, nip="198503122010011003", phone="+628120000003")

    async def order(buyer, product, created):
        row = await f.order(
            session,
            buyer,
            product,
            status="completed",
            counts_for_quota=True,
            buyer_nip=buyer.nip,
            created_at=created,
            paid_at=created,
        )
        return row.id

    await order(splitter, thing, utc(3, 3))
    split = [await order(splitter, item, utc(10, 3, m)) for m in (0, 5, 9)]
    night = [await order(owl, thing, utc(12, 17))]  # 00:00 WIB
    await order(calm, item, utc(5, 3))
    await order(calm, thing, utc(6, 4))
    return {"split": split, "night": night}


async def test_flags_in_the_report_and_the_inspectorate_reads_them(app, tg, session):
    expected = await _month(session)
    inspector = tg.user(INSPECTOR, first_name="Inspektorat", language_code="en")
    await open_bot(inspector)
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    # An administrator adds the inspectorate in /admin (audited); they are told what they may do.
    await admin.send("/admin")
    await admin.click("➕ Inspectorate", await admin.wait_reply(containing="Administration"))
    await admin.wait_reply(containing="Who?")
    await admin.send(str(INSPECTOR))
    done = await admin.wait_reply(containing="inspectorate")
    assert "Inspektorat (950) now reads for the inspectorate." in done.text
    welcome = await inspector.wait_reply(containing="inspectorate")
    assert "/laporan" in welcome.text and "/tanda" in welcome.text
    account = await reload(app, AdminAccount, INSPECTOR)
    assert account.role == "inspectorate"
    await app.wait_handled()  # the menu is set after the welcome
    menu = {c["command"] for c in tg.commands_for(INSPECTOR) or []}
    assert {"laporan", "tanda", "audit"} <= menu and "broadcast" not in menu

    await admin.send("/laporan")
    summary = await admin.wait_reply(containing="Red flags")
    assert "🚩 Red flags: 2 (2 not reviewed yet; see the spreadsheet)" in summary.text

    await inspector.send("/laporan")
    summary = await inspector.wait_reply(containing="TukuLokal report")
    assert "🚩 Red flags: 2 (2 not reviewed yet; see the spreadsheet)" in summary.text
    assert "Scope: the whole city" in summary.text
    await inspector.click("Spreadsheet (XLSX)", summary)
    document = await inspector.wait_reply(timeout=20, predicate=lambda m: m.document is not None)
    book = openpyxl.load_workbook(io.BytesIO(document.document[0]))
    rows = list(book["Red flags"].iter_rows(values_only=True))
    assert rows[0] == ("Rule", "NIP", "Code", "Shop", "Orders", "Amount", "Review")
    assert rows[1:] == [
        (
            "Many orders at one shop within minutes",
            "198503122010011001",
            "SATU",
            "Toko Satu",
            ", ".join(f"#{i}" for i in expected["split"]),
            150_000,
            "not reviewed",
        ),
        (
            "Order at an unusual hour",
            "198503122010011002",
            "DUA",
            "Toko Dua",
            f"#{expected['night'][0]}",
            400_000,
            "not reviewed",
        ),
    ]

    # An administrator refers the first flag (audited); the inspectorate sees the verdict,
    # has no buttons, and a forged verdict of theirs is refused and changes nothing.
    await admin.send("/tanda")
    listed = await admin.wait_reply(containing="Red flags — November 2026")
    assert listed.text.count("⏳ not reviewed") == 2
    assert listed.buttons == ["✅ 1. fine", "📨 1. refer", "✅ 2. fine", "📨 2. refer"]
    await admin.click("📨 1. refer", listed)
    edited = await admin.wait_reply(predicate=lambda m: m.message_id == listed.message_id)
    assert "1. Many orders at one shop within minutes · 📨 referred" in edited.text
    assert "2. Order at an unusual hour · ⏳ not reviewed" in edited.text
    await inspector.send("/tanda")
    seen = await inspector.wait_reply(containing="Red flags — November 2026")
    assert "📨 referred" in seen.text and seen.buttons == []
    forged = edited.reply_markup["inline_keyboard"][1][0]["callback_data"]  # "2. fine"
    answer = await inspector.wait_answer(await inspector.click_data(seen, forged))
    assert "not allowed" in answer["text"]
    await inspector.send("/laporan")
    summary = await inspector.wait_reply(containing="TukuLokal report")
    assert "🚩 Red flags: 2 (1 not reviewed yet; see the spreadsheet)" in summary.text

    await inspector.send("/audit")
    log = await inspector.wait_reply(containing="Audit log")
    assert log.buttons == []
    assert "referred" in log.text and "2026-11" in log.text

    # The inspectorate changes nothing: no broadcast, no panel, refused in the services too.
    await inspector.send("/broadcast")
    await inspector.wait_reply(containing="Sorry, you are not allowed to do that.")
    await inspector.send("/admin")
    await inspector.wait_reply(containing="Sorry, you are not allowed to do that.")
    async with app.db.session() as s:
        roles = await roles_of(s, INSPECTOR, frozenset({ADMIN_ID}))
        with pytest.raises(Forbidden):
            await broadcasts.control(
                s, actor=roles, broadcast_id=1, action="cancel", now=utc(27, 3)
            )
