"""Keyboard builders. Button texts are translated at call time."""

from __future__ import annotations

from collections.abc import Callable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.keyboard import InlineKeyboardBuilder

from views.callbacks import (
    CartViewCb,
    CategoriesCb,
    CategoryCb,
    LanguageCb,
    StartCb,
)

# Main-menu buttons, matched in either language by the handlers.
MENU_CATALOG = __("🛍️ Catalog")
MENU_SEARCH = __("🔎 Search")
MENU_CART = __("🛒 Cart")
MENU_ORDERS = __("📦 My orders")
MENU_QUOTA = __("📊 My quota")
MENU_HELP = __("❓ Help")
CANCEL = __("✖️ Cancel")


def main_menu() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=str(MENU_CATALOG)), KeyboardButton(text=str(MENU_SEARCH))],
            [KeyboardButton(text=str(MENU_CART)), KeyboardButton(text=str(MENU_ORDERS))],
            [KeyboardButton(text=str(MENU_QUOTA)), KeyboardButton(text=str(MENU_HELP))],
        ],
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder=_("Type a product to search…"),
    )


def share_contact_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("📱 Share my phone number"), request_contact=True)],
            [KeyboardButton(text=str(CANCEL))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def cancel_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text=str(CANCEL))]], resize_keyboard=True)


def start_keyboard(*, registered: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if not registered:
        builder.button(text=_("🪪 Register as ASN (NIP)"), callback_data=StartCb(action="asn"))
        builder.button(
            text=_("🙋 Register as general buyer"), callback_data=StartCb(action="general")
        )
    builder.button(text=_("🏪 I run a UMKM shop"), callback_data=StartCb(action="merchant"))
    builder.button(text=_("🛍️ Browse the catalog"), callback_data=CategoriesCb())
    builder.adjust(1)
    return builder.as_markup()


def register_prompt_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🪪 Register as ASN (NIP)"), callback_data=StartCb(action="asn"))
    builder.button(text=_("🙋 Register as general buyer"), callback_data=StartCb(action="general"))
    builder.adjust(1)
    return builder.as_markup()


def language_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="🇮🇩 Bahasa Indonesia", callback_data=LanguageCb(code="id"))
    builder.button(text="🇬🇧 English", callback_data=LanguageCb(code="en"))
    builder.adjust(1)
    return builder.as_markup()


def categories_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("🛍️ Categories"), callback_data=CategoriesCb().pack())


def cart_button(count: int) -> InlineKeyboardButton:
    text = _("🛒 Cart ({count})").format(count=count) if count else _("🛒 Cart")
    return InlineKeyboardButton(text=text, callback_data=CartViewCb(action="show").pack())


# Telegram refuses an inline keyboard of more than 100 buttons ("reply markup is too long") and
# drops buttons beyond 12 in a row; the bot stays well below, by construction: every list of
# buttons is paginated (`pager`), and no row has more than MAX_PER_ROW.
MAX_BUTTONS = 100
MAX_PER_ROW = 8


def within_limits(markup: InlineKeyboardMarkup | None) -> bool:
    """Whether a keyboard fits Telegram's limits as the bot keeps them (tests check every
    screen with it)."""
    if markup is None:
        return True
    rows = markup.inline_keyboard
    return sum(len(row) for row in rows) <= MAX_BUTTONS and all(
        len(row) <= MAX_PER_ROW for row in rows
    )


def pager(
    builder: InlineKeyboardBuilder, page: int, pages: int, make: Callable[[int], CallbackData]
) -> None:
    """Add a ◀️ n/N ▶️ row when there is more than one page; `make(page)` builds callback data."""
    if pages <= 1:
        return
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(text="◀️", callback_data=make(page - 1).pack()))
    row.append(InlineKeyboardButton(text=f"{page + 1}/{pages}", callback_data=make(page).pack()))
    if page < pages - 1:
        row.append(InlineKeyboardButton(text="▶️", callback_data=make(page + 1).pack()))
    builder.row(*row)


def category_back(category_id: int, page: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("⬅️ Back"), callback_data=CategoryCb(id=category_id, page=page).pack()
    )
