""" "Close my gap" (Lengkapi kuota saya), from /kuota and the deadline reminders: products that
close what remains of the minimum, each one tap from the cart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from handlers.ui import show, toast
from models import BuyerKind, User
from services import fairness, gap
from services.errors import Refusal, ServiceError
from services.policy import Policy
from services.quota import quota_status
from views.callbacks import GapCb
from views.gap import gap_screen

routes = Routes("gap")


async def _screen(
    session: AsyncSession, user: User, locale: str, policy: Policy, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    if user.kind != BuyerKind.ASN:
        raise ServiceError(Refusal.NOT_ASN)
    status = await quota_status(session, user, now=now, policy=policy.quota)
    remaining = 0 if status.exemption is not None else status.remaining
    standing = await fairness.standing(session, now=now, tz=policy.tz, policy=policy.fairness)
    proposal = await gap.close_my_gap(session, user, remaining, standing)
    held = await gap.cart_quantities(session, user, [line.product_id for line in proposal.lines])
    return gap_screen(proposal, held, locale)


@routes.callback_query(GapCb.filter(F.action == "show"))
async def gap_show(
    callback: CallbackQuery,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    """A new message: the quota or reminder it was tapped under stays as it was."""
    text, markup = await _screen(session, user, locale, policy, clock())
    if isinstance(callback.message, Message):
        await callback.message.answer(text, reply_markup=markup)


@routes.callback_query(GapCb.filter(F.action == "add"))
async def gap_add(
    callback: CallbackQuery,
    callback_data: GapCb,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
    callback_answer: CallbackAnswer,
) -> None:
    await gap.add_line(session, user, callback_data.id, callback_data.n)
    toast(callback_answer, _("Added to your cart."))
    await show(callback, *await _screen(session, user, locale, policy, clock()))
