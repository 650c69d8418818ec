"""Browsing categories and product cards; a shared product link (/start p<id>) opens its card."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from aiogram import Bot, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, FSInputFile, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from handlers.ui import show
from models import Certification, User
from services import catalog, currency, exporting, fairness
from services.cart import cart_count
from services.categories import list_categories
from services.errors import NotFound, Refusal
from services.ids import parse_id
from services.policy import Policy
from services.screens import ScreenCache
from services.screens import versions as screen_versions
from views import catalog as screens
from views import global_window as global_views
from views import keyboards as kb
from views.callbacks import CategoriesCb, CategoryCb, CloseCb, ProductCb, ProductMoreCb
from views.format import CAPTION_LIMIT, TEXT_LIMIT
from views.refusals import describe

log = logging.getLogger(__name__)
routes = Routes("catalog")

# Telegram lets a bot delete a message for everyone only within 48 hours of sending it (an
# hour's margin for clocks that differ).
DELETABLE_FOR = timedelta(hours=47)


@routes.message(Command("katalog", "catalog"))
@routes.message(F.text == kb.MENU_CATALOG)
async def catalog_command(message: Message, session: AsyncSession, locale: str) -> None:
    text, markup = screens.categories_screen(await list_categories(session), locale)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(CategoriesCb.filter())
async def categories_callback(callback: CallbackQuery, session: AsyncSession, locale: str) -> None:
    await show(callback, *screens.categories_screen(await list_categories(session), locale))


@routes.callback_query(CategoryCb.filter())
async def category_callback(
    callback: CallbackQuery,
    callback_data: CategoryCb,
    session: AsyncSession,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
    screen_cache: ScreenCache,
) -> None:
    """A category page: the same for every buyer of a locale, so rendered once per catalog
    version, sales version and WIB day (services.screens) and reused until then; the fair
    order of the whole category is kept too, so its other pages are slices of it."""
    now = clock()
    version = await screen_versions(session)
    day = now.astimezone(policy.tz).date()
    category_id = callback_data.id
    order_key = ("category order", category_id, policy.fairness, version, day)

    async def order() -> tuple[catalog.FairOrder, datetime | None]:
        standing = await fairness.standing(session, now=now, tz=policy.tz, policy=policy.fairness)
        found = await catalog.fair_category_order(session, category_id, standing)
        return found, found.valid_until

    async def render() -> tuple[tuple[str, InlineKeyboardMarkup], datetime | None]:
        category = await catalog.get_category(session, category_id)
        ordered = await screen_cache.get_or_make(order_key, order, now)
        page = catalog.fair_page(ordered, page=callback_data.page, page_size=policy.page_size)
        return screens.category_screen(category, page, locale, policy.page_size), page.valid_until

    key = ("category page", category_id, callback_data.page, locale, policy.page_size, order_key)
    await show(callback, *await screen_cache.get_or_make(key, render, now))


# --- product card -------------------------------------------------------------------------


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


async def _card(
    session: AsyncSession, cache: ScreenCache | None, product_id: int
) -> tuple[catalog.ProductCard, list[Certification]]:
    """The product, its shop, category and certificates: what every buyer's card of it shows,
    read once per catalog version (services.screens) when there is a cache."""
    key = ("card", product_id, (await screen_versions(session)).catalog) if cache else None
    hit = cache.get(key) if cache is not None else None
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    card = await catalog.product_card(session, product_id)
    certs = await exporting.certifications_of(session, card.product)
    if cache is not None:
        copies = [Certification.model_validate(c.model_dump()) for c in certs]
        cache.put(key, (catalog.detached(card), copies))
    return card, certs


async def _screen(
    session: AsyncSession,
    user: User,
    shared: tuple[catalog.ProductCard, list[Certification]],
    *,
    locale: str,
    bot_username: str,
    src: str,
    limit: int,
) -> tuple[str, InlineKeyboardMarkup]:
    """The card of `shared` (`_card`) with what is the user's own: their cart, their currency."""
    card, certs = shared
    cart_lines, in_cart = await cart_count(session, user, card.product.id or 0)
    rate = await currency.rate_for(session, user, locale)
    ready = not exporting.missing_for_global(card.product, card.category, certs)
    extra = global_views.card_extra(
        card.product, certs, currency.approx(card.product.price, rate), locale, export_ready=ready
    )
    return screens.product_screen(
        card,
        in_cart=in_cart,
        cart_lines=cart_lines,
        locale=locale,
        bot_username=bot_username,
        src=src,
        limit=limit,
        extra=extra,
        extra_rows=global_views.card_buttons(card.product.id or 0),
    )


# The cards a buyer has open are remembered (their message ids, in the FSM data) so that their
# buttons can follow the cart when it changes elsewhere (a checkout empties it).
OPEN_CARDS = 10


async def _remember_card(state: FSMContext | None, message_id: int, product_id: int) -> None:
    if state is None:
        return
    cards = dict((await state.get_data()).get("cards") or {})
    cards[str(message_id)] = product_id
    await state.update_data(cards=dict(list(cards.items())[-OPEN_CARDS:]))


async def refresh_open_cards(
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    cache: ScreenCache | None = None,
) -> None:
    """Give the buyer's open product cards the buttons of the cart as it is now (after a
    checkout: "Add to cart" again, no stale "2 in cart")."""
    cards = (await state.get_data()).get("cards") or {}
    me = await bot.me()
    for message_id, product_id in cards.items():
        try:
            shared = await _card(session, cache, product_id)
        except NotFound:
            continue
        _text, markup = await _screen(
            session, user, shared, locale=locale, bot_username=me.username or "", src="d",
            limit=TEXT_LIMIT,
        )  # fmt: skip
        with contextlib.suppress(TelegramBadRequest):  # gone, or already right
            await bot.edit_message_reply_markup(
                chat_id=user.telegram_id, message_id=int(message_id), reply_markup=markup
            )


async def send_product_card(
    message: Message,
    session: AsyncSession,
    user: User,
    product_id: int,
    *,
    src: str,
    locale: str,
    state: FSMContext | None = None,
    cache: ScreenCache | None = None,
) -> None:
    """The card as a new message: a photo with a caption, or text when there is no photo."""
    assert message.bot is not None
    me = await message.bot.me()
    username = me.username or ""
    try:
        shared = await _card(session, cache, product_id)
    except NotFound as exc:
        await message.answer(describe(exc))
        return
    card = shared[0]
    photo = _photo_input(card)
    if photo is not None:
        caption, markup = await _screen(
            session, user, shared, locale=locale, bot_username=username, src=src,
            limit=CAPTION_LIMIT,
        )  # fmt: skip
        try:
            sent = await message.answer_photo(photo, caption=caption, reply_markup=markup)
        except TelegramBadRequest as exc:
            log.warning("product %s photo could not be sent: %s", product_id, exc)
        else:
            if sent.photo and sent.photo[-1].file_id != card.product.photo_file_id:
                await catalog.remember_photo_file_id(session, product_id, sent.photo[-1].file_id)
            await _remember_card(state, sent.message_id, product_id)
            return
        shared = await _card(session, None, product_id)
    # No photo (or it was refused): a text message, whose limit allows more description.
    text, markup = await _screen(
        session, user, shared, locale=locale, bot_username=username, src=src, limit=TEXT_LIMIT
    )
    sent = await message.answer(text, reply_markup=markup)
    await _remember_card(state, sent.message_id, product_id)


async def refresh_product_card(
    callback: CallbackQuery,
    session: AsyncSession,
    user: User,
    product_id: int,
    locale: str,
    cache: ScreenCache | None = None,
) -> None:
    """Re-render the card the user tapped on (after a cart change), keeping text or caption."""
    message = callback.message
    if not isinstance(message, Message) or callback.bot is None:
        return
    me = await callback.bot.me()
    src = "l"
    for row in message.reply_markup.inline_keyboard if message.reply_markup else []:
        for button in row:
            if button.callback_data == CategoriesCb().pack():
                src = "d"
    try:
        shared = await _card(session, cache, product_id)
    except NotFound:
        return
    text, markup = await _screen(
        session,
        user,
        shared,
        locale=locale,
        bot_username=me.username or "",
        src=src,
        limit=CAPTION_LIMIT if message.photo else TEXT_LIMIT,
    )
    try:
        if message.photo:
            await message.edit_caption(caption=text, reply_markup=markup)
        else:
            await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "message is not modified" not in str(exc):
            raise


@routes.message(CommandStart(deep_link=True, magic=F.args.regexp(r"^p\w+$")))
async def product_link(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    screen_cache: ScreenCache,
) -> None:
    """A shared product link opens the product's card, and nothing before it."""
    await state.clear()
    product_id = parse_id((command.args or "")[1:])
    if product_id is None:
        raise NotFound(Refusal.PRODUCT_NOT_FOUND)
    await send_product_card(
        message, session, user, product_id, src="d", locale=locale, state=state,
        cache=screen_cache,
    )  # fmt: skip


@routes.callback_query(ProductCb.filter())
async def product_callback(
    callback: CallbackQuery,
    callback_data: ProductCb,
    session: AsyncSession,
    user: User,
    locale: str,
    state: FSMContext,
    screen_cache: ScreenCache,
) -> None:
    if isinstance(callback.message, Message):
        await send_product_card(
            callback.message, session, user, callback_data.id, src=callback_data.src,
            locale=locale, state=state, cache=screen_cache,
        )  # fmt: skip


@routes.callback_query(ProductMoreCb.filter())
async def product_more(
    callback: CallbackQuery, callback_data: ProductMoreCb, session: AsyncSession, locale: str
) -> None:
    card = await catalog.product_card(session, callback_data.id)
    if isinstance(callback.message, Message):
        text, markup = screens.description_screen(card, locale)
        await callback.message.answer(text, reply_markup=markup)


@routes.callback_query(CloseCb.filter())
async def close_message(callback: CallbackQuery, clock: Callable[[], datetime]) -> None:
    """Close a card: delete it, or, where Telegram no longer lets the bot (a message older
    than 48 hours), take its buttons away so that it is visibly closed."""
    message = callback.message
    if not isinstance(message, Message):
        return
    if clock() - message.date >= DELETABLE_FOR:
        with contextlib.suppress(TelegramBadRequest):  # nothing left to take away
            await message.edit_reply_markup(reply_markup=None)
        return
    try:
        await message.delete()
    except TelegramBadRequest as exc:
        if "not found" in exc.message:
            return  # already gone after a second tap
        with contextlib.suppress(TelegramBadRequest):  # nothing left to take away
            await message.edit_reply_markup(reply_markup=None)
