"""The cart screen and its buttons (on the cart and on product cards)."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.buyer.catalog import refresh_product_card
from handlers.routes import Routes
from handlers.ui import show, toast
from models import User
from services import cart as carts
from services.screens import ScreenCache
from views import keyboards as kb
from views.callbacks import CartCb, CartLineCb, CartViewCb
from views.cart import cart_screen, line_notice

routes = Routes("cart")


@routes.message(Command("keranjang", "cart"))
@routes.message(F.text == kb.MENU_CART)
async def cart_command(message: Message, session: AsyncSession, user: User, locale: str) -> None:
    text, markup = cart_screen(await carts.get_cart(session, user), locale)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(CartViewCb.filter(F.action == "show"))
@routes.callback_query(CartCb.filter(F.action == "show"))
async def cart_show(
    callback: CallbackQuery, session: AsyncSession, user: User, locale: str
) -> None:
    text, markup = cart_screen(await carts.get_cart(session, user), locale)
    if isinstance(callback.message, Message):
        await callback.message.answer(text, reply_markup=markup)


@routes.callback_query(CartViewCb.filter(F.action == "page"))
async def cart_page(
    callback: CallbackQuery,
    callback_data: CartViewCb,
    session: AsyncSession,
    user: User,
    locale: str,
) -> None:
    cart = await carts.get_cart(session, user)
    await show(callback, *cart_screen(cart, locale, callback_data.page))


@routes.callback_query(CartLineCb.filter(F.action == "line"))
async def cart_line_tapped(
    callback: CallbackQuery,
    callback_data: CartLineCb,
    session: AsyncSession,
    user: User,
    locale: str,
    callback_answer: CallbackAnswer,
) -> None:
    cart = await carts.get_cart(session, user)
    line = next((ln for ln in cart.lines if ln.product_id == callback_data.id), None)
    if line is None:  # removed meanwhile: show the cart as it is now
        await show(callback, *cart_screen(cart, locale, callback_data.page))
        return
    toast(callback_answer, line_notice(line, locale))


@routes.callback_query(CartLineCb.filter(F.action.in_({"inc", "dec", "rm"})))
async def cart_line_changed(
    callback: CallbackQuery,
    callback_data: CartLineCb,
    session: AsyncSession,
    user: User,
    locale: str,
) -> None:
    if callback_data.action == "rm":
        await carts.set_quantity(session, user, callback_data.id, 0)
    else:
        await carts.add_to_cart(
            session, user, callback_data.id, 1 if callback_data.action == "inc" else -1
        )
    cart = await carts.get_cart(session, user)
    await show(callback, *cart_screen(cart, locale, callback_data.page))


@routes.callback_query(CartViewCb.filter(F.action == "clear"))
async def cart_clear(
    callback: CallbackQuery, session: AsyncSession, user: User, locale: str
) -> None:
    await carts.clear_cart(session, user)
    await show(callback, *cart_screen(await carts.get_cart(session, user), locale))


@routes.callback_query(CartCb.filter(F.action.in_({"add", "inc", "dec", "rm"})))
async def cart_change(
    callback: CallbackQuery,
    callback_data: CartCb,
    session: AsyncSession,
    user: User,
    locale: str,
    callback_answer: CallbackAnswer,
    screen_cache: ScreenCache,
) -> None:
    action, product_id = callback_data.action, callback_data.id
    if action == "add":
        # "Add" sets the quantity to at least one: tapping it twice adds one item, not two.
        _lines, in_cart = await carts.cart_count(session, user, product_id)
        if in_cart == 0:
            await carts.set_quantity(session, user, product_id, 1)
        toast(callback_answer, _("Added to your cart."))
    elif action == "rm":
        await carts.set_quantity(session, user, product_id, 0)
    else:
        await carts.add_to_cart(session, user, product_id, 1 if action == "inc" else -1)
    if callback_data.src == "k":
        await show(callback, *cart_screen(await carts.get_cart(session, user), locale))
    else:
        await refresh_product_card(callback, session, user, product_id, locale, screen_cache)
