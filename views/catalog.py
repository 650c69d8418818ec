"""Catalog screens: categories, a category's page of products, a product card, search results."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from models import Category
from services import catalog
from services.search import SearchPage
from views import keyboards as kb
from views.callbacks import (
    CartCb,
    CategoryCb,
    CloseCb,
    ProductCb,
    ProductMoreCb,
    SearchPageCb,
)
from views.format import (
    TEXT_LIMIT,
    esc,
    money,
    product_name,
    shorten,
    unit_label,
    visible_length,
)


def category_name(category: Category, locale: str) -> str:
    return category.name_en if locale == "en" else category.name_id


def _category_buttons(categories: Sequence[Category], locale: str) -> InlineKeyboardBuilder:
    builder = InlineKeyboardBuilder()
    for category in categories:
        builder.button(
            text=f"{category.emoji} {category_name(category, locale)}".strip(),
            callback_data=CategoryCb(id=category.id or 0),
        )
    builder.adjust(2)
    return builder


def categories_screen(
    categories: Sequence[Category], locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    builder = _category_buttons(categories, locale)
    return _("🛍️ <b>Catalog</b>\n\nChoose a category:"), builder.as_markup()


def category_screen(
    category: Category, page: catalog.ProductPage, locale: str, page_size: int
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    first = page.page * page_size + 1
    listed = []
    for number, item in enumerate(page.items, start=first):
        label = product_name(item.name, item.name_en, locale)
        listed.append(listing_line(number, label, item.price, item.stock, locale))
        builder.row(
            InlineKeyboardButton(
                text=short_button(number, label), callback_data=ProductCb(id=item.id).pack()
            )
        )
    kb.pager(builder, page.page, page.pages, lambda p: CategoryCb(id=category.id or 0, page=p))
    builder.row(kb.categories_button())
    name = category_name(category, locale)
    if page.total:
        text = ngettext(
            "{emoji} <b>{name}</b>\n{total} product. Tap its number to see it.",
            "{emoji} <b>{name}</b>\n{total} products. Tap a number to see one.",
            page.total,
        ).format(emoji=category.emoji, name=esc(name), total=page.total)
        text += "\n\n" + "\n".join(listed)
    else:
        text = _("{emoji} <b>{name}</b>\n\nNo products in this category yet.").format(
            emoji=category.emoji, name=esc(name)
        )
    return text, builder.as_markup()


# A list button holds its number and the start of the name: 28 characters fit a 390-pixel-wide
# phone screen; the price and the whole name are in the message's text, numbered alike.
SHORT_BUTTON = 28


def short_button(number: int, name: str) -> str:
    text = f"{number}. {' '.join(name.split())}"
    return text if len(text) <= SHORT_BUTTON else text[: SHORT_BUTTON - 1].rstrip() + "…"


def listing_line(number: int, name: str, price: int, stock: int, locale: str) -> str:
    """A numbered line of a product list: the name and the price, or that it is sold out."""
    if stock > 0:
        return _("{number}. {name} — {price}").format(
            number=number, name=esc(name), price=money(price, locale)
        )
    return _("{number}. {name} — sold out").format(number=number, name=esc(name))


def share_link(bot_username: str, product_id: int) -> str:
    return f"https://t.me/{bot_username}?start=p{product_id}"


def product_description(card: catalog.ProductCard, locale: str) -> str:
    product = card.product
    if locale == "en" and product.description_en:
        return product.description_en
    return product.description or ""


def _card_head(card: catalog.ProductCard, locale: str) -> str:
    """The card's name, price, stock, shop and category."""
    product, merchant, category = card.product, card.merchant, card.category
    if not card.visible:
        stock_line = _("⛔ Not available at the moment")
    elif product.stock > 0:
        stock_line = _("Stock: {stock} {unit}").format(
            stock=product.stock, unit=esc(unit_label(product.unit, locale, product.stock))
        )
    else:
        stock_line = _("❌ Sold out")
    return _(
        "<b>{name}</b>\n💰 {price} / {unit}\n📦 {stock_line}\n"
        "🏪 {merchant} · 📍 Kec. {kecamatan}\n🏷️ {category}"
    ).format(
        name=esc(product_name(product.name, product.name_en, locale)),
        price=money(product.price, locale),
        unit=esc(unit_label(product.unit, locale)),
        stock_line=stock_line,
        merchant=esc(merchant.name),
        kecamatan=esc(merchant.kecamatan),
        category=esc(category_name(category, locale)),
    )


def _card_body(description: str, budget: int) -> tuple[str, bool]:
    """The description as the card shows it within `budget` characters; whether it was cut."""
    if not description.strip():
        return "", False
    truncated = len(description) > budget
    body = shorten(description, max(0, budget)) if truncated else description
    return ("\n\n" + esc(body) if body else ""), truncated


def _cart_buttons(product_id: int, in_cart: int) -> list[InlineKeyboardButton]:
    """➖ n ➕ once the product is in the cart, else "Add to cart"."""
    if not in_cart:
        return [
            InlineKeyboardButton(
                text=_("➕ Add to cart"),
                callback_data=CartCb(action="add", id=product_id).pack(),
            )
        ]
    return [
        InlineKeyboardButton(text="➖", callback_data=CartCb(action="dec", id=product_id).pack()),
        InlineKeyboardButton(
            text=_("{n} in cart").format(n=in_cart),
            callback_data=CartCb(action="show").pack(),
        ),
        InlineKeyboardButton(text="➕", callback_data=CartCb(action="inc", id=product_id).pack()),
    ]


def product_screen(
    card: catalog.ProductCard,
    *,
    in_cart: int,
    cart_lines: int,
    locale: str,
    bot_username: str,
    src: str,
    limit: int,
    extra: str = "",
    extra_rows: Sequence[Sequence[InlineKeyboardButton]] = (),
) -> tuple[str, InlineKeyboardMarkup]:
    """The card (its text fits `limit`: a caption or a message) and its buttons.

    `src` "l": opened from a list (Back closes the card), "d": opened by a link. `extra`: the
    global window's lines (approximate price, badges, export details), `extra_rows` its
    buttons."""
    product = card.product
    product_id = product.id or 0
    link = share_link(bot_username, product_id)
    head = _card_head(card, locale) + extra
    tail = "\n\n🔗 " + _("Share: {link}").format(link=link)
    budget = limit - visible_length(head + tail) - 2
    body, truncated = _card_body(product_description(card, locale), budget)

    builder = InlineKeyboardBuilder()
    if card.visible and product.stock > 0:
        builder.row(*_cart_buttons(product_id, in_cart))
    if truncated:
        builder.row(
            InlineKeyboardButton(
                text=_("📖 Full description"),
                callback_data=ProductMoreCb(id=product_id).pack(),
            )
        )
    for row in extra_rows if card.visible else ():
        builder.row(*row)
    builder.row(
        kb.cart_button(cart_lines),
        InlineKeyboardButton(text=_("📤 Share"), url=f"https://t.me/share/url?url={link}"),
    )
    if src == "l":
        builder.row(InlineKeyboardButton(text=_("⬅️ Back"), callback_data=CloseCb().pack()))
    else:
        builder.row(kb.categories_button())
    return head + body + tail, builder.as_markup()


def description_screen(card: catalog.ProductCard, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    """The whole description, in a message of its own with a Close button."""
    product = card.product
    head = f"<b>{esc(product_name(product.name, product.name_en, locale))}</b>\n\n"
    body = shorten(product_description(card, locale), TEXT_LIMIT - visible_length(head) - 1)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=_("✖️ Close"), callback_data=CloseCb().pack())]]
    )
    return head + esc(body), markup


def query_key(query: str) -> str:
    """A short digest of a search query, for the paging buttons (the query is kept in the FSM)."""
    return hashlib.sha1(query.encode()).hexdigest()[:8]


def search_screen(
    result: SearchPage,
    query: str,
    categories: Sequence[Category],
    locale: str,
    page_size: int,
) -> tuple[str, InlineKeyboardMarkup]:
    shown_query = esc(shorten(query, 60))
    if not result.items:
        text = _(
            "🔎 Nothing found for “{query}”.\n\nCheck the spelling, try fewer or other "
            "words, or browse a category:"
        ).format(query=shown_query)
        return text, _category_buttons(categories, locale).as_markup()
    builder = InlineKeyboardBuilder()
    lines = [
        ngettext(
            "🔎 <b>{total}</b> product for “{query}”:",
            "🔎 <b>{total}</b> products for “{query}”:",
            result.total,
        ).format(total=result.total, query=shown_query)
    ]
    if result.corrected:
        fixed = ", ".join(esc(f"{a} → {b}") for a, b in list(result.corrected.items())[:4])
        lines.append(_("<i>Also showing similar words: {words}</i>").format(words=fixed))
    lines.append("")
    for number, hit in enumerate(result.items, start=result.page * page_size + 1):
        label = product_name(hit.name, hit.name_en, locale)
        lines.append(listing_line(number, label, hit.price, hit.stock, locale))
        builder.row(
            InlineKeyboardButton(
                text=short_button(number, label),
                callback_data=ProductCb(id=hit.product_id).pack(),
            )
        )
    key = query_key(query)
    kb.pager(builder, result.page, result.pages, lambda p: SearchPageCb(page=p, q=key))
    return "\n".join(lines), builder.as_markup()


def search_prompt() -> str:
    return _("🔎 Type what you are looking for, e.g. <i>keripik tempe</i> or <i>batik</i>.")
