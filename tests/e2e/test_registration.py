"""An ASN registers with NIP and phone; general buyers; refusals; admin approval."""

from sqlmodel import select

from models import Registration, User
from tests import factories as f
from tests.e2e.conftest import ADMIN_ID, open_bot
from tests.e2e.helpers import register_across_a_restart


async def _user_row(db, telegram_id):
    async with db.session() as session:
        return (await session.exec(select(User).where(User.telegram_id == telegram_id))).first()


async def test_asn_registers_in_indonesian_with_nip_and_own_phone(app, tg, db, session):
    await f.roster(session, name="Budi Santoso", opd="Diskominfo", phone="081234567890")
    budi = tg.user(1001, first_name="Budi", language_code="id", phone="+62 812-3456-7890")
    await open_bot(budi)
    greeting = budi.bot_messages[0]
    assert "Selamat datang" in greeting.text and "TukuLokal" in greeting.text
    await budi.click("🪪")
    prompt = await budi.wait_reply()
    assert "NIP" in prompt.text
    await budi.send("19850312 201001 1 001")
    asked = await budi.wait_reply()
    # Nothing about the roster before the phone number proves who it is.
    assert f.PNS_NIP in asked.text and "Budi Santoso" not in asked.text
    assert "Diskominfo" not in asked.text
    assert any(b.get("request_contact") for row in budi.keyboard["keyboard"] for b in row)
    await budi.press("📱")
    done = await budi.wait_reply()
    assert "✅" in done.text and "Budi Santoso" in done.text
    row = await _user_row(db, 1001)
    assert row.kind == "asn" and row.nip == f.PNS_NIP and row.phone == "+6281234567890"


async def test_malformed_nips_get_precise_reasons_and_change_nothing(app, tg, db, session):
    await f.roster(session)
    user = tg.user(1002, first_name="Ani", language_code="en", phone="+6281234567890")
    await open_bot(user)
    await user.click("Register as ASN")
    await user.wait_reply(containing="type your")
    cases = {
        "12345": "18",  # wrong length
        "19851312201001 1001": "date",  # month 13 in the birth date
        "198503122010013001": "1 (male) or 2 (female)",  # gender digit 3
        "abc": "digit",
    }
    for nip, hint in cases.items():
        await user.send(nip)
        reply = await user.wait_reply()
        assert hint in reply.text.lower(), (nip, reply.text)
    await user.send("200012312024211001")  # a valid PPPK number, but not in the roster
    await user.wait_reply(containing="We will check NIP")
    await user.press("Share my phone number")
    reply = await user.wait_reply()
    assert "could not confirm NIP 200012312024211001" in reply.text
    assert (await _user_row(db, 1002)).kind == "guest"


async def test_forwarded_contact_and_wrong_phone_are_refused(app, tg, db, session):
    await f.roster(session, phone="+6281234567890")
    user = tg.user(1003, first_name="Budi", language_code="en", phone="+6281299990000")
    await open_bot(user)
    await user.click("Register as ASN")
    await user.wait_reply(containing="type your")
    await user.send(f.PNS_NIP)
    await user.wait_reply(containing="We will check NIP")
    await user.send_contact("+6281234567890", own=False)  # someone else's card
    reply = await user.wait_reply()
    assert "your own" in reply.text
    await user.press("Share my phone number")  # own number, but not the roster's
    reply = await user.wait_reply()
    assert "could not confirm" in reply.text
    assert (await _user_row(db, 1003)).kind == "guest"


async def test_second_account_for_same_nip_is_refused_and_admin_told(app, tg, db, session):
    await f.roster(session, phone="+6281234567890")
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    await open_bot(admin)
    first = tg.user(1004, first_name="Budi", language_code="en", phone="+6281234567890")
    await open_bot(first)
    await first.click("Register as ASN")
    await first.wait_reply(containing="type your")
    await first.send(f.PNS_NIP)
    await first.wait_reply(containing="We will check NIP")
    await first.press("Share my phone number")
    await first.wait_reply(containing="Registered")
    intruder = tg.user(1005, first_name="Mallory", language_code="en", phone="+6281234567890")
    await open_bot(intruder)
    await intruder.click("Register as ASN")
    await intruder.wait_reply(containing="type your")
    await intruder.send(f.PNS_NIP)
    await intruder.wait_reply(containing="We will check NIP")
    await intruder.press("Share my phone number")
    reply = await intruder.wait_reply()
    # The intruder learns nothing (the same answer as for any NIP that cannot be confirmed).
    assert "could not confirm" in reply.text and "another Telegram account" not in reply.text
    alert = await admin.wait_reply(containing="Mallory")
    assert f.PNS_NIP in alert.text
    assert (await _user_row(db, 1005)).nip is None


async def test_roster_without_phone_waits_for_admin_approval(app, tg, db, session):
    await f.roster(
        session, f.PPPK_NIP, name="Sri Wahyuni", golongan="PPPK IX", quota_class="PPPK", phone=None
    )
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    await open_bot(admin)
    sri = tg.user(1006, first_name="Sri", language_code="en", phone="+6285711112222")
    await open_bot(sri)
    await sri.click("Register as ASN")
    await sri.wait_reply(containing="type your")
    await sri.send(f.PPPK_NIP)
    await sri.wait_reply(containing="We will check NIP")
    await sri.press("Share my phone number")
    waiting = await sri.wait_reply()
    assert "administrator" in waiting.text
    assert (await _user_row(db, 1006)).kind == "guest"
    request = await admin.wait_reply(containing="Registration to check")
    assert "Sri Wahyuni" in request.text and "+6285711112222" in request.text
    # A non-admin forging the approve button is refused.
    mallory = tg.user(1007, first_name="Mallory", language_code="en")
    await open_bot(mallory)
    forged = await mallory.click_data(mallory.last, request.inline_keyboard[0][0]["callback_data"])
    answer = await mallory.wait_answer(forged)
    assert "not allowed" in answer.get("text", "")
    assert (await _user_row(db, 1006)).kind == "guest"
    tap = await admin.click("Approve", request)
    await admin.wait_answer(tap)
    approved = await sri.wait_reply(containing="approved")
    assert "Sri Wahyuni" in approved.text
    assert (await _user_row(db, 1006)).kind == "asn"
    # A second tap on the same button changes nothing and sends nothing new.
    await admin.click_data(
        admin.server.message(ADMIN_ID, request.message_id),
        request.inline_keyboard[0][0]["callback_data"],
    )
    await app.wait_handled()
    assert len([m for m in sri.bot_messages if "was approved" in (m.text or "")]) == 1
    async with db.session() as s:
        regs = (await s.exec(select(Registration))).all()
    assert [r.status for r in regs] == ["approved"]


async def test_general_buyer_registers_with_name_and_phone(app, tg, db):
    siti = tg.user(1008, first_name="Siti", language_code="en", phone="+6281388887777")
    await open_bot(siti)
    await siti.click("Register as general buyer")
    await siti.wait_reply(containing="full name")
    await siti.send("<b>Siti</b> Aminah")
    await siti.wait_reply(containing="Share my phone number")
    await siti.press("Share my phone number")
    done = await siti.wait_reply()
    assert "general buyer" in done.text
    row = await _user_row(db, 1008)
    assert row.kind == "general" and row.full_name == "<b>Siti</b> Aminah"


async def test_flow_survives_a_restart(app, tg, db, session):
    await register_across_a_restart(app, tg, session)
