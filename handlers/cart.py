"""The cart screen and checkout (one order per shop)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from views.refusals import describe
from handlers.ui import show
from models import BuyerKind, User
from services import cart as carts
from services import orders, payments
from services.errors import Refusal, ServiceError
from views import keyboards as kb
from views.callbacks import CartCb, CartViewCb, CheckoutCb, OrderCb
from views.format import button_text, esc, money

router = Router(name="cart")

MAX_LINES_SHOWN = 40


def cart_screen(cart: carts.Cart, locale: str) -> tuple[str, InlineKeyboardMarkup | None]:
    if cart.is_empty:
        builder = InlineKeyboardBuilder()
        builder.row(kb.categories_button())
        return _("🛒 Your cart is empty."), builder.as_markup()
    lines = [_("🛒 <b>Your cart</b>")]
    builder = InlineKeyboardBuilder()
    for group in cart.groups:
        lines.append(f"\n🏪 <b>{esc(group.merchant_name)}</b>")
        for line in group.lines[:MAX_LINES_SHOWN]:
            warn = "" if line.available else " " + _("(not available)")
            lines.append(
                _("• {name} × {qty} = {subtotal}").format(
                    name=esc(line.name), qty=line.quantity, subtotal=money(line.subtotal, locale)
                )
                + warn
            )
            builder.row(
                InlineKeyboardButton(
                    text="➖",
                    callback_data=CartCb(action="dec", id=line.product_id, src="k").pack(),
                ),
                InlineKeyboardButton(
                    text=button_text(f"{line.name} ({line.quantity})"),
                    callback_data=CartCb(action="inc", id=line.product_id, src="k").pack(),
                ),
                InlineKeyboardButton(
                    text="➕",
                    callback_data=CartCb(action="inc", id=line.product_id, src="k").pack(),
                ),
                InlineKeyboardButton(
                    text="🗑", callback_data=CartCb(action="rm", id=line.product_id, src="k").pack()
                ),
            )
    lines.append("\n" + _("<b>Total: {total}</b>").format(total=money(cart.total, locale)))
    if len(cart.groups) > 1:
        lines.append(
            _("Checkout makes one order for each of the {n} shops.").format(n=len(cart.groups))
        )
    builder.row(
        InlineKeyboardButton(
            text=_("✅ Checkout"), callback_data=CartViewCb(action="checkout").pack()
        )
    )
    builder.row(
        InlineKeyboardButton(
            text=_("🗑 Empty the cart"), callback_data=CartViewCb(action="clear").pack()
        ),
        kb.categories_button(),
    )
    return "\n".join(lines), builder.as_markup()


@router.message(Command("keranjang", "cart"))
@router.message(F.text == kb.MENU_CART)
async def cart_command(message: Message, session: AsyncSession, user: User, locale: str) -> None:
    text, markup = cart_screen(await carts.get_cart(session, user), locale)
    await message.answer(text, reply_markup=markup)


@router.callback_query(CartViewCb.filter(F.action == "show"))
@router.callback_query(CartCb.filter(F.action == "show"))
async def cart_show(callback: CallbackQuery, session: AsyncSession, user: User, locale: str):
    text, markup = cart_screen(await carts.get_cart(session, user), locale)
    await callback.message.answer(text, reply_markup=markup)


@router.callback_query(CartViewCb.filter(F.action == "clear"))
async def cart_clear(callback: CallbackQuery, session: AsyncSession, user: User, locale: str):
    await carts.clear_cart(session, user)
    text, markup = cart_screen(await carts.get_cart(session, user), locale)
    await show(callback, text, markup)


@router.callback_query(CartCb.filter(F.action.in_({"add", "inc", "dec", "rm"})))
async def cart_change(
    callback: CallbackQuery,
    callback_data: CartCb,
    session: AsyncSession,
    user: User,
    locale: str,
    callback_answer,
) -> None:
    from handlers.catalog import refresh_product_card

    delta = {"add": 1, "inc": 1, "dec": -1}.get(callback_data.action)
    try:
        if callback_data.action == "add":
            # "Add" sets the quantity to at least one: tapping it twice adds one item, not two.
            _lines, in_cart = await carts.cart_count(session, user, callback_data.id)
            if in_cart == 0:
                await carts.set_quantity(session, user, callback_data.id, 1)
        elif delta is None:
            await carts.set_quantity(session, user, callback_data.id, 0)
        else:
            await carts.add_to_cart(session, user, callback_data.id, delta)
    except ServiceError as exc:
        callback_answer.text = describe(exc)
        callback_answer.show_alert = True
        return
    if callback_data.action == "add":
        callback_answer.text = _("Added to your cart.")
    if callback_data.src == "k":
        text, markup = cart_screen(await carts.get_cart(session, user), locale)
        await show(callback, text, markup)
    else:
        await refresh_product_card(callback, session, user, callback_data.id, locale)


# --- checkout -----------------------------------------------------------------------------


@router.callback_query(CartViewCb.filter(F.action == "checkout"))
async def checkout_summary(
    callback: CallbackQuery, session: AsyncSession, user: User, locale: str
) -> None:
    if user.kind not in (BuyerKind.ASN, BuyerKind.GENERAL):
        await callback.message.answer(
            describe(ServiceError(Refusal.NOT_REGISTERED)), reply_markup=kb.register_prompt_keyboard()
        )
        return
    cart = await carts.get_cart(session, user)
    if cart.is_empty:
        await show(callback, *cart_screen(cart, locale))
        return
    unavailable = [
        line
        for line in cart.lines
        if not line.available or line.stock <= 0 or line.quantity > line.stock
    ]
    if unavailable:
        line = unavailable[0]
        code = "product_unavailable" if not line.available else "out_of_stock"
        await callback.message.answer(
            describe(ServiceError(code, name=line.name, stock=line.stock))
        )
        return
    key = orders.checkout_key(cart)
    lines = [_("🧾 <b>Order summary</b>")]
    for group in cart.groups:
        lines.append(
            _("\n🏪 <b>{merchant}</b> — {total}").format(
                merchant=esc(group.merchant_name), total=money(group.total, locale)
            )
        )
        for line in group.lines:
            lines.append(
                _("• {name} × {qty} = {subtotal}").format(
                    name=esc(line.name), qty=line.quantity, subtotal=money(line.subtotal, locale)
                )
            )
    lines.append("\n" + _("<b>Total: {total}</b>").format(total=money(cart.total, locale)))
    lines.append(
        _(
            "This creates {n} order(s), one per shop. You pay each shop directly after "
            "it accepts your order; the shop confirms your payment."
        ).format(n=len(cart.groups))
    )
    if user.kind == BuyerKind.ASN:
        lines.append(_("Paid orders count toward your monthly minimum."))
    lines.append("\n" + _("How will you pay?"))
    builder = InlineKeyboardBuilder()
    builder.button(text=_("💵 Order — pay cash"), callback_data=CheckoutCb(key=key, method="cash"))
    builder.button(
        text=_("🏦 Order — pay by transfer"), callback_data=CheckoutCb(key=key, method="transfer")
    )
    with_qris = await payments.merchants_with_qris(session, (g.merchant_id for g in cart.groups))
    if len(with_qris) == len(cart.groups):
        builder.button(
            text=_("🔳 Order — pay by QRIS"), callback_data=CheckoutCb(key=key, method="qris")
        )
    builder.button(text=_("⬅️ Change the cart"), callback_data=CartViewCb(action="show"))
    builder.adjust(1)
    await show(callback, "\n".join(lines), builder.as_markup())


@router.callback_query(CheckoutCb.filter())
async def checkout_confirm(
    callback: CallbackQuery,
    callback_data: CheckoutCb,
    session: AsyncSession,
    user: User,
    locale: str,
    bot: Bot,
    settings: Settings,
    callback_answer,
    clock: Callable[[], datetime],
) -> None:
    from views.orders import notify_new_order

    try:
        result = await orders.checkout(
            session, user, callback_data.key, payment_method=callback_data.method, now=clock()
        )
    except ServiceError as exc:
        callback_answer.text = describe(exc)
        callback_answer.show_alert = True
        if exc.code == Refusal.NOT_REGISTERED:
            await callback.message.answer(
                describe(exc), reply_markup=kb.register_prompt_keyboard()
            )
        return
    if not result.created:
        callback_answer.text = _("These orders were already placed.")
    lines = [_("✅ <b>Order placed!</b>")] if result.created else [_("Your orders:")]
    builder = InlineKeyboardBuilder()
    for order in result.orders:
        builder.row(
            InlineKeyboardButton(
                text=_("📦 Order #{id} · {total}").format(
                    id=order.id, total=money(order.total, locale)
                ),
                callback_data=OrderCb(id=order.id).pack(),
            )
        )
    lines.append(
        _(
            "Each shop has been notified and will confirm your order here. You can "
            "follow them in 📦 My orders."
        )
    )
    await show(callback, "\n".join(lines), builder.as_markup())
    if result.created:
        for order in result.orders:
            await notify_new_order(bot, session, order.id, settings)
