"""Indonesian by default, English on request (remembered), localized command menus."""

import pytest

from tests.e2e.conftest import open_bot

# What this module tests is the conversation with Telegram, not SQL: SQLite only.
pytestmark = pytest.mark.one_database


async def test_command_menus_are_set_in_indonesian_and_english(app, tg):
    default = {c["command"]: c["description"] for c in tg.my_commands(language_code="")}
    english = {c["command"]: c["description"] for c in tg.my_commands(language_code="en")}
    expected = {
        "start", "katalog", "cari", "dekat", "keranjang", "pesanan", "kuota", "mata_uang",
        "bahasa", "bantuan",
    }  # fmt: skip
    assert set(default) == expected == set(english)
    assert english["katalog"] == "Browse the catalog"
    assert default["katalog"] != english["katalog"]  # translated


async def test_language_switch_is_remembered_across_restarts(app, tg):
    user = tg.user(1001, first_name="Budi", language_code="id")
    await open_bot(user)
    assert "Selamat datang" in user.bot_messages[0].text
    await user.send("/bahasa")
    choice = await user.wait_reply()
    await user.click("English", choice)
    changed = await user.wait_reply(containing="Language changed")
    assert changed.message_id == choice.message_id
    menu = await user.wait_reply()
    assert "🛍️ Catalog" in user.keyboard_buttons
    assert menu
    await app.restart()
    await user.send("/bantuan")
    help_text = await user.wait_reply()
    assert "help" in help_text.text.lower() and "/katalog" in help_text.text
    await user.press("🛍️ Catalog")
    categories = await user.wait_reply()
    assert "Choose a category" in categories.text and "Food & Drinks" in str(categories.buttons)


async def test_telegram_language_is_used_until_the_user_chooses(app, tg):
    english = tg.user(1002, first_name="John", language_code="en-GB")
    await open_bot(english)
    assert "Welcome to TukuLokal" in english.bot_messages[0].text
    other = tg.user(1003, first_name="Hans", language_code="de")
    await open_bot(other)
    assert "Selamat datang" in other.bot_messages[0].text
