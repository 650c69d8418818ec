"""Telling the other side about an order: the shop of a new order or of the buyer's step, the
buyer of the shop's step (and their QRIS once a QRIS order is accepted), the shop of stock
running low once an order is paid. Used by handlers (someone acted) and by jobs (hygiene)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import tzinfo

from aiogram.types import BufferedInputFile
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.notify import Markup, notify
from delivery.sender import Sender
from models import Order, PaymentMethod, User
from services import orders, payments, products
from services.errors import Refusal, ServiceError
from services.merchants import member_users
from services.qr_image import render_png
from views import orders as order_views
from views.payments import low_stock_text, proof_button, qris_caption, qris_gone_text

log = logging.getLogger(__name__)

Heading = Callable[[], str]


async def notify_merchant(
    sender: Sender, session: AsyncSession, order_id: int, tz: tzinfo, heading: Heading
) -> None:
    """Tell every member of the order's shop, each in their language, with their buttons."""
    order = await session.get(Order, order_id)
    if order is None:
        return
    for member in await member_users(session, order.merchant_id):
        view = await orders.order_view(session, order_id, viewer=member)

        def render(locale: str, view: orders.OrderView = view) -> tuple[str, Markup]:
            return (
                heading() + "\n\n" + order_views.order_text(view, locale, tz, for_merchant=True),
                order_views.order_buttons(view, for_merchant=True),
            )

        await notify(sender, member, render)


async def notify_buyer(
    sender: Sender, session: AsyncSession, order_id: int, tz: tzinfo, heading: Heading
) -> None:
    """Tell the buyer about their order, in their language, with their buttons."""
    order = await session.get(Order, order_id)
    buyer = await session.get(User, order.buyer_id) if order is not None else None
    if order is None or buyer is None:
        return
    view = await orders.order_view(session, order_id, viewer=buyer)

    def render(locale: str) -> tuple[str, Markup]:
        return (
            heading() + "\n\n" + order_views.order_text(view, locale, tz, for_merchant=False),
            order_views.order_buttons(view, for_merchant=False),
        )

    await notify(sender, buyer, render)


async def notify_new_order(
    sender: Sender, session: AsyncSession, order_id: int, tz: tzinfo
) -> None:
    await notify_merchant(sender, session, order_id, tz, order_views.new_order_heading)


async def send_order_qris(
    sender: Sender, session: AsyncSession, order_id: int, recipient: User | None = None
) -> bool:
    """Send the buyer (or `recipient`) the dynamic QRIS of an accepted QRIS order."""
    order = await session.get(Order, order_id)
    if order is None:
        return False
    buyer = recipient or await session.get(User, order.buyer_id)
    if buyer is None:
        return False
    try:
        item = await payments.order_qris(session, order_id, viewer=buyer)
    except ServiceError as exc:
        log.info("order %s: no QRIS to send (%s)", order_id, exc.code)
        if exc.code == Refusal.QRIS_MISSING:
            await notify(
                sender, buyer, lambda _locale: (qris_gone_text(order_id), proof_button(order_id))
            )
        return False
    image = BufferedInputFile(render_png(item.payload), filename=f"qris-order-{order_id}.png")
    return await notify(
        sender,
        buyer,
        lambda locale: (qris_caption(item, locale), proof_button(order_id)),
        photo=image,
    )


async def after_step(sender: Sender, session: AsyncSession, order_id: int, action: str) -> None:
    """What follows an order step besides the usual notifications: the QRIS of an accepted
    QRIS order, low-stock warnings once an order is paid."""
    if action == "accept":
        order = await session.get(Order, order_id)
        if order is not None and order.payment_method == PaymentMethod.QRIS:
            await send_order_qris(sender, session, order_id)
    elif action == "pay":
        await warn_low_stock(sender, session, order_id)


async def warn_low_stock(sender: Sender, session: AsyncSession, order_id: int) -> None:
    order = await session.get(Order, order_id)
    warnings = await products.low_stock_after_payment(session, order_id)
    if order is None or not warnings:
        return
    for member in await member_users(session, order.merchant_id):
        await notify(sender, member, lambda _locale: (low_stock_text(order_id, warnings), None))
