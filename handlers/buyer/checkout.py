"""Checkout: the summary with the ways to pay, then one order per shop, each shop told."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.orders import notify_new_order
from delivery.sender import Sender
from handlers.routes import Routes
from handlers.ui import show, toast
from models import BuyerKind, User
from services import cart as carts
from services import orders, payments
from services.errors import Refusal, ServiceError
from services.policy import Policy
from views import keyboards as kb
from views.callbacks import CartViewCb, CheckoutCb
from views.cart import cart_screen, checkout_summary_screen, placed_screen
from views.refusals import describe

routes = Routes("checkout")


async def _register_first(callback: CallbackQuery) -> None:
    if isinstance(callback.message, Message):
        await callback.message.answer(
            describe(ServiceError(Refusal.NOT_REGISTERED)),
            reply_markup=kb.register_prompt_keyboard(),
        )


@routes.callback_query(CartViewCb.filter(F.action == "checkout"))
async def checkout_summary(
    callback: CallbackQuery, session: AsyncSession, user: User, locale: str
) -> None:
    if user.kind not in (BuyerKind.ASN, BuyerKind.GENERAL):
        await _register_first(callback)
        return
    cart = await carts.get_cart(session, user)
    if cart.is_empty:
        await show(callback, *cart_screen(cart, locale))
        return
    for line in cart.lines:
        if not line.available or line.stock <= 0 or line.quantity > line.stock:
            code = Refusal.PRODUCT_UNAVAILABLE if not line.available else Refusal.OUT_OF_STOCK
            if isinstance(callback.message, Message):
                refusal = ServiceError(code, name=line.name, stock=line.stock)
                await callback.message.answer(describe(refusal))
            return
    with_qris = await payments.merchants_with_qris(session, (g.merchant_id for g in cart.groups))
    text, markup = checkout_summary_screen(
        cart,
        user,
        orders.checkout_key(cart),
        qris=len(with_qris) == len(cart.groups),
        locale=locale,
    )
    await show(callback, text, markup)


@routes.callback_query(CheckoutCb.filter())
async def checkout_confirm(
    callback: CallbackQuery,
    callback_data: CheckoutCb,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    sender: Sender,
    callback_answer: CallbackAnswer,
    clock: Callable[[], datetime],
) -> None:
    try:
        result = await orders.checkout(
            session, user, callback_data.key, payment_method=callback_data.method, now=clock()
        )
    except ServiceError as exc:
        if exc.code == Refusal.NOT_REGISTERED:
            await _register_first(callback)
        raise
    if not result.created:
        toast(callback_answer, _("These orders were already placed."))
    await show(callback, *placed_screen(result.orders, created=result.created, locale=locale))
    if result.created:
        for order in result.orders:
            await notify_new_order(sender, session, order.id or 0, policy.tz)
