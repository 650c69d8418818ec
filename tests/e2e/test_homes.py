"""Everyone finds their own bot: a home screen, help, reply keyboard and command menu for each
role they hold, in their language, refreshed when a role or the language changes."""

from __future__ import annotations

import pytest

from models import AdminAccount, BuyerKind, MerchantMember, User
from tests import factories as f
from tests.e2e.conftest import ADMIN_ID, open_bot
from tests.e2e.helpers import shop_with_owner

# What this module tests is the conversation with Telegram, not SQL: SQLite only.
pytestmark = pytest.mark.one_database

SHOPPING = ["🛍️ Catalog", "🔎 Search", "🛒 Cart", "📦 My orders", "❓ Help"]
ADMIN_COMMANDS = {"admin", "laporan", "broadcast", "broadcasts", "kuota_atur", "bekukan"}


async def _home(person, tg):
    """/start: the home text, its buttons, the reply keyboard, /bantuan and the command menu."""
    buttons = await open_bot(person)
    home = next(m for m in reversed(person.bot_messages) if m.message_id < buttons.message_id)
    await person.send("/bantuan")
    help_ = await person.wait_reply(containing="help")
    menu = {c["command"] for c in tg.commands_for(person.id) or []}
    return home.text, buttons.buttons, person.keyboard_buttons, help_.text, menu


async def test_a_newcomer_an_asn_and_a_general_buyer_get_the_shopping_home(app, tg, session):
    newcomer = tg.user(1001, first_name="Tamu", language_code="en")
    text, buttons, keyboard, help_, menu = await _home(newcomer, tg)
    assert "Welcome to TukuLokal" in text and "/katalog" in text and "/kuota" not in text
    assert {"🪪 Register as ASN (NIP)", "🙋 Register as general buyer"} <= set(buttons)
    assert keyboard == [*SHOPPING[:4], "📊 My quota", "❓ Help"]  # there, how to register
    assert "/toko" not in help_ and "/admin" not in help_
    # Everyone's menu: shopping, nothing of a shop or the administration.
    assert "katalog" in menu and not menu & (ADMIN_COMMANDS | {"toko", "produk"})

    await f.asn_user(session, 1002)
    asn = tg.user(1002, first_name="Budi", language_code="en")
    text, buttons, keyboard, help_, _menu = await _home(asn, tg)
    assert "Welcome back, Budi Santoso" in text and "/kuota" in text
    assert not any("Register" in b for b in buttons)
    assert keyboard == [*SHOPPING[:4], "📊 My quota", "❓ Help"]
    assert "/kuota" in help_ and "/laporan" not in help_

    session.add(User(telegram_id=1003, first_name="Umum", kind=BuyerKind.GENERAL))
    await session.commit()
    general = tg.user(1003, first_name="Umum", language_code="en")
    text, _b, keyboard, _h, _m = await _home(general, tg)
    assert "Welcome back, Umum" in text and "/kuota" not in text
    assert keyboard == SHOPPING


async def test_an_administrator_and_an_opd_operator_see_the_administration(app, tg, session):
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    text, buttons, keyboard, help_, menu = await _home(admin, tg)
    assert "You administer TukuLokal for Kota Malang" in text
    assert "Welcome to TukuLokal" not in text  # not the newcomer's welcome
    assert text.index("Administration") < text.index("Shopping")
    for command in ("/admin", "/laporan", "/broadcast", "/broadcasts", "/kuota_atur", "/bekukan"):
        assert command in text and command in help_, command
    assert buttons[:2] == ["📊 This month's report", "🛡️ Administration"]  # their work first
    assert keyboard[:2] == ["📊 Report", "📢 Broadcast"]
    assert menu >= ADMIN_COMMANDS
    # The home's buttons lead there.
    await admin.click("🛡️ Administration")
    assert "Administrators" in (await admin.wait_reply()).text

    session.add(AdminAccount(telegram_id=3001, role="opd_operator", opd="Diskominfo"))
    await session.commit()
    operator = tg.user(3001, first_name="Opi", language_code="en")
    text, buttons, keyboard, help_, menu = await _home(operator, tg)
    assert "You follow Diskominfo in TukuLokal" in text
    assert "/laporan" in text and "/broadcast" in text and "/admin" not in text
    assert "/kuota_atur" not in help_
    assert "🛡️ Administration" not in buttons and "📊 This month's report" in buttons
    assert keyboard[:2] == ["📊 Report", "📢 Broadcast"]
    assert {"laporan", "broadcast"} <= menu and "admin" not in menu


async def test_shop_owners_and_staff_see_their_shop(app, tg, session):
    shop = await shop_with_owner(session, 2001, name="Keripik Sanan Bu Tin")
    owner = tg.user(2001, first_name="Tin", language_code="en")
    text, buttons, keyboard, help_, menu = await _home(owner, tg)
    assert "Your shop's orders arrive in this chat" in text
    assert "/toko" in text and "/produk" in text and "/toko" in help_ and "/produk" in help_
    assert "🏪 My shop" in buttons and "🏪 I run a UMKM shop" not in buttons
    assert keyboard[:2] == ["🏪 My shop", "📦 My products"]
    assert {"toko", "produk"} <= menu
    await owner.press("📦 My products")
    assert "Keripik Sanan Bu Tin" in (await owner.wait_reply()).text

    staff_user = User(telegram_id=2002, first_name="Sari", language="en")
    session.add(staff_user)
    await session.commit()
    session.add(MerchantMember(merchant_id=shop.id, user_id=staff_user.id, role="staff"))
    await session.commit()
    staff = tg.user(2002, first_name="Sari", language_code="en")
    text, _b, keyboard, help_, menu = await _home(staff, tg)
    assert "/toko" in text and "/produk" not in text and "/produk" not in help_
    assert "You help run the shop" in text
    assert keyboard[0] == "🏪 My shop" and "📦 My products" not in keyboard
    assert "toko" in menu and "produk" not in menu


async def test_a_person_with_several_roles_sees_them_all_grouped(app, tg, session):
    # An ASN who owns a shop.
    asn_owner = await f.asn_user(session, 2001)
    shop = await f.merchant(session, name="Batik Celaket")
    session.add(MerchantMember(merchant_id=shop.id, user_id=asn_owner.id, role="owner"))
    await session.commit()
    person = tg.user(2001, first_name="Budi", language_code="en")
    text, _b, keyboard, _h, menu = await _home(person, tg)
    assert text.index("Your shop") < text.index("Shopping")
    assert "/produk" in text and "/kuota" in text
    assert keyboard[:2] == ["🏪 My shop", "📦 My products"] and "📊 My quota" in keyboard
    assert {"toko", "produk", "kuota"} <= menu

    # An administrator who is also a registered ASN.
    await f.asn_user(session, ADMIN_ID, nip=f.PPPK_NIP)
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    text, _b, keyboard, _h, _m = await _home(admin, tg)
    assert "Welcome back" in text
    assert text.index("Administration") < text.index("Shopping") and "/kuota" in text
    assert keyboard[:2] == ["📊 Report", "📢 Broadcast"] and "📊 My quota" in keyboard


async def test_the_shop_keyboard_comes_back_after_cancelling_a_new_product(app, tg, session):
    await shop_with_owner(session, 2001)
    owner = tg.user(2001, first_name="Tin", language_code="en")
    await open_bot(owner)
    await owner.send("/produk")
    products = await owner.wait_reply(containing="Keripik Sanan Bu Tin")
    await owner.click("Add product", products)
    await owner.wait_reply(containing="name")
    assert owner.keyboard_buttons == ["✖️ Cancel"]
    await owner.press("✖️ Cancel")
    await owner.wait_reply(containing="Cancelled")
    assert owner.keyboard_buttons[:2] == ["🏪 My shop", "📦 My products"]


async def test_a_language_switch_changes_keyboard_and_menu_at_once(app, tg, session):
    await shop_with_owner(session, 2001)
    owner = tg.user(2001, first_name="Tin", language_code="en")
    await open_bot(owner)
    await app.wait_handled()
    assert owner.keyboard_buttons[:2] == ["🏪 My shop", "📦 My products"]
    await owner.send("/bahasa")
    await owner.click("Bahasa Indonesia", await owner.wait_reply())
    await owner.wait_reply(containing="Bahasa berhasil diganti")
    # The very next message carries the keyboard in Indonesian; the menu is changed too.
    await owner.wait_reply(containing="Menu di bawah")
    assert owner.keyboard_buttons[:2] == ["🏪 Toko saya", "📦 Produk saya"]
    await app.wait_handled()
    menu = {c["command"]: c["description"] for c in tg.commands_for(2001)}
    assert menu["toko"] == "Toko saya" and menu["produk"] == "Produk saya"
    await owner.press("🏪 Toko saya")  # the Indonesian keyboard works
    assert "Keripik Sanan Bu Tin" in (await owner.wait_reply()).text
