"""Keyboard builders. Button texts are translated at call time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from services.roles import RoleKind, Roles
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
MENU_SHOP = __("🏪 My shop")
MENU_PRODUCTS = __("📦 My products")
MENU_REPORT = __("📊 Report")
MENU_BROADCAST = __("📢 Broadcast")
CANCEL = __("✖️ Cancel")

# The roles of the person the bot is answering, set for each update (bot.middlewares): the main
# menu fits them without every handler passing them on. Messages to someone else are rendered
# without them (delivery.notify), so nobody gets another person's keyboard.
_roles: ContextVar[Roles | None] = ContextVar("tukulokal_roles", default=None)


@contextmanager
def for_roles(roles: Roles | None) -> Iterator[None]:
    token = _roles.set(roles)
    try:
        yield
    finally:
        _roles.reset(token)


def main_menu(roles: Roles | None = None) -> ReplyKeyboardMarkup:
    """The reply keyboard: the shop's and the administration's buttons for those who have
    them, then the buyer's."""
    roles = roles or _roles.get() or Roles(None)
    rows: list[list[KeyboardButton]] = []
    if roles.has(RoleKind.SHOP_OWNER):
        rows.append([KeyboardButton(text=str(MENU_SHOP)), KeyboardButton(text=str(MENU_PRODUCTS))])
    elif roles.has(RoleKind.SHOP_STAFF):
        rows.append([KeyboardButton(text=str(MENU_SHOP))])
    if roles.is_staff:
        rows.append(
            [KeyboardButton(text=str(MENU_REPORT)), KeyboardButton(text=str(MENU_BROADCAST))]
        )
    rows.append([KeyboardButton(text=str(MENU_CATALOG)), KeyboardButton(text=str(MENU_SEARCH))])
    rows.append([KeyboardButton(text=str(MENU_CART)), KeyboardButton(text=str(MENU_ORDERS))])
    last = [KeyboardButton(text=str(MENU_HELP))]
    # ASN, and newcomers (an ASN who has not registered yet learns there how to).
    if roles.has(RoleKind.ASN) or not roles.kinds:
        last.insert(0, KeyboardButton(text=str(MENU_QUOTA)))
    rows.append(last)
    return ReplyKeyboardMarkup(
        keyboard=rows,
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


def address_keyboard(remembered: str | None) -> ReplyKeyboardMarkup:
    """The last delivery address as a button (one tap to use it again), and Cancel."""
    rows = [[KeyboardButton(text=remembered)]] if remembered else []
    rows.append([KeyboardButton(text=str(CANCEL))])
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, one_time_keyboard=True)


def cancel_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text=str(CANCEL))]], resize_keyboard=True)


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
    """The way to the cart, saying what it holds (products, not units)."""
    text = (
        ngettext("🛒 Cart: {n} product", "🛒 Cart: {n} products", count).format(n=count)
        if count
        else _("🛒 Cart")
    )
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
