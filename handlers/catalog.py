"""Browsing categories, product cards (with shareable deep links) and search."""

from __future__ import annotations

import contextlib
import hashlib
import html
import logging
import re
from pathlib import Path

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    FSInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from handlers.ui import alert, show
from models import User
from services import catalog
from services.cart import cart_count
from services.categories import list_categories
from services.errors import NotFound
from services.search import search_products
from views import keyboards as kb
from views.callbacks import (
    CartCb,
    CategoriesCb,
    CategoryCb,
    CloseCb,
    ProductCb,
    ProductMoreCb,
    SearchPageCb,
)
from views.format import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    button_text,
    esc,
    money,
    product_name,
    shorten,
)

log = logging.getLogger(__name__)
router = Router(name="catalog")

_TAGS = re.compile(r"<[^>]+>")


def visible_length(markup: str) -> int:
    """Length as Telegram counts it: entities parsed, in UTF-16 code units."""
    plain = html.unescape(_TAGS.sub("", markup))
    return len(plain.encode("utf-16-le")) // 2


# --- categories -------------------------------------------------------------------------


async def categories_screen(
    session: AsyncSession, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for category in await list_categories(session):
        name = category.name_en if locale == "en" else category.name_id
        builder.button(
            text=f"{category.emoji} {name}".strip(), callback_data=CategoryCb(id=category.id)
        )
    builder.adjust(2)
    return _("🛍️ <b>Catalog</b>\n\nChoose a category:"), builder.as_markup()


@router.message(Command("katalog", "catalog"))
@router.message(F.text == kb.MENU_CATALOG)
async def catalog_command(message: Message, session: AsyncSession, locale: str) -> None:
    text, markup = await categories_screen(session, locale)
    await message.answer(text, reply_markup=markup)


@router.callback_query(CategoriesCb.filter())
async def categories_callback(callback: CallbackQuery, session: AsyncSession, locale: str) -> None:
    text, markup = await categories_screen(session, locale)
    await show(callback, text, markup)


@router.callback_query(CategoryCb.filter())
async def category_callback(
    callback: CallbackQuery,
    callback_data: CategoryCb,
    session: AsyncSession,
    locale: str,
    settings: Settings,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        category = await catalog.get_category(session, callback_data.id)
    except NotFound:
        alert(callback_answer, _("That category does not exist."))
        return
    page = await catalog.category_page(
        session, category.id, page=callback_data.page, page_size=settings.page_size
    )
    name = category.name_en if locale == "en" else category.name_id
    builder = InlineKeyboardBuilder()
    for item in page.items:
        label = product_name(item.name, item.name_en, locale)
        price = money(item.price, locale) if item.stock > 0 else _("sold out")
        builder.row(
            InlineKeyboardButton(
                text=button_text(f"{label} · {price}"), callback_data=ProductCb(id=item.id).pack()
            )
        )
    kb.pager(builder, page.page, page.pages, lambda p: CategoryCb(id=category.id, page=p))
    builder.row(kb.categories_button())
    if page.total:
        text = _("{emoji} <b>{name}</b>\n{total} products. Tap one to see it.").format(
            emoji=category.emoji, name=esc(name), total=page.total
        )
    else:
        text = _("{emoji} <b>{name}</b>\n\nNo products in this category yet.").format(
            emoji=category.emoji, name=esc(name)
        )
    await show(callback, text, builder.as_markup())


# --- product card -------------------------------------------------------------------------


async def product_screen(
    session: AsyncSession,
    user: User,
    product_id: int,
    *,
    locale: str,
    bot_username: str,
    src: str,
    limit: int,
    card: catalog.ProductCard | None = None,
) -> tuple[catalog.ProductCard, str, InlineKeyboardMarkup]:
    card = card or await catalog.product_card(session, product_id)
    product, merchant, category = card.product, card.merchant, card.category
    name = product_name(product.name, product.name_en, locale)
    description = (
        product.description_en
        if locale == "en" and product.description_en
        else product.description
    ) or ""
    link = f"https://t.me/{bot_username}?start=p{product.id}"
    if not card.visible:
        stock_line = _("⛔ Not available at the moment")
    elif product.stock > 0:
        stock_line = _("Stock: {stock} {unit}").format(stock=product.stock, unit=esc(product.unit))
    else:
        stock_line = _("❌ Sold out")
    category_name = category.name_en if locale == "en" else category.name_id
    head = _(
        "<b>{name}</b>\n💰 {price} / {unit}\n📦 {stock_line}\n"
        "🏪 {merchant} · 📍 Kec. {kecamatan}\n🏷️ {category}"
    ).format(
        name=esc(name),
        price=money(product.price, locale),
        unit=esc(product.unit),
        stock_line=stock_line,
        merchant=esc(merchant.name),
        kecamatan=esc(merchant.kecamatan),
        category=esc(category_name),
    )
    tail = "\n\n🔗 " + _("Share: {link}").format(link=link)
    budget = limit - visible_length(head + tail) - 2
    truncated = False
    body = ""
    if description.strip():
        if len(description) > budget:
            body = shorten(description, max(0, budget))
            truncated = True
        else:
            body = description
        body = "\n\n" + esc(body) if body else ""
    text = head + body + tail

    cart_lines, in_cart = await cart_count(session, user, product.id)
    builder = InlineKeyboardBuilder()
    if card.visible and product.stock > 0:
        if in_cart:
            builder.row(
                InlineKeyboardButton(
                    text="➖", callback_data=CartCb(action="dec", id=product.id).pack()
                ),
                InlineKeyboardButton(
                    text=_("{n} in cart").format(n=in_cart),
                    callback_data=CartCb(action="show").pack(),
                ),
                InlineKeyboardButton(
                    text="➕", callback_data=CartCb(action="inc", id=product.id).pack()
                ),
            )
        else:
            builder.row(
                InlineKeyboardButton(
                    text=_("➕ Add to cart"),
                    callback_data=CartCb(action="add", id=product.id).pack(),
                )
            )
    if truncated:
        builder.row(
            InlineKeyboardButton(
                text=_("📖 Full description"), callback_data=ProductMoreCb(id=product.id).pack()
            )
        )
    builder.row(
        kb.cart_button(cart_lines),
        InlineKeyboardButton(text=_("📤 Share"), url=f"https://t.me/share/url?url={link}"),
    )
    if src == "l":
        builder.row(InlineKeyboardButton(text=_("⬅️ Back"), callback_data=CloseCb().pack()))
    else:
        builder.row(kb.categories_button())
    return card, text, builder.as_markup()


def _photo_input(card: catalog.ProductCard) -> str | FSInputFile | None:
    product = card.product
    if product.photo_file_id:
        return product.photo_file_id
    photo = product.photo
    if not photo:
        return None
    if photo.startswith(("http://", "https://")):
        return photo
    path = Path(photo)
    if path.exists():
        return FSInputFile(path)
    if "/" not in photo and "." not in photo:
        return photo  # a Telegram file_id
    return None


async def send_product_card(
    message: Message,
    session: AsyncSession,
    user: User,
    product_id: int,
    *,
    src: str,
    locale: str | None = None,
) -> None:
    from aiogram.utils.i18n import get_i18n

    locale = locale or get_i18n().current_locale
    bot = message.bot
    me = await bot.me()
    try:
        card = await catalog.product_card(session, product_id)
    except NotFound:
        await message.answer(_("That product does not exist any more."))
        return
    photo = _photo_input(card)
    if photo is not None:
        card, caption, markup = await product_screen(
            session,
            user,
            product_id,
            locale=locale,
            bot_username=me.username or "",
            src=src,
            limit=CAPTION_LIMIT,
            card=card,
        )
        try:
            sent = await message.answer_photo(photo, caption=caption, reply_markup=markup)
        except TelegramBadRequest as exc:
            log.warning("product %s photo could not be sent: %s", product_id, exc)
        else:
            if sent.photo and sent.photo[-1].file_id != card.product.photo_file_id:
                await catalog.remember_photo_file_id(session, product_id, sent.photo[-1].file_id)
            return
    # No photo (or it was refused): a text message, whose limit allows more description.
    _card, text, markup = await product_screen(
        session,
        user,
        product_id,
        locale=locale,
        bot_username=me.username or "",
        src=src,
        limit=TEXT_LIMIT,
        card=card if photo is None else None,
    )
    await message.answer(text, reply_markup=markup)


async def refresh_product_card(
    callback: CallbackQuery, session: AsyncSession, user: User, product_id: int, locale: str
) -> None:
    """Re-render the card the user tapped on (after a cart change), keeping text or caption."""
    message = callback.message
    if not isinstance(message, Message):
        return
    me = await callback.bot.me()
    src = "l"
    for row in message.reply_markup.inline_keyboard if message.reply_markup else []:
        for button in row:
            if button.callback_data == CategoriesCb().pack():
                src = "d"
    limit = CAPTION_LIMIT if message.photo else TEXT_LIMIT
    try:
        _card, text, markup = await product_screen(
            session,
            user,
            product_id,
            locale=locale,
            bot_username=me.username or "",
            src=src,
            limit=limit,
        )
    except NotFound:
        return
    try:
        if message.photo:
            await message.edit_caption(caption=text, reply_markup=markup)
        else:
            await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "message is not modified" not in str(exc):
            raise


@router.callback_query(ProductCb.filter())
async def product_callback(
    callback: CallbackQuery,
    callback_data: ProductCb,
    session: AsyncSession,
    user: User,
    locale: str,
) -> None:
    await send_product_card(
        callback.message, session, user, callback_data.id, src=callback_data.src, locale=locale
    )


@router.callback_query(ProductMoreCb.filter())
async def product_more(
    callback: CallbackQuery,
    callback_data: ProductMoreCb,
    session: AsyncSession,
    locale: str,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        card = await catalog.product_card(session, callback_data.id)
    except NotFound:
        alert(callback_answer, _("That product does not exist any more."))
        return
    product = card.product
    name = product_name(product.name, product.name_en, locale)
    description = (
        product.description_en
        if locale == "en" and product.description_en
        else product.description
    )
    head = f"<b>{esc(name)}</b>\n\n"
    body = shorten(description, TEXT_LIMIT - visible_length(head) - 1)
    await callback.message.answer(
        head + esc(body),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=_("✖️ Close"), callback_data=CloseCb().pack())]
            ]
        ),
    )


@router.callback_query(CloseCb.filter())
async def close_message(callback: CallbackQuery) -> None:
    if isinstance(callback.message, Message):
        with contextlib.suppress(TelegramBadRequest):  # already gone after a second tap
            await callback.message.delete()


# --- search -------------------------------------------------------------------------------


async def search_screen(
    session: AsyncSession, query: str, page: int, *, locale: str, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    result = await search_products(session, query, page=page, page_size=settings.page_size)
    shown_query = esc(shorten(query, 60))
    builder = InlineKeyboardBuilder()
    if not result.items:
        for category in await list_categories(session):
            name = category.name_en if locale == "en" else category.name_id
            builder.button(
                text=f"{category.emoji} {name}".strip(), callback_data=CategoryCb(id=category.id)
            )
        builder.adjust(2)
        text = _(
            "🔎 Nothing found for “{query}”.\n\nCheck the spelling, try fewer or other "
            "words, or browse a category:"
        ).format(query=shown_query)
        return text, builder.as_markup()
    lines = [
        _("🔎 <b>{total}</b> products for “{query}”:").format(
            total=result.total, query=shown_query
        )
    ]
    if result.corrected:
        fixed = ", ".join(esc(f"{a} → {b}") for a, b in list(result.corrected.items())[:4])
        lines.append(_("<i>Also showing similar words: {words}</i>").format(words=fixed))
    for hit in result.items:
        price = money(hit.price, locale) if hit.stock > 0 else _("sold out")
        builder.row(
            InlineKeyboardButton(
                text=button_text(f"{product_name(hit.name, hit.name_en, locale)} · {price}"),
                callback_data=ProductCb(id=hit.product_id).pack(),
            )
        )
    key = query_key(query)
    kb.pager(builder, result.page, result.pages, lambda p: SearchPageCb(page=p, q=key))
    return "\n".join(lines), builder.as_markup()


def query_key(query: str) -> str:
    return hashlib.sha1(query.encode()).hexdigest()[:8]


@router.message(Command("cari", "search"))
async def search_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    locale: str,
    settings: Settings,
) -> None:
    query = (command.args or "").strip()
    if not query:
        await message.answer(
            _(
                "What are you looking for? Type it, e.g. <code>/cari keripik "
                "tempe</code>, or simply type the words."
            )
        )
        return
    await _run_search(message, state, session, query, locale, settings)


@router.message(F.text == kb.MENU_SEARCH)
async def search_button(message: Message) -> None:
    await message.answer(
        _("🔎 Type what you are looking for, e.g. <i>keripik tempe</i> or <i>batik</i>.")
    )


@router.message(StateFilter(None), F.text, ~F.text.startswith("/"))
async def free_text_search(
    message: Message, state: FSMContext, session: AsyncSession, locale: str, settings: Settings
) -> None:
    await _run_search(message, state, session, message.text, locale, settings)


@router.message(StateFilter(None), F.text.startswith("/"))
async def unknown_command(message: Message) -> None:
    await message.answer(
        _("I don't know that command. /bantuan lists what I can do."), reply_markup=kb.main_menu()
    )


async def _run_search(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    query: str,
    locale: str,
    settings: Settings,
) -> None:
    query = query[:200]
    # Remember recent queries so that paging buttons of older results keep working.
    searches = dict((await state.get_data()).get("searches", {}))
    searches[query_key(query)] = query
    await state.update_data(searches=dict(list(searches.items())[-5:]))
    text, markup = await search_screen(session, query, 0, locale=locale, settings=settings)
    await message.answer(text, reply_markup=markup)


@router.callback_query(SearchPageCb.filter())
async def search_page(
    callback: CallbackQuery,
    callback_data: SearchPageCb,
    state: FSMContext,
    session: AsyncSession,
    locale: str,
    settings: Settings,
    callback_answer: CallbackAnswer,
) -> None:
    query = (await state.get_data()).get("searches", {}).get(callback_data.q)
    if not query:
        alert(callback_answer, _("This search has expired. Please search again."))
        return
    text, markup = await search_screen(
        session, query, callback_data.page, locale=locale, settings=settings
    )
    await show(callback, text, markup)
