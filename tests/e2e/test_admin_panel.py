"""/admin: adding and removing administrators and OPD operators, and the audit log."""

from __future__ import annotations

from models import AdminAccount
from tests import factories as f
from tests.e2e.conftest import ADMIN_ID, open_bot
from tests.e2e.helpers import reload


async def test_admin_manages_administrators_and_operators(app, tg, session):
    await f.roster(session, "198503122010011001", opd="Diskominfo")
    await f.roster(session, "199001152015032002", opd="Dinas Kesehatan")
    siti = tg.user(3001, first_name="Siti", username="siti_malang", language_code="en")
    budi = tg.user(3002, first_name="Budi", language_code="en")
    await open_bot(siti)
    await open_bot(budi)
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")

    await admin.send("/admin")
    home = await admin.wait_reply()
    assert "Admin (900) — set in the configuration" in home.text
    await admin.click("➕ Administrator", home)
    await admin.wait_reply(containing="Who?")
    await admin.send("@nobody_here")
    assert "I don't know that account" in (await admin.wait_reply()).text
    await admin.send("@Siti_Malang")
    done = await admin.wait_reply(containing="is now an administrator")
    assert "Siti (@siti_malang, 3001)" in done.text
    welcome = await siti.wait_reply(containing="administrator")
    assert "/broadcast" in welcome.text
    await siti.send("/admin")  # Siti may now use the administration herself
    assert "Administration" in (await siti.wait_reply()).text

    await admin.send("/admin")
    home = await admin.wait_reply()
    await admin.click("➕ OPD operator", home)
    await admin.wait_reply(containing="Who?")
    await admin.send("3002")
    choice = await admin.wait_reply(containing="Which OPD")
    assert choice.buttons[:2] == ["Dinas Kesehatan", "Diskominfo"]  # from the roster
    await admin.click("Diskominfo", choice)
    done = await admin.wait_reply(containing="operator of")
    assert "Budi (3002) is now the operator of Diskominfo" in done.text
    await budi.wait_reply(containing="operator of Diskominfo")
    account = await reload(app, AdminAccount, 3002)
    assert (account.role, account.opd) == ("opd_operator", "Diskominfo")

    await admin.send("/admin")
    home = await admin.wait_reply()
    assert "Budi (3002) — Diskominfo" in home.text
    await admin.click("Remove", home)
    choose = await admin.wait_reply()
    await admin.click("Siti", choose)
    sure = await admin.wait_reply(containing="Remove")
    await admin.click("Yes, remove", sure)
    home = await admin.wait_reply(containing="Administration")
    assert "Siti" not in home.text
    await siti.send("/admin")
    assert "not allowed" in (await siti.wait_reply()).text

    await admin.click("Audit log", home)
    log = await admin.wait_reply(containing="Audit log")
    lines = log.text.splitlines()[1:]
    assert "role removed" in lines[0] and "telegram_id=3001" in lines[0]
    assert "role granted" in lines[1] and "opd=Diskominfo" in lines[1]
    assert all("Admin (900)" in line for line in lines[:3])


async def test_configured_administrators_stay_and_others_may_not_enter(app, tg, session):
    stranger = tg.user(3003, first_name="Tamu", language_code="en")
    await stranger.send("/admin")
    assert "not allowed" in (await stranger.wait_reply()).text
    await stranger.send("/broadcast")
    assert "not allowed" in (await stranger.wait_reply()).text
    menu = await open_bot(stranger)
    forged = await stranger.click_data(menu, "adm:rm_ok:900")
    assert "not allowed" in (await stranger.wait_answer(forged))["text"]
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.send("/admin")
    home = await admin.wait_reply()
    assert "Remove" not in str(home.buttons)  # nobody to remove: ADMIN_IDS come from config
    forged = await admin.click_data(home, f"adm:rm_ok:{ADMIN_ID}")
    assert "configuration" in (await admin.wait_answer(forged))["text"]
