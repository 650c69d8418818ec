"""Checkout: the summary with the ways to pay, then one order per shop, each shop told."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.orders import notify_new_order
from delivery.sender import Sender
from handlers.buyer.catalog import refresh_open_cards
from handlers.routes import Routes
from handlers.ui import show, toast
from models import BuyerKind, Fulfilment, User
from services import cart as carts
from services import orders, payments
from services.errors import Refusal, ServiceError
from services.policy import Policy
from services.screens import ScreenCache
from views import keyboards as kb
from views.callbacks import CartViewCb, CheckoutCb, HandoverCb
from views.cart import cart_screen, checkout_summary_screen, placed_screen
from views.format import esc
from views.refusals import describe

routes = Routes("checkout")


async def _register_first(callback: CallbackQuery) -> None:
    if isinstance(callback.message, Message):
        await callback.message.answer(
            describe(ServiceError(Refusal.NOT_REGISTERED)),
            reply_markup=kb.register_prompt_keyboard(),
        )


class HandoverForm(StatesGroup):
    address = State()
    note = State()


async def _handover(state: FSMContext) -> orders.Handover:
    """The handover chosen so far in the summary (pickup until something else is chosen)."""
    data = (await state.get_data()).get("handover") or {}
    return orders.Handover(
        fulfilment=data.get("fulfilment", Fulfilment.PICKUP),
        address=data.get("address"),
        note=data.get("note"),
    )


async def _keep(state: FSMContext, handover: orders.Handover) -> None:
    await state.update_data(handover=dataclasses.asdict(handover))


async def _summary(
    session: AsyncSession, user: User, locale: str, handover: orders.Handover
) -> tuple[str, InlineKeyboardMarkup] | ServiceError | None:
    """The summary of the cart as it is now; a refusal to tell if a line cannot be ordered;
    None for an empty cart."""
    cart = await carts.get_cart(session, user)
    if cart.is_empty:
        return None
    for line in cart.lines:
        if not line.available or line.stock <= 0 or line.quantity > line.stock:
            code = Refusal.PRODUCT_UNAVAILABLE if not line.available else Refusal.OUT_OF_STOCK
            return ServiceError(code, name=line.name, stock=line.stock)
    with_qris = await payments.merchants_with_qris(session, (g.merchant_id for g in cart.groups))
    return checkout_summary_screen(
        cart,
        user,
        orders.checkout_key(cart),
        qris=len(with_qris) == len(cart.groups),
        locale=locale,
        handover=handover,
    )


async def _show_summary(
    event: Message | CallbackQuery,
    session: AsyncSession,
    user: User,
    locale: str,
    state: FSMContext,
) -> None:
    summary = await _summary(session, user, locale, await _handover(state))
    message = event if isinstance(event, Message) else event.message
    if summary is None:
        await show(event, *cart_screen(await carts.get_cart(session, user), locale))
    elif isinstance(summary, ServiceError):
        if isinstance(message, Message):
            await message.answer(describe(summary))
    elif isinstance(event, Message):
        await event.answer(summary[0], reply_markup=summary[1])
    else:
        await show(event, *summary)


@routes.callback_query(CartViewCb.filter(F.action == "checkout"))
async def checkout_summary(
    callback: CallbackQuery, session: AsyncSession, user: User, locale: str, state: FSMContext
) -> None:
    if user.kind not in (BuyerKind.ASN, BuyerKind.GENERAL):
        await _register_first(callback)
        return
    await _show_summary(callback, session, user, locale, state)


@routes.callback_query(HandoverCb.filter())
async def handover_chosen(
    callback: CallbackQuery,
    callback_data: HandoverCb,
    session: AsyncSession,
    user: User,
    locale: str,
    state: FSMContext,
) -> None:
    handover = await _handover(state)
    action = callback_data.action
    if action in (Fulfilment.PICKUP, Fulfilment.AGREED):
        await _keep(state, dataclasses.replace(handover, fulfilment=action, address=None))
        await _show_summary(callback, session, user, locale, state)
        return
    if not isinstance(callback.message, Message):
        return
    if action == Fulfilment.DELIVERY:
        await state.set_state(HandoverForm.address)
        await callback.message.answer(
            _("🛵 Where should the shop deliver, in Kota Malang? Type the address."),
            reply_markup=kb.address_keyboard(user.delivery_address),
        )
    elif action == "note":
        await state.set_state(HandoverForm.note)
        await callback.message.answer(
            _("📝 Type a note for the shop (a time, a size, a wish), or tap Cancel."),
            reply_markup=kb.cancel_keyboard(),
        )


@routes.message(HandoverForm.address, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_address(
    message: Message, session: AsyncSession, user: User, locale: str, state: FSMContext
) -> None:
    address = orders.parse_address(message.text or "")
    handover = await _handover(state)
    await _keep(
        state, dataclasses.replace(handover, fulfilment=Fulfilment.DELIVERY, address=address)
    )
    await state.set_state(None)
    await message.answer(_("🛵 Delivery to: {address}").format(address=esc(address)),
                         reply_markup=kb.main_menu())  # fmt: skip
    await _show_summary(message, session, user, locale, state)


@routes.message(HandoverForm.note, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_note(
    message: Message, session: AsyncSession, user: User, locale: str, state: FSMContext
) -> None:
    note = orders.parse_note(message.text or "")
    await _keep(state, dataclasses.replace(await _handover(state), note=note))
    await state.set_state(None)
    await message.answer(_("📝 Noted for the shop."), reply_markup=kb.main_menu())
    await _show_summary(message, session, user, locale, state)


@routes.message(StateFilter(HandoverForm), F.text != kb.CANCEL)
async def handover_text_expected(message: Message) -> None:
    await message.answer(_("Please type it as text, or tap Cancel."))


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
    state: FSMContext,
    screen_cache: ScreenCache,
) -> None:
    try:
        result = await orders.checkout(
            session,
            user,
            callback_data.key,
            payment_method=callback_data.method,
            handover=await _handover(state),
            now=clock(),
        )
    except ServiceError as exc:
        if exc.code == Refusal.NOT_REGISTERED:
            await _register_first(callback)
        raise
    await state.update_data(handover=None)
    if not result.created:
        toast(callback_answer, _("These orders were already placed."))
    await show(callback, *placed_screen(result.orders, created=result.created, locale=locale))
    if result.created and callback.bot is not None:
        await refresh_open_cards(callback.bot, state, session, user, locale, screen_cache)
    if result.created:
        for order in result.orders:
            await notify_new_order(sender, session, order.id or 0, policy.tz)
